import type { SimdKernels } from '../simd/simd_module.js';

/**
 * The Adam update, once for hashlayers: the constants of a step and the
 * loops over arrays (JavaScript, and the adam_dense / adam_rows kernels of
 * the SIMD engine, which compute the same formula in float32). Where the
 * arrays live and which rows a step touches are other modules' concern
 * (adam_state.ts, sparse_rows.ts); FusedAdamOptimizer and any hand-rolled
 * fitting loop (e.g. a table refined by Adam) use these.
 *
 *   m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²
 *   x ← x − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
 */

export interface AdamHyperparameters {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** The numbers one Adam step needs. */
export interface AdamConstants {
  b1: number;
  /** 1 − β1 */
  omb1: number;
  b2: number;
  /** 1 − β2 */
  omb2: number;
  /** 1 − β1ᵗ, 1 − β2ᵗ and their reciprocals */
  c1: number;
  c2: number;
  ic1: number;
  ic2: number;
  eps: number;
  /** −learning rate */
  nlr: number;
}

export type FloatArray = Float32Array | Float64Array;

const f32 = Math.fround;
const exact = (x: number) => x;

/**
 * β^t as tf.train.adam keeps it: β rounded to float32, then multiplied by
 * β once per step with float32 rounding (t ≥ 1). With precision 'float64',
 * plain Math.pow.
 */
export function betaPower(beta: number, t: number, precision: 'float32' | 'float64' = 'float32'): number {
  if (precision === 'float64') return Math.pow(beta, t);
  const b = f32(beta);
  let acc = b;
  for (let i = 1; i < t && acc !== 0; i++) acc = f32(acc * b);
  return acc;
}

/**
 * The constants of the step whose bias corrections use β1ᵗ = beta1Power and
 * β2ᵗ = beta2Power. 'float32' rounds each as tf.train.adam computes it (so
 * the update agrees with tf.train.adam to float32 rounding); 'float64'
 * keeps them exact (for float64 fitting loops).
 */
export function adamConstants(
  h: AdamHyperparameters,
  beta1Power: number,
  beta2Power: number,
  precision: 'float32' | 'float64' = 'float32',
): AdamConstants {
  const r = precision === 'float32' ? f32 : exact;
  const c1 = r(1 - beta1Power);
  const c2 = r(1 - beta2Power);
  return {
    b1: r(h.beta1),
    omb1: r(1 - h.beta1),
    b2: r(h.beta2),
    omb2: r(1 - h.beta2),
    c1,
    c2,
    ic1: 1 / c1,
    ic2: 1 / c2,
    eps: r(h.epsilon),
    nlr: r(-h.learningRate),
  };
}

/**
 * One Adam step over every element: m and v updated in place, the new values
 * written to `out` (which may be `src`). Arithmetic in float64 between the
 * loads and stores.
 */
export function adamDense(src: FloatArray, out: FloatArray, g: ArrayLike<number>, m: FloatArray, v: FloatArray, k: AdamConstants): void {
  const { b1, omb1, b2, omb2, ic1, ic2, eps, nlr } = k;
  for (let i = 0, n = m.length; i < n; i++) {
    const gi = g[i];
    const mi = b1 * m[i] + omb1 * gi;
    const vi = b2 * v[i] + omb2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    out[i] = src[i] + (nlr * (mi * ic1)) / (Math.sqrt(vi * ic2) + eps);
  }
}

/**
 * adamDense over whole rows: rows[j] of x, m, v (row length cols) with
 * gradient row j of g when `compact` (gathered rows), else row rows[j].
 * Updates x in place and, when `copyTo` is given, also writes the new row j
 * at copyTo[j·cols ..]. Rows must be distinct and in range.
 */
export function adamRows(
  x: FloatArray,
  g: ArrayLike<number>,
  m: FloatArray,
  v: FloatArray,
  rows: Int32Array,
  cols: number,
  compact: boolean,
  copyTo: FloatArray | null,
  k: AdamConstants,
): void {
  const { b1, omb1, b2, omb2, ic1, ic2, eps, nlr } = k;
  for (let j = 0; j < rows.length; j++) {
    const off = rows[j] * cols;
    const d = (compact ? j * cols : off) - off;
    const c = j * cols - off;
    for (let i = off, end = off + cols; i < end; i++) {
      const gi = g[i + d];
      const mi = b1 * m[i] + omb1 * gi;
      const vi = b2 * v[i] + omb2 * (gi * gi);
      m[i] = mi;
      v[i] = vi;
      const xi = x[i] + (nlr * (mi * ic1)) / (Math.sqrt(vi * ic2) + eps);
      x[i] = xi;
      if (copyTo !== null) copyTo[i + c] = xi;
    }
  }
}

/** The constants in the argument order of the SIMD kernels. */
function simdArgs(k: AdamConstants): [number, number, number, number, number, number, number, number] {
  return [k.b1, k.omb1, k.b2, k.omb2, k.c1, k.c2, k.eps, k.nlr];
}

/** adamDense in float32 by the SIMD engine; every argument a byte offset on the kernels' memory. */
export function simdAdamDense(simd: SimdKernels, x: number, g: number, m: number, v: number, out: number, n: number, k: AdamConstants): void {
  simd.adam_dense(x, g, m, v, out, n, ...simdArgs(k));
}

/**
 * adamRows in float32 by the SIMD engine: rows (nRows int32 at byte offset
 * `rows`), copy = -1 for none; every other argument a byte offset.
 */
export function simdAdamRows(
  simd: SimdKernels,
  x: number,
  g: number,
  m: number,
  v: number,
  rows: number,
  nRows: number,
  cols: number,
  compact: boolean,
  copy: number,
  k: AdamConstants,
): void {
  simd.adam_rows(x, g, m, v, rows, nRows, cols, compact ? 1 : 0, copy, ...simdArgs(k));
}
