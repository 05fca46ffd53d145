import { fail } from '@hashlayers/core/internal';
import { LEAVES } from '../kernels/maddness_encode.js';

/** GᵀG + λI for the one-hot leaf matrix G [n, C·16] (float64, row-major K×K). */
export function gram(codes: Int32Array, n: number, c: number, lambda: number): Float64Array {
  const k = c * LEAVES;
  const a = new Float64Array(k * k);
  const idx = new Int32Array(c);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) idx[j] = j * LEAVES + codes[i * c + j];
    for (let p = 0; p < c; p++) {
      const row = idx[p] * k;
      for (let q = 0; q < c; q++) a[row + idx[q]] += 1;
    }
  }
  for (let p = 0; p < k; p++) a[p * k + p] += lambda;
  return a;
}

/** Gᵀ Y for Y [n, m] (float64 [C·16, m]); zero entries of Y are skipped (sparse activations). */
export function gTimes(codes: Int32Array, n: number, c: number, y: ArrayLike<number>, m: number): Float64Array {
  const out = new Float64Array(c * LEAVES * m);
  const base = new Int32Array(c);
  for (let i = 0; i < n; i++) {
    const r = i * m;
    for (let j = 0; j < c; j++) base[j] = (j * LEAVES + codes[i * c + j]) * m;
    for (let q = 0; q < m; q++) {
      const v = y[r + q];
      if (v === 0) continue;
      for (let j = 0; j < c; j++) out[base[j] + q] += v;
    }
  }
  return out;
}

/** Solves A X = B in place (B [k, m] becomes X) for symmetric positive-definite A [k, k] (Cholesky). */
export function choleskySolve(a: Float64Array, k: number, b: Float64Array, m: number): Float64Array {
  const l = new Float64Array(a);
  for (let j = 0; j < k; j++) {
    let s = l[j * k + j];
    for (let p = 0; p < j; p++) s -= l[j * k + p] * l[j * k + p];
    if (!(s > 0)) fail('lambda', 'a positive ridge penalty (the system is singular)', `pivot ${s} at row ${j}`);
    const dj = Math.sqrt(s);
    l[j * k + j] = dj;
    for (let i = j + 1; i < k; i++) {
      let t = l[i * k + j];
      for (let p = 0; p < j; p++) t -= l[i * k + p] * l[j * k + p];
      l[i * k + j] = t / dj;
    }
  }
  // forward: L Z = B
  for (let i = 0; i < k; i++) {
    for (let p = 0; p < i; p++) {
      const f = l[i * k + p];
      if (f === 0) continue;
      for (let q = 0; q < m; q++) b[i * m + q] -= f * b[p * m + q];
    }
    const inv = 1 / l[i * k + i];
    for (let q = 0; q < m; q++) b[i * m + q] *= inv;
  }
  // backward: Lᵀ X = Z
  for (let i = k - 1; i >= 0; i--) {
    for (let p = i + 1; p < k; p++) {
      const f = l[p * k + i];
      if (f === 0) continue;
      for (let q = 0; q < m; q++) b[i * m + q] -= f * b[p * m + q];
    }
    const inv = 1 / l[i * k + i];
    for (let q = 0; q < m; q++) b[i * m + q] *= inv;
  }
  return b;
}

/** A [r, s] · B [s, t] in float64 (B may be float32). */
export function matmul(a: Float64Array, r: number, s: number, b: ArrayLike<number>, t: number): Float64Array {
  const out = new Float64Array(r * t);
  for (let i = 0; i < r; i++) {
    for (let p = 0; p < s; p++) {
      const f = a[i * s + p];
      if (f === 0) continue;
      const o = p * t;
      for (let q = 0; q < t; q++) out[i * t + q] += f * b[o + q];
    }
  }
  return out;
}
