/**
 * @hashlayers/hashing/internal — what the layer packages of hashlayers need
 * from the hashing package beyond its public surface.
 *
 * UNSTABLE: for @hashlayers/* packages only; not covered by semver.
 */
import './register.js';

export { raceInsert, srpKernel } from './sketch/race_sketch.js';
export type { RaceLayout } from './sketch/race_sketch.js';
export { topKOverCandidates } from './kernels/candidate_top_k.js';
export type { CandidateScorer, CandidateTopKOutputs } from './kernels/candidate_top_k.js';
