import * as tf from '@tensorflow/tfjs-core';
import { assertFiniteTensor, assertMatrix, fail } from '@hashlayers/core/internal';
import { assertTrees, maddnessEncodeUnchecked } from './maddness_encode.js';
import { assertTables, lutSumTableGrad, lutSumUnchecked } from './lut_sum.js';

/**
 * Gradient with respect to the input of the look-up product (the encoding
 * is piecewise constant, so its true gradient is zero almost everywhere):
 * - 'none': no gradient flows to the input (layers before a LUT layer get
 *   no signal through it);
 * - 'ste': straight-through estimator: the encoding x → x̂ (the sum of the
 *   selected prototypes) is treated as the identity, so dx = dy · Wᵀ with W
 *   the dense kernel the tables approximate (for 'reconstruct' tables,
 *   T = P·W exactly).
 */
export type InputGradient = 'none' | 'ste';

export interface LutMatMulOptions {
  /** The dense kernel [D, M] used by the straight-through input gradient; omit for no input gradient. */
  steKernel?: tf.Tensor2D;
}

/**
 * The MADDNESS approximate product x·W ≈ Σ_c tables[c, code_c(x)]: encode
 * x [N, D] with the trees (splitDims [C, 4], thresholds [C, 15]) and sum
 * the selected rows of tables [C, 16, M]. Differentiable with respect to
 * the tables; with respect to x only with `steKernel`.
 */
export function lutMatMul(
  x: tf.Tensor2D,
  splitDims: tf.Tensor2D,
  thresholds: tf.Tensor2D,
  tables: tf.Tensor3D,
  options: LutMatMulOptions = {},
): tf.Tensor2D {
  const xx = assertMatrix('x', x, { allowEmpty: true });
  const { codebooks } = assertTrees(splitDims, thresholds, xx.shape[1]);
  assertFiniteTensor('x', xx); // NaN/Infinity rows would give finite, plausible outputs
  const t = assertTables(tables, codebooks);
  if (options.steKernel != null) {
    assertMatrix('steKernel', options.steKernel, { rows: xx.shape[1], cols: t.shape[2] });
  }
  return lutMatMulUnchecked(xx, splitDims, thresholds, t, options.steKernel ?? null);
}

/** lutMatMul without validation (the layer's hot path). */
export function lutMatMulUnchecked(
  x: tf.Tensor2D,
  splitDims: tf.Tensor,
  thresholds: tf.Tensor,
  tables: tf.Tensor,
  steKernel: tf.Tensor2D | null,
): tf.Tensor2D {
  if (steKernel == null) {
    return tf.tidy(() => lutSumUnchecked(maddnessEncodeUnchecked(x, splitDims, thresholds), tables));
  }
  if (tables.dtype !== 'float32') fail('tables', "float32 tables for the 'ste' input gradient", tables.dtype);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, tIn, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const codes = maddnessEncodeUnchecked(xIn as tf.Tensor2D, splitDims, thresholds);
    save([codes]);
    return {
      value: lutSumUnchecked(codes, tIn),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(steKernel)),
        lutSumTableGrad(saved[0] as tf.Tensor2D, dy as tf.Tensor2D),
      ],
    };
  });
  return f(x, tables) as tf.Tensor2D;
}
