import * as tf from '@tensorflow/tfjs-core';
import { registerGatherDotGradient } from '../gradients/gather_dot_grad.js';
import { gatherDotKernel } from '../kernels/gather_dot.js';
import { runKernel } from '../kernels/kernel_spec.js';
import { assertMatrix, fail } from '../util/validate.js';

/**
 * Exact scores for retrieved candidates only: scores[i, j] =
 * queries[i] · items[candidates[i, j]], 0 for padding (-1). Differentiable
 * with respect to queries and items (our own gather/scatter-add gradient
 * kernels, so it trains on every backend, wasm included).
 *
 * @param queries [batch, dim] float32
 * @param items [numItems, dim] float32 (e.g. the transposed output kernel)
 * @param candidates [batch, width] int32 item ids, -1 for padding
 */
export function gatherDot(queries: tf.Tensor2D, items: tf.Tensor2D, candidates: tf.Tensor2D): tf.Tensor2D {
  assertMatrix('items', items);
  assertMatrix('queries', queries, { cols: items.shape[1] });
  assertMatrix('candidates', candidates, { dtype: 'int32', rows: queries.shape[0], allowEmpty: true });
  if (candidates.shape[0] !== queries.shape[0]) fail('candidates', `${queries.shape[0]} rows`, candidates);
  registerGatherDotGradient();
  return runKernel(gatherDotKernel, { queries, items, candidates }, {})[0] as tf.Tensor2D;
}
