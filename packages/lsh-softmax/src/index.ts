/** @hashlayers/lsh-softmax: a softmax output layer that computes logits only for hash-retrieved classes. */
export { LSHSoftmax, lshSoftmax, lshSoftmaxLoss, denseWeights } from './layers/lsh_softmax.js';
export type { LSHSoftmaxArgs, LabelRecall, TopK, TrainingStats, InitializerName } from './layers/lsh_softmax.js';
export { RehashCallback } from './callbacks/rehash_callback.js';
export type { RehashCallbackArgs, RehashEvent } from './callbacks/rehash_callback.js';
export { convertDenseSoftmax, featureModel, predictTopK, trainingModel } from './model_utils.js';
export { buildCandidates, PAD } from './candidates.js';
export type { CandidateBatch, CandidateOptions } from './candidates.js';
export { candidateLogits, candidateSoftmaxLoss } from './ops/candidate_softmax.js';
