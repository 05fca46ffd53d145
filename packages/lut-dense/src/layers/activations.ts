import * as tf from '@tensorflow/tfjs-core';
import { assertOneOf } from '@hashlayers/core/internal';

export const ACTIVATIONS = [
  'linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hardSigmoid', 'tanh', 'softmax', 'softplus', 'softsign', 'swish',
] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

export function checkActivation(name: unknown): ActivationName {
  return assertOneOf('activation', name ?? 'linear', ACTIVATIONS);
}

/** The same element-wise functions as tf.layers' activations of these names. */
export function applyActivation(name: ActivationName, x: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.clipByValue(x, 0, 6);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'hardSigmoid':
      return tf.tidy(() => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1));
    case 'tanh':
      return tf.tanh(x);
    case 'softmax':
      return tf.softmax(x);
    case 'softplus':
      return tf.softplus(x);
    case 'softsign':
      return tf.tidy(() => tf.div(x, tf.add(tf.abs(x), 1)));
    case 'swish':
      return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
  }
}
