import * as tf from '@tensorflow/tfjs-core';
import { maddnessEncodeKernel } from '../kernels/maddness_encode.js';

/**
 * Gradient of the MADDNESS encoding (registered by register.ts): the codes
 * are piecewise constant in x, so every input gets a zero gradient (a
 * straight-through input gradient is lutMatMul's 'ste' option instead).
 */
export const maddnessEncodeGradConfig: tf.GradConfig = {
  kernelName: maddnessEncodeKernel.kernelName,
  inputsToSave: ['x', 'splitDims', 'thresholds'],
  gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({
    x: () => tf.zeros(saved[0].shape),
    splitDims: () => tf.zeros(saved[1].shape),
    thresholds: () => tf.zeros(saved[2].shape),
  }),
};
