import * as tf from '@tensorflow/tfjs-core';
import { assertMatrix, fail, registerKernelSpec, runKernel } from '@hashlayers/core/internal';
import { lutSumSpec } from '../kernels/lut_sum.js';
import { maddnessEncodeSpec } from '../kernels/maddness_encode.js';
import { lutSumTableGradSpec } from '../kernels/lut_sum_table_grad.js';
import { assertTables } from './validate.js';

let gradientRegistered = false;

/**
 * Registers the kernels of this package on every backend and the gradient
 * of the table sum with respect to its tables (idempotent). The gradient
 * with respect to the integer codes is zero.
 */
export function registerLutKernels(): void {
  registerKernelSpec(lutSumSpec);
  registerKernelSpec(lutSumTableGradSpec);
  registerKernelSpec(maddnessEncodeSpec);
  if (gradientRegistered || tf.getGradient(lutSumSpec.kernelName) != null) {
    gradientRegistered = true;
    return;
  }
  tf.registerGradient({
    kernelName: lutSumSpec.kernelName,
    inputsToSave: ['codes', 'tables'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [codes, tables] = saved;
      return {
        codes: () => tf.zeros(codes.shape),
        tables: () => {
          const g = lutSumTableGrad(codes as tf.Tensor2D, dy as tf.Tensor2D);
          return tables.dtype === 'float32' ? g : tf.cast(g, tables.dtype);
        },
      };
    },
  });
  // the encoding is piecewise constant: zero gradient with respect to x (see InputGradient)
  tf.registerGradient({
    kernelName: maddnessEncodeSpec.kernelName,
    inputsToSave: ['x', 'splitDims', 'thresholds'],
    gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({
      x: () => tf.zeros(saved[0].shape),
      splitDims: () => tf.zeros(saved[1].shape),
      thresholds: () => tf.zeros(saved[2].shape),
    }),
  });
  gradientRegistered = true;
}

/** Table gradient: dT[c, k, m] = Σ over rows whose code c is k of dy[row, m]; [C, 16, M]. */
export function lutSumTableGrad(codes: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor3D {
  return runKernel(lutSumTableGradSpec, { codes, dy }, {})[0] as tf.Tensor3D;
}

/**
 * out[n, m] = Σ_c tables[c, codes[n, c], m] for codes [N, C] int32 (leaf
 * indices in [0, 16)) and tables [C, 16, M]; [N, M] float32. Differentiable
 * with respect to the tables (the output is linear in them), so an
 * optimizer can train the tables.
 */
export function lutSum(codes: tf.Tensor2D, tables: tf.Tensor3D): tf.Tensor2D {
  const c = assertMatrix('codes', codes, { dtype: 'int32', allowEmpty: true });
  const t = assertTables(tables);
  if (c.shape[1] !== t.shape[0]) fail('codes', `${t.shape[0]} columns (one per codebook of tables)`, `shape [${c.shape.join(', ')}]`);
  registerLutKernels();
  return runKernel(lutSumSpec, { codes: c, tables: t }, {})[0] as tf.Tensor2D;
}

/** lutSum without validation (the layer's hot path). */
export function lutSumUnchecked(codes: tf.Tensor2D, tables: tf.Tensor): tf.Tensor2D {
  registerLutKernels();
  return runKernel(lutSumSpec, { codes, tables }, {})[0] as tf.Tensor2D;
}
