import * as tf from '@tensorflow/tfjs-core';
import { assertMatrix, fail, runKernel } from '@hashlayers/core/internal';
import { sketchLookupKernel } from '../kernels/sketch_lookup.js';

/**
 * Reads each query's bucket in every row of the count arrays and aggregates:
 * out[b, :] = Σ_r rowWeights[r] · counts[r, codes[b, r], :].
 *
 * Differentiable in counts (scatter-add) and rowWeights; the codes are
 * integers (zero gradient).
 *
 * @param codes [batch, rows] int32 bucket ids in [0, cells)
 * @param counts [rows, cells, outputs] float32
 * @param rowWeights [rows] float32 (1/rows everywhere for the mean)
 */
export function sketchLookup(codes: tf.Tensor2D, counts: tf.Tensor3D, rowWeights: tf.Tensor1D): tf.Tensor2D {
  if (!(counts instanceof tf.Tensor) || counts.rank !== 3 || counts.dtype !== 'float32') {
    fail('counts', 'a float32 tensor [rows, cells, outputs]', counts);
  }
  const [rows, cells] = counts.shape;
  assertMatrix('codes', codes, { cols: rows, dtype: 'int32' });
  if (!(rowWeights instanceof tf.Tensor) || rowWeights.rank !== 1 || rowWeights.shape[0] !== rows || rowWeights.dtype !== 'float32') {
    fail('rowWeights', `a float32 tensor [${rows}]`, rowWeights);
  }
  if (cells < 1) fail('counts', 'at least one cell per row', counts);
  return runKernel(sketchLookupKernel, { codes, counts, rowWeights }, {})[0] as tf.Tensor2D;
}
