import * as tf from '@tensorflow/tfjs-core';
import { runKernel } from '@hashlayers/core/internal';
import { lutSumKernel } from '../kernels/lut_sum.js';
import { lutSumTableGradKernel } from '../kernels/lut_sum_table_grad.js';

/**
 * Gradient of the table sum (registered by register.ts). The output is
 * linear in the table entries: dT[c, k, m] = Σ over rows whose code c is k
 * of dy[row, m] (a scatter-add kernel), so model.fit trains the tables. The
 * integer codes get a zero gradient (tfjs wants float32 gradients).
 */
export const lutSumGradConfig: tf.GradConfig = {
  kernelName: lutSumKernel.kernelName,
  inputsToSave: ['codes', 'tables'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [codes, tables] = saved;
    return {
      codes: () => tf.zeros(codes.shape),
      tables: () => {
        const g = runKernel(lutSumTableGradKernel, { codes, dy: dy as tf.Tensor }, {})[0];
        if (tables.dtype === 'float32') return g;
        const cast = tf.cast(g, tables.dtype);
        g.dispose();
        return cast;
      },
    };
  },
};
