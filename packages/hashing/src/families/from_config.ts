import { HashFamily, HashFamilyConfig } from './hash_family.js';
import { LearnedHash } from './learned.js';
import { SimHash } from './simhash.js';
import { DWTAHash, WTAHash } from './wta.js';
import { fail } from '@hashlayers/core/internal';

/** Rebuilds a hash family from getConfig() output (LearnedHash gets its seeded initial projection). */
export function hashFamilyFromConfig(config: HashFamilyConfig): HashFamily {
  switch (config?.className) {
    case 'SimHash':
      return SimHash.fromConfig(config);
    case 'WTAHash':
      return WTAHash.fromConfig(config);
    case 'DWTAHash':
      return DWTAHash.fromConfig(config);
    case 'LearnedHash':
      return LearnedHash.fromConfig(config);
    default:
      return fail('config.className', "'SimHash', 'WTAHash', 'DWTAHash' or 'LearnedHash'", config?.className);
  }
}
