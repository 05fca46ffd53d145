import * as tf from '@tensorflow/tfjs-core';
import { simHash } from '@hashlayers/hashing';
import { assertInt, assertMatrix, fail } from '@hashlayers/core/internal';

/**
 * SRP bucket ids [batch, rows] of (x − center) through the projection
 * [inputDim, rows·bits]: bit k of row r is the sign of (x − center)·P[:, r·bits + k].
 *
 * The codes are piecewise constant in x, so the op has a zero gradient: a
 * model with a RepresenterSketch behind trainable layers still backpropagates
 * (to the counts; the earlier layers receive no signal through the codes).
 */
export function sketchCodes(
  x: tf.Tensor2D,
  center: tf.Tensor1D,
  projection: tf.Tensor2D,
  opts: { rows: number; bits: number },
): tf.Tensor2D {
  const rows = assertInt('rows', opts.rows, 1, 4096);
  const bits = assertInt('bits', opts.bits, 1, 30);
  assertMatrix('projection', projection, { cols: rows * bits });
  const dim = projection.shape[0];
  assertMatrix('x', x, { cols: dim });
  if (!(center instanceof tf.Tensor) || center.rank !== 1 || center.shape[0] !== dim) fail('center', `a tensor [${dim}]`, center);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xi = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([xi]);
    const value = tf.tidy(() => simHash(tf.sub(xi, center) as tf.Tensor2D, projection, { tables: rows, bits }));
    return { value, gradFunc: (_dy: tf.Tensor, saved: tf.Tensor[]) => tf.zerosLike(saved[0]) };
  });
  return f(x) as tf.Tensor2D;
}
