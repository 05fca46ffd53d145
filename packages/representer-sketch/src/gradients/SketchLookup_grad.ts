import * as tf from '@tensorflow/tfjs-core';
import { runKernel } from '@hashlayers/core/internal';
import { sketchLookupKernel } from '../kernels/sketch_lookup.js';
import { sketchRowGradKernel } from '../kernels/sketch_row_grad.js';
import { sketchScatterKernel } from '../kernels/sketch_scatter.js';

/**
 * Gradients of sketchLookup (registered by register.ts): a scatter-add into
 * the counts (the output is linear in them), a gathered dot product for the
 * row weights, and zero for the integer codes.
 */
export const sketchLookupGradConfig: tf.GradConfig = {
  kernelName: sketchLookupKernel.kernelName,
  inputsToSave: ['codes', 'counts', 'rowWeights'],
  gradFunc: (dy, saved) => {
    const [codes, counts, rowWeights] = saved;
    const g = dy as tf.Tensor;
    return {
      // tfjs requires float32 gradients, also for integer inputs
      codes: () => tf.zeros(codes.shape, 'float32'),
      counts: () => runKernel(sketchScatterKernel, { dy: g, codes, rowWeights }, { cells: counts.shape[1] as number })[0],
      rowWeights: () => runKernel(sketchRowGradKernel, { dy: g, codes, counts }, {})[0],
    };
  },
};
