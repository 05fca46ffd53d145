import * as tf from '@tensorflow/tfjs-core';
import { assertMatrix, fail, runKernel } from '@hashlayers/core/internal';
import { lutSumKernel } from '../kernels/lut_sum.js';
import { lutSumTableGradKernel } from '../kernels/lut_sum_table_grad.js';
import { LEAVES } from '../kernels/maddness_encode.js';

/**
 * Checks tables [C, 16, units]: float32, or int32 for 8-bit quantised
 * tables (core's assertMatrix covers rank 2 only, and the 16-row layout is
 * MADDNESS's own).
 */
export function assertTables(tables: unknown, codebooks?: number): tf.Tensor3D {
  if (!(tables instanceof tf.Tensor)) fail('tables', 'a tf.Tensor', typeof tables);
  const t = tables as tf.Tensor;
  if (t.isDisposed) fail('tables', 'a live tensor', 'a disposed tensor');
  if (t.dtype !== 'float32' && t.dtype !== 'int32') fail('tables', 'dtype float32 (or int32 for quantised tables)', t.dtype);
  if (t.rank !== 3 || t.shape[1] !== LEAVES || (codebooks != null && t.shape[0] !== codebooks)) {
    fail('tables', `shape [${codebooks ?? 'C'}, ${LEAVES}, units]`, `shape [${t.shape.join(', ')}]`);
  }
  return t as tf.Tensor3D;
}

/** Table gradient: dT[c, k, m] = Σ over rows whose code c is k of dy[row, m]; [C, 16, M]. */
export function lutSumTableGrad(codes: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor3D {
  return runKernel(lutSumTableGradKernel, { codes, dy }, {})[0] as tf.Tensor3D;
}

/**
 * out[n, m] = Σ_c tables[c, codes[n, c], m] for codes [N, C] int32 (leaf
 * indices in [0, 16), e.g. from maddnessEncode) and tables [C, 16, M]
 * (float32, or int32 for 8-bit tables); [N, M] float32. Differentiable with
 * respect to the tables (the output is linear in them), so an optimizer can
 * train the tables.
 */
export function lutSum(codes: tf.Tensor2D, tables: tf.Tensor3D): tf.Tensor2D {
  const c = assertMatrix('codes', codes, { dtype: 'int32', allowEmpty: true });
  const t = assertTables(tables);
  if (c.shape[1] !== t.shape[0]) fail('codes', `${t.shape[0]} columns (one per codebook of tables)`, `shape [${c.shape.join(', ')}]`);
  return runKernel(lutSumKernel, { codes: c, tables: t }, {})[0] as tf.Tensor2D;
}

/** lutSum without validation (the layer's hot path). */
export function lutSumUnchecked(codes: tf.Tensor2D, tables: tf.Tensor): tf.Tensor2D {
  return runKernel(lutSumKernel, { codes, tables }, {})[0] as tf.Tensor2D;
}
