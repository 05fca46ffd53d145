import * as tf from '@tensorflow/tfjs-core';
import { lutMatMulU8Kernel } from '../kernels/lut_matmul_u8.js';

/**
 * Gradient of the fused 8-bit LUT kernel (registered by register.ts). Of its
 * inputs only the bias is trainable in a quantized LUTDense, and the output
 * is bias + (a function of x that is piecewise constant: the tree encoding),
 * so d/dbias = Σ_rows dy and every other input gets a zero gradient — for x
 * that is the true derivative almost everywhere, the same as a float
 * LUTDense with inputGradient 'none' (quantized layers accept no other).
 * Without it, model.fit of a model holding a quantized layer with a bias
 * failed ("gradient function not found").
 */
export const lutMatMulU8GradConfig: tf.GradConfig = {
  kernelName: lutMatMulU8Kernel.kernelName,
  inputsToSave: ['x', 'splitDims', 'thresholds', 'tables', 'scale', 'offset', 'bias'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs) => {
    const [x, splitDims, thresholds, tables, scale, offset, bias] = saved;
    const useBias = (attrs as unknown as { useBias: boolean }).useBias;
    const zeros = (t: tf.Tensor) => () => tf.zeros(t.shape);
    return {
      x: zeros(x),
      splitDims: zeros(splitDims),
      thresholds: zeros(thresholds),
      tables: zeros(tables),
      scale: zeros(scale),
      offset: zeros(offset),
      bias: () => (useBias ? tf.sum(dy as tf.Tensor, 0) : tf.zeros(bias.shape)),
    };
  },
};
