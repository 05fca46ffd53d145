import * as tf from '@tensorflow/tfjs-core';
import { assertMatrix, runKernel } from '@hashlayers/core/internal';
import { maddnessEncodeSpec } from '../kernels/maddness_encode.js';
import { assertTrees } from './validate.js';
import { registerLutKernels } from './lut_sum.js';

/**
 * MADDNESS encoding of the rows of x [N, D]: one leaf index in [0, 16) per
 * codebook, [N, C] int32. A value equal to a node's threshold goes left
 * (the same rule as in fitting). Not differentiable (integer output).
 */
export function maddnessEncode(x: tf.Tensor2D, splitDims: tf.Tensor2D, thresholds: tf.Tensor2D): tf.Tensor2D {
  const xx = assertMatrix('x', x, { allowEmpty: true });
  assertTrees(splitDims, thresholds, xx.shape[1]);
  registerLutKernels();
  return runKernel(maddnessEncodeSpec, { x: xx, splitDims, thresholds }, {})[0] as tf.Tensor2D;
}

/** Encoding without validation, for the layer's hot path (parameters already checked). */
export function maddnessEncodeUnchecked(x: tf.Tensor2D, splitDims: tf.Tensor, thresholds: tf.Tensor): tf.Tensor2D {
  registerLutKernels();
  return runKernel(maddnessEncodeSpec, { x, splitDims, thresholds }, {})[0] as tf.Tensor2D;
}
