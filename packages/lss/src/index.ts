/**
 * @hashlayers/lss: Label Superior Sampling, a wide output layer whose
 * candidates come from a hash learned to retrieve the correct label: `lss()`
 * (an LSHSoftmax with the learned hash family), LSSHashTrainer,
 * LSSHashCallback and convertToLSS.
 *
 * @packageDocumentation
 */
export { convertToLSS, lss } from './layers/lss.js';
export type { ConvertToLSSOptions, LSSArgs } from './layers/lss.js';
export { LSSHashTrainer } from './train/hash_trainer.js';
export type { LSSHashTrainerArgs, HashFitReport } from './train/hash_trainer.js';
export { LSSHashCallback } from './callbacks/lss_hash_callback.js';
export type { LSSHashCallbackArgs, LSSHashEvent } from './callbacks/lss_hash_callback.js';
