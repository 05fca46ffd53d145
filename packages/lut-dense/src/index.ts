/**
 * @hashlayers/lut-dense: LUTDense, a look-up-table (MADDNESS) replacement for
 * tfjs Dense layers; convertToLUTDense converts a trained model, and
 * ProgressiveLUTReplacement fine-tunes it during model.fit.
 *
 * @packageDocumentation
 */
import './register.js';

export { LUTDense, lutDense } from './layers/lut_dense.js';
export type { HardenOptions, HardenReport, LUTDenseArgs, LUTParams, SoftAssignment } from './layers/lut_dense.js';
export { convertToLUTDense, quantizeLUTDense } from './convert.js';
export type { ConvertToLUTDenseOptions, LUTDenseConversion, QuantizationReport } from './convert.js';
export type { FitLUTOptions, FitReport, Objective } from './fit/solve_lut.js';
export type { Partition } from './fit/partition.js';
export { ProgressiveLUTReplacement } from './callbacks/progressive_lut_replacement.js';
export type { ProgressiveLUTReplacementArgs, ReplacementEvent } from './callbacks/progressive_lut_replacement.js';
export { hardenSoftLUT, SoftLUTAnnealing } from './callbacks/soft_lut_annealing.js';
export type { HardenSoftLUTOptions, SoftLUTAnnealingArgs } from './callbacks/soft_lut_annealing.js';
// the three ops a LUTDense layer is made of, for use with a layer's parameters outside a layer
export { maddnessEncode } from './ops/maddness_encode.js';
export { lutSum } from './ops/lut_sum.js';
export { lutMatMul } from './ops/lut_matmul.js';
export type { InputGradient, LutMatMulOptions } from './ops/lut_matmul.js';
