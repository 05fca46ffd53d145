import * as tf from '@tensorflow/tfjs';
import { SimHash } from '@hashlayers/hashing';

/**
 * The projection [dim, rows·bits] a sketch draws from its seed, from its definition: SimHash's
 * gaussian or sparse draw, and for 'sign' the signs of the gaussian draw (0 counts as −1).
 */
export function referenceProjection(dim: number, rows: number, bits: number, seed: number, kind: 'gaussian' | 'sign' | 'sparse', density = 1 / 3): Float64Array {
  const f = new SimHash({ inputDim: dim, tables: rows, bits, seed, projection: kind === 'sparse' ? 'sparse' : 'gaussian', density });
  const p = Float64Array.from(f.getProjection().dataSync());
  f.dispose();
  if (kind === 'sign') for (let i = 0; i < p.length; i++) p[i] = p[i] > 0 ? 1 : -1;
  return p;
}

/**
 * Float64 reference of a sketch's output: codes from the signs of (x − c)·p (bit k of row r from
 * column r·bits + k), then Σ_r w_r · C[r, code, :]. `ambiguous[b]` marks queries with a |dot| below
 * `tie`, whose sign float32 rounding may decide.
 */
export function referenceOutput(
  x: ArrayLike<number>, batch: number, dim: number, center: ArrayLike<number>, p: Float64Array,
  rows: number, bits: number, counts: ArrayLike<number>, outputs: number, w: ArrayLike<number>, tie = 1e-4,
): { out: Float64Array; codes: Int32Array; ambiguous: boolean[] } {
  const cells = 2 ** bits;
  const out = new Float64Array(batch * outputs);
  const codes = new Int32Array(batch * rows);
  const ambiguous: boolean[] = [];
  for (let b = 0; b < batch; b++) {
    ambiguous.push(false);
    for (let r = 0; r < rows; r++) {
      let code = 0;
      for (let k = 0; k < bits; k++) {
        let dot = 0;
        for (let i = 0; i < dim; i++) dot += (x[b * dim + i] - center[i]) * p[i * rows * bits + r * bits + k];
        if (Math.abs(dot) < tie) ambiguous[b] = true;
        if (dot > 0) code |= 1 << k;
      }
      codes[b * rows + r] = code;
      for (let o = 0; o < outputs; o++) out[b * outputs + o] += w[r] * counts[(r * cells + code) * outputs + o];
    }
  }
  return { out, codes, ambiguous };
}

/** Deterministic pseudo-random values in [lo, hi). */
export function values(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = lo + ((s >>> 0) / 2 ** 32) * (hi - lo);
  }
  return out;
}

/** The weights of a layer by their short names. */
export function weightIndex(layer: tf.layers.Layer): (name: string) => number {
  const names = layer.weights.map((v) => v.originalName.split('/').pop());
  return (name) => names.indexOf(name);
}
