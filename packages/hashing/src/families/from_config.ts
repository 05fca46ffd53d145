import * as tf from '@tensorflow/tfjs-core';
import { HashFamily, HashFamilyConfig } from './hash_family.js';
import { LearnedHash } from './learned.js';
import { SimHash } from './simhash.js';
import { DWTAHash, WTAHash } from './wta.js';
import { fail } from '@hashlayers/core/internal';

/**
 * Rebuilds a hash family from getConfig() output. `state` restores what the
 * config cannot (a LearnedHash's projections, as in `family.state`); without
 * it a LearnedHash gets its seeded initial projection. Families drawn from
 * the seed take no state.
 */
export function hashFamilyFromConfig(config: HashFamilyConfig, state?: Record<string, tf.Tensor>): HashFamily {
  let family: HashFamily;
  switch (config?.className) {
    case 'SimHash':
      family = SimHash.fromConfig(config);
      break;
    case 'WTAHash':
      family = WTAHash.fromConfig(config);
      break;
    case 'DWTAHash':
      family = DWTAHash.fromConfig(config);
      break;
    case 'LearnedHash':
      return LearnedHash.fromConfig(config, state);
    default:
      return fail('config.className', "'SimHash', 'WTAHash', 'DWTAHash' or 'LearnedHash'", config?.className);
  }
  if (state != null) family.setState(state);
  return family;
}
