import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ActivationIdentifier } from '@tensorflow/tfjs-layers/dist/keras_format/activation_config.js';
import { fail } from '@hashlayers/core/internal';

export type { ActivationIdentifier };

/** What LUTDense uses of a tfjs-layers activation. */
export interface ActivationFn {
  apply(x: tf.Tensor): tf.Tensor;
  getClassName(): string;
}

/**
 * tfjs-layers' own activation of this name (getActivation), the same object
 * tf.layers.dense applies; its getClassName() is the serialized name
 * (serializeActivation). Reached through the public Activation layer:
 * tfjs-layers' `dist/activations` module cannot be imported at run time
 * (its ESM files import without extensions, and the CommonJS entry is one
 * bundle), so this is the one place that turns a name into the function.
 * The explicit layer name keeps the global layer-name counters untouched.
 * LUTDense needs no activation knowledge of its own; only the fitting knows
 * one name ('softmax', for the KL objective).
 */
export function getActivation(identifier: unknown): ActivationFn {
  const name = identifier ?? 'linear';
  let fn: ActivationFn | undefined;
  if (typeof name === 'string') {
    try {
      const layer = tfl.layers.activation({ activation: name as ActivationIdentifier, name: 'lut_dense_activation' });
      fn = (layer as unknown as { activation: ActivationFn }).activation;
    } catch {
      fn = undefined;
    }
  }
  if (fn == null || typeof fn.apply !== 'function' || fn instanceof tfl.layers.Layer) {
    fail('activation', "a tfjs-layers activation name ('linear', 'relu', 'softmax', 'gelu', ...)", typeof name === 'string' ? `'${name}'` : name);
  }
  return fn;
}

/** The serialized name of an activation (tfjs-layers' serializeActivation). */
export function serializeActivation(fn: ActivationFn): ActivationIdentifier {
  return fn.getClassName() as ActivationIdentifier;
}
