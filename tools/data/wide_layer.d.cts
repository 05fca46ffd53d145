import type * as tf from '@tensorflow/tfjs';

export function syntheticWideLayer(units: number, opts?: { d?: number; queries?: number }): {
  w: tf.Tensor2D; b: tf.Tensor1D; h: tf.Tensor2D; labels: Int32Array;
};
export function layerWith(w: tf.Tensor2D, b: tf.Tensor1D, opts?: Record<string, unknown>): import('../../packages/lsh-softmax/src').LSHSoftmax;
