import * as tf from '@tensorflow/tfjs-core';
import {
  gatherDotKernel,
  gatherWeightedSumKernel,
  scatterOuterAddKernel,
} from '../kernels/gather_dot.js';
import { runKernel } from '@hashlayers/core/internal';

/** d/dqueries and d/ditems of gatherDot, through our own gather/scatter kernels (registered by register.ts). */
export const gatherDotGradConfig: tf.GradConfig = {
  kernelName: gatherDotKernel.kernelName,
  inputsToSave: ['queries', 'items', 'candidates'],
  gradFunc: (dy, saved) => {
    const [queries, items, candidates] = saved;
    const g = dy as tf.Tensor;
    return {
      queries: () => runKernel(gatherWeightedSumKernel, { weights: g, items, candidates }, {})[0],
      items: () =>
        runKernel(
          scatterOuterAddKernel,
          { weights: g, queries, candidates },
          { numItems: items.shape[0] },
        )[0],
      candidates: () => tf.zeros(candidates.shape), // ids have no gradient; tfjs wants float32 gradients
    };
  },
};
