import type * as tf from '@tensorflow/tfjs';
import type { MnistSplit } from './mnist.cjs';

export function mnistMLP(seed?: number): tf.Sequential;
export function mnistHeadNetwork(opts?: { dim?: number; classes?: number; hidden?: number }): tf.Sequential;
export function frozenTwin<M extends tf.LayersModel>(build: () => M, model: tf.LayersModel, from: number): M;
export function mnistTensors(data: { dim: number; classes: number; train: MnistSplit; test: MnistSplit }): {
  xs: tf.Tensor2D; yl: tf.Tensor1D; ys: tf.Tensor2D; xt: tf.Tensor2D;
};
export function trainClassifier(
  model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor,
  opts: { epochs: number; batchSize: number; lr?: number; logits?: boolean; shuffle?: boolean },
): Promise<tf.History>;
export function randomDense(
  inputDim: number, units: number,
  opts?: { activation?: 'linear' | 'relu' | 'softmax'; seed?: number; biasStddev?: number },
): tf.layers.Layer;
export function denseWith(kernel: tf.Tensor2D, bias: tf.Tensor1D, activation?: 'linear' | 'relu' | 'softmax'): tf.layers.Layer;
