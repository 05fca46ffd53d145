/** @hashlayers/hashing: seeded hash families, the bucket index, RACE sketches and custom ops. */
import './register.js';

export type { HashFamily, HashFamilyConfig } from './families/hash_family.js';
export { SeededHashFamily } from './families/hash_family.js';
export { SimHash } from './families/simhash.js';
export type { SimHashOptions } from './families/simhash.js';
export { WTAHash, DWTAHash } from './families/wta.js';
export type { WTAHashOptions, DWTAHashOptions } from './families/wta.js';
export { LearnedHash } from './families/learned.js';
export type { LearnedHashOptions } from './families/learned.js';
export { hashFamilyFromConfig } from './families/from_config.js';
export { HashIndex } from './index/hash_index.js';
export type {
  HashIndexOptions,
  SearchOptions,
  SearchResult,
  RetrieveOptions,
  BuildReport,
  RebuildReport,
  UpdateReport,
  Candidates,
} from './index/hash_index.js';
export type { BucketTables } from './kernels/retrieve_candidates.js';
export { RaceSketch } from './sketch/race_sketch.js';
export type { RaceSketchOptions, RaceQueryOptions } from './sketch/race_sketch.js';
export { simHash, packSignBits } from './ops/sim_hash.js';
export { wtaHash, dwtaHash } from './ops/wta_hash.js';
export type { WTAParams, DWTAParams } from './ops/wta_hash.js';
export { gatherDot } from './ops/gather_dot.js';
export type { GatherDotPath } from './ops/gather_dot.js';
export { retrieveCandidates } from './ops/retrieve_candidates.js';
export { candidateTopK } from './ops/candidate_top_k.js';
export type { CandidateTopKOptions, CandidateTopKResult } from './ops/candidate_top_k.js';
