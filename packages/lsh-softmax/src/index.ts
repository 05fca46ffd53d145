/**
 * @hashlayers/lsh-softmax: LSHSoftmax, a softmax output layer that computes
 * logits only for the classes its hash tables retrieve (any hash family of
 * @hashlayers/hashing), in training and in inference; convertToLSHSoftmax
 * converts a trained model.
 *
 * @packageDocumentation
 */
export { LSHSoftmax, lshSoftmax, lshSoftmaxLoss } from './layers/lsh_softmax.js';
export type { ClassOptimizerArgs, LSHSoftmaxArgs, LSHSoftmaxHash, LabelRecall, TopK, TrainingStats } from './layers/lsh_softmax.js';
export type { InitializerArg } from './layers/initializers.js';
export { RehashCallback } from './callbacks/rehash_callback.js';
export type { RehashCallbackArgs, RehashEvent } from './callbacks/rehash_callback.js';
export { convertToLSHSoftmax, featureModel, predictTopK, trainingModel } from './model_utils.js';
export type { ConvertToLSHSoftmaxOptions, LSHSoftmaxReport } from './model_utils.js';
