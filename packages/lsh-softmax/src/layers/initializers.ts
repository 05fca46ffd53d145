import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Initializer, InitializerIdentifier } from '@tensorflow/tfjs-layers/dist/initializers.js';
import { fail } from '@hashlayers/core/internal';

export type { Initializer, InitializerIdentifier };

/** What a layer argument may name an initializer with, as in tf.layers.dense. */
export type InitializerArg = InitializerIdentifier | Initializer | tf.serialization.ConfigDict;

/**
 * tfjs-layers' own initializer for `identifier` (getInitializer: a name such
 * as 'heUniform', an initializer object, or its serialized config), and its
 * serialized form (serializeInitializer). Both are reached through a
 * tf.layers.dense that is never built: tfjs-layers' `dist/initializers`
 * module cannot be imported at run time (its ESM files import without
 * extensions, and the CommonJS entry is one bundle, whose registry a second
 * copy would not share).
 *
 * A name gets the layer's `seed` when the initializer takes one, so that a
 * seeded layer starts from the same weights every run (an initializer
 * object is used as given).
 */
export function getInitializer(arg: string, identifier: InitializerArg, seed: number): Initializer {
  const get = (id: unknown): Initializer => (tfl.layers.dense({ units: 1, kernelInitializer: id as InitializerIdentifier, name: 'lsh_softmax_initializer' }) as unknown as { kernelInitializer: Initializer }).kernelInitializer;
  let init: Initializer;
  try {
    init = get(identifier);
    if (typeof identifier === 'string') {
      const config = init.getConfig();
      if ('seed' in config && config.seed == null) init = get({ className: init.getClassName(), config: { ...config, seed } });
    }
  } catch {
    return fail(arg, "a tfjs-layers initializer (a name such as 'glorotUniform' or 'heUniform', an initializer object, or its config)", typeof identifier === 'string' ? `'${identifier}'` : identifier);
  }
  if (init == null || typeof init.apply !== 'function') fail(arg, 'a tfjs-layers initializer', identifier);
  return init;
}

/** The serialized initializer, as tf.layers.dense writes it into getConfig(). */
export function serializeInitializer(init: Initializer): tf.serialization.ConfigDictValue {
  return tfl.layers.dense({ units: 1, kernelInitializer: init, name: 'lsh_softmax_initializer' }).getConfig().kernelInitializer;
}

/**
 * An initializer of a kernel stored transposed ([units, dim], one row per
 * class): it draws the Dense kernel [dim, units] and transposes it, so that
 * fan-in initializers scale by the feature width and the values equal those
 * of tf.layers.dense with the same initializer.
 */
export function transposedInitializer(init: Initializer): Initializer {
  return {
    apply: (shape: number[], dtype?: tf.DataType) => tf.tidy(() => tf.transpose(init.apply([shape[1], shape[0]], dtype))),
  } as unknown as Initializer;
}
