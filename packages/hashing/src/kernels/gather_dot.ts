import { KernelSpec } from './kernel_spec.js';

function checkCandidate(c: number, numItems: number, i: number, j: number): void {
  if (c >= numItems || c < -1) {
    throw new Error(
      `candidates: expected item ids in [0, ${numItems}) or -1 for padding, got ${c} at [${i}, ${j}]`,
    );
  }
}

/**
 * scores[i, j] = queries[i] · items[candidates[i, j]] (0 where the candidate
 * is the padding id -1). Exact scores for the retrieved candidates only.
 */
export const gatherDotKernel: KernelSpec<Record<string, never>> = {
  kernelName: 'HashlayersGatherDot',
  inputNames: ['queries', 'items', 'candidates'],
  outputs: (s) => [{ shape: [s.candidates[0], s.candidates[1]], dtype: 'float32' }],
  compute({ queries, items, candidates }, [out], shapes) {
    const [batch, width] = shapes.candidates;
    const [numItems, dim] = shapes.items;
    for (let i = 0; i < batch; i++) {
      const q = i * dim;
      for (let j = 0; j < width; j++) {
        const c = candidates[i * width + j];
        checkCandidate(c, numItems, i, j);
        if (c < 0) {
          out[i * width + j] = 0;
          continue;
        }
        const w = c * dim;
        let s = 0;
        for (let k = 0; k < dim; k++) s += queries[q + k] * items[w + k];
        out[i * width + j] = s;
      }
    }
  },
};

/** out[i] = Σ_j weights[i, j] · items[candidates[i, j]]: d scores / d queries. */
export const gatherWeightedSumKernel: KernelSpec<Record<string, never>> = {
  kernelName: 'HashlayersGatherWeightedSum',
  inputNames: ['weights', 'items', 'candidates'],
  outputs: (s) => [{ shape: [s.candidates[0], s.items[1]], dtype: 'float32' }],
  compute({ weights, items, candidates }, [out], shapes) {
    const [batch, width] = shapes.candidates;
    const [numItems, dim] = shapes.items;
    out.fill(0);
    for (let i = 0; i < batch; i++) {
      const o = i * dim;
      for (let j = 0; j < width; j++) {
        const c = candidates[i * width + j];
        checkCandidate(c, numItems, i, j);
        const g = weights[i * width + j];
        if (c < 0 || g === 0) continue;
        const w = c * dim;
        for (let k = 0; k < dim; k++) out[o + k] += g * items[w + k];
      }
    }
  },
};

export interface ScatterOuterAddAttrs {
  numItems: number;
}

/**
 * out[candidates[i, j]] += weights[i, j] · queries[i]; rows never retrieved
 * stay 0. This is d scores / d items, a scatter-add (the wasm backend has no
 * UnsortedSegmentSum, so the default gradient of gather cannot run there).
 */
export const scatterOuterAddKernel: KernelSpec<ScatterOuterAddAttrs> = {
  kernelName: 'HashlayersScatterOuterAdd',
  inputNames: ['weights', 'queries', 'candidates'],
  outputs: (s, a) => [{ shape: [a.numItems, s.queries[1]], dtype: 'float32' }],
  compute({ weights, queries, candidates }, [out], shapes, { numItems }) {
    const [batch, width] = shapes.candidates;
    const dim = shapes.queries[1];
    out.fill(0);
    for (let i = 0; i < batch; i++) {
      const q = i * dim;
      for (let j = 0; j < width; j++) {
        const c = candidates[i * width + j];
        checkCandidate(c, numItems, i, j);
        const g = weights[i * width + j];
        if (c < 0 || g === 0) continue;
        const w = c * dim;
        for (let k = 0; k < dim; k++) out[w + k] += g * queries[q + k];
      }
    }
  },
};
