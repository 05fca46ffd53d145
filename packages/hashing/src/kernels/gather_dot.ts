import { KernelSpec, onHeap, simdKernels } from '@hashlayers/core/internal';

/** Validates every candidate id before any arithmetic (kept out of the hot loops). */
export function checkCandidates(candidates: ArrayLike<number>, width: number, numItems: number): void {
  for (let p = 0; p < candidates.length; p++) {
    const c = candidates[p];
    if (c >= numItems || c < -1) {
      const i = Math.floor(p / width);
      throw new Error(
        `candidates: expected item ids in [0, ${numItems}) or -1 for padding, got ${c} at [${i}, ${p - i * width}]`,
      );
    }
  }
}

/** a[ao .. ao+dim) · b[bo .. bo+dim), four independent accumulators (breaks the add dependency chain). */
export function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < dim; k += 4) {
    s0 += a[ao + k] * b[bo + k];
    s1 += a[ao + k + 1] * b[bo + k + 1];
    s2 += a[ao + k + 2] * b[bo + k + 2];
    s3 += a[ao + k + 3] * b[bo + k + 3];
  }
  for (; k < dim; k++) s0 += a[ao + k] * b[bo + k];
  return s0 + s1 + (s2 + s3);
}

/** out[oo .. oo+dim) += g · src[so .. so+dim). */
function axpy(out: Float32Array | Int32Array, oo: number, g: number, src: ArrayLike<number>, so: number, dim: number): void {
  for (let k = 0; k < dim; k++) out[oo + k] += g * src[so + k];
}

/**
 * scores[i, j] = queries[i] · items[candidates[i, j]] (0 where the candidate
 * is the padding id -1). Exact scores for the retrieved candidates only.
 */
export const gatherDotKernel: KernelSpec<Record<string, never>> = {
  kernelName: 'HashlayersGatherDot',
  inputNames: ['queries', 'items', 'candidates'],
  outputs: (s) => [{ shape: [s.candidates[0], s.candidates[1]], dtype: 'float32' }],
  compute({ queries, items, candidates }, [out], shapes, _attrs, context) {
    const [batch, width] = shapes.candidates;
    const [numItems, dim] = shapes.items;
    checkCandidates(candidates, width, numItems);
    const simd = simdKernels(context?.wasmMemory);
    if (simd != null && onHeap(context?.wasmMemory as WebAssembly.Memory, queries, items, candidates, out)) {
      simd.gather_dot(queries.byteOffset, items.byteOffset, candidates.byteOffset, out.byteOffset, batch, width, dim);
      return;
    }
    for (let i = 0; i < batch; i++) {
      const q = i * dim;
      for (let j = 0; j < width; j++) {
        const c = candidates[i * width + j];
        out[i * width + j] = c < 0 ? 0 : dot(queries, q, items, c * dim, dim);
      }
    }
  },
};

/** out[i] = Σ_j weights[i, j] · items[candidates[i, j]]: d scores / d queries. */
export const gatherWeightedSumKernel: KernelSpec<Record<string, never>> = {
  kernelName: 'HashlayersGatherWeightedSum',
  inputNames: ['weights', 'items', 'candidates'],
  outputs: (s) => [{ shape: [s.candidates[0], s.items[1]], dtype: 'float32' }],
  compute({ weights, items, candidates }, [out], shapes, _attrs, context) {
    const [batch, width] = shapes.candidates;
    const [numItems, dim] = shapes.items;
    checkCandidates(candidates, width, numItems);
    out.fill(0);
    const simd = simdKernels(context?.wasmMemory);
    if (simd != null && onHeap(context?.wasmMemory as WebAssembly.Memory, weights, items, candidates, out)) {
      simd.gather_weighted_sum(weights.byteOffset, items.byteOffset, candidates.byteOffset, out.byteOffset, batch, width, dim);
      return;
    }
    for (let i = 0; i < batch; i++) {
      for (let j = 0; j < width; j++) {
        const c = candidates[i * width + j];
        const g = weights[i * width + j];
        if (c >= 0 && g !== 0) axpy(out, i * dim, g, items, c * dim, dim);
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
  compute({ weights, queries, candidates }, [out], shapes, { numItems }, context) {
    const [batch, width] = shapes.candidates;
    const dim = shapes.queries[1];
    checkCandidates(candidates, width, numItems);
    out.fill(0);
    const simd = simdKernels(context?.wasmMemory);
    if (simd != null && onHeap(context?.wasmMemory as WebAssembly.Memory, weights, queries, candidates, out)) {
      simd.scatter_outer_add(weights.byteOffset, queries.byteOffset, candidates.byteOffset, out.byteOffset, batch, width, dim);
      return;
    }
    for (let i = 0; i < batch; i++) {
      for (let j = 0; j < width; j++) {
        const c = candidates[i * width + j];
        const g = weights[i * width + j];
        if (c >= 0 && g !== 0) axpy(out, c * dim, g, queries, i * dim, dim);
      }
    }
  },
};
