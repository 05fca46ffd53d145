import * as tf from '@tensorflow/tfjs-core';
import { runKernel } from '@hashlayers/core/internal';
import { sketchCodesKernel } from '../kernels/sketch_codes.js';

/** The projection as the hash kernels take it: index lists, thresholds and (gaussian) the dense columns. */
export interface HashInputs {
  plan: tf.Tensor1D;
  thresholds: tf.Tensor1D;
  denseT: tf.Tensor;
  rows: number;
  bits: number;
  dense: boolean;
}

/**
 * SRP bucket ids [batch, rows] (int32) of features x [batch, d]: bit k of row r is the sign of
 * (x − center)·p_{r·bits+k} (the center is folded into the thresholds). Integer output, no
 * gradient (callers that need one wrap it). x is checked by the caller (the layer).
 */
export function sketchCodes(x: tf.Tensor2D, h: HashInputs): tf.Tensor2D {
  const { plan, thresholds, denseT, rows, bits, dense } = h;
  return runKernel(sketchCodesKernel, { x, plan, thresholds, denseT }, { rows, bits, dense })[0] as tf.Tensor2D;
}
