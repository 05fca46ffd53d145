import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@hashlayers/core/internal';

export function randn(rng: SeededRandom, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.gaussian();
  return a;
}

/** A pair of unit vectors at angle theta. */
export function pairAtAngle(rng: SeededRandom, dim: number, theta: number): [Float32Array, Float32Array] {
  const x = randn(rng, dim);
  const u = randn(rng, dim);
  const nx = Math.hypot(...x);
  for (let i = 0; i < dim; i++) x[i] /= nx;
  let d = 0;
  for (let i = 0; i < dim; i++) d += u[i] * x[i];
  for (let i = 0; i < dim; i++) u[i] -= d * x[i];
  const nu = Math.hypot(...u);
  const y = new Float32Array(dim);
  for (let i = 0; i < dim; i++) y[i] = Math.cos(theta) * x[i] + (Math.sin(theta) * u[i]) / nu;
  return [x, y];
}

export function rows(values: Float32Array[], dim: number): tf.Tensor2D {
  const flat = new Float32Array(values.length * dim);
  values.forEach((v, i) => flat.set(v, i * dim));
  return tf.tensor2d(flat, [values.length, dim]);
}

export function codesOf(t: tf.Tensor2D): Int32Array {
  const v = Int32Array.from(t.dataSync() as Int32Array);
  t.dispose();
  return v;
}
