import * as tf from '@tensorflow/tfjs-core';
import { runKernel } from '@hashlayers/core/internal';
import { sketchPredictKernel } from '../kernels/sketch_predict.js';
import type { HashInputs } from './sketch_codes.js';

export interface CountInputs {
  /** float32 [rows, cells, outputs] (countBits 32) or int32 packed words. */
  counts: tf.Tensor;
  rowWeights: tf.Tensor1D;
  /** [scale, offset] of packed counts (any float32 [2] for countBits 32). */
  range: tf.Tensor1D;
  cells: number;
  outputs: number;
  countBits: number;
  mean: boolean;
}

/**
 * The sketch's output [batch, outputs] for features x [batch, d]: hash and look-up in one kernel.
 * Differentiable in float counts and the row weights (SketchPredict_grad recomputes the codes);
 * arguments are checked by the caller (the layer, which built them).
 */
export function sketchPredict(x: tf.Tensor2D, h: HashInputs, c: CountInputs): tf.Tensor2D {
  const { plan, thresholds, denseT, rows, bits, dense } = h;
  const { counts, rowWeights, range, cells, outputs, countBits, mean } = c;
  return runKernel(
    sketchPredictKernel,
    { x, plan, thresholds, denseT, counts, rowWeights, range },
    { rows, bits, dense, cells, outputs, countBits, mean },
  )[0] as tf.Tensor2D;
}
