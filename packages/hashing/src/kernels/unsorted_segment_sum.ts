import { KernelSpec } from '@hashlayers/core/internal';

export interface UnsortedSegmentSumAttrs {
  numSegments: number;
}

/**
 * tfjs-core's UnsortedSegmentSum (out[segmentIds[i]] += x[i]) for backends
 * that lack it: the wasm backend has none, so the default gradient of
 * tf.gather (embeddings, row gathers) fails there. Registered for wasm only,
 * and only when no wasm kernel of that name exists.
 */
export const unsortedSegmentSumKernel: KernelSpec<UnsortedSegmentSumAttrs> = {
  kernelName: 'UnsortedSegmentSum',
  inputNames: ['x', 'segmentIds'],
  outputs: (s, a) => [{ shape: [a.numSegments, ...s.x.slice(1)], dtype: 'float32' }],
  compute({ x, segmentIds }, [out], shapes, { numSegments }) {
    const n = shapes.x[0] ?? 0;
    const inner = n === 0 ? 0 : x.length / n;
    out.fill(0);
    for (let i = 0; i < n; i++) {
      const s = segmentIds[i];
      if (s < 0 || s >= numSegments) continue; // TensorFlow drops out-of-range ids
      const o = s * inner;
      const xi = i * inner;
      for (let k = 0; k < inner; k++) out[o + k] += x[xi + k];
    }
  },
};
