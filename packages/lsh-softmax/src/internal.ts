/**
 * @hashlayers/lsh-softmax/internal — what the other hashlayers packages (the
 * lss package's hash trainer and callback) and the benchmarks reach inside
 * an LSHSoftmax beyond its public surface: the layer's hash family, index,
 * retrieval, label validation and candidate sets (`lshSoftmaxInternals`),
 * and the candidate-set machinery of the training loss.
 *
 * UNSTABLE: for @hashlayers/* packages only; not covered by semver.
 */
export { lshSoftmaxInternals } from './layers/lsh_softmax.js';
export type { LSHSoftmaxInternals } from './layers/lsh_softmax.js';
export { buildCandidates, PAD } from './candidates.js';
export type { CandidateBatch, CandidateOptions } from './candidates.js';
export { candidateLogits, candidateSoftmaxLoss } from './ops/candidate_softmax.js';
