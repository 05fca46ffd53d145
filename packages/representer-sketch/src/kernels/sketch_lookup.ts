import type { KernelSpec } from '@hashlayers/core/internal';

/** Attributes shared by the count-array kernels (none: sizes come from the shapes). */
export type SketchLookupAttrs = Record<string, never>;

/**
 * Count-array lookup and aggregation: out[b, o] = Σ_r w[r] · counts[r, codes[b, r], o].
 *
 * Inputs: codes [batch, rows] int32 (bucket ids in [0, cells)), counts
 * [rows, cells, outputs] float32, rowWeights [rows] float32. Output
 * [batch, outputs]. R·outputs multiply-adds per query, no dense product.
 */
export const sketchLookupKernel: KernelSpec<SketchLookupAttrs> = {
  kernelName: 'HashlayersSketchLookup',
  inputNames: ['codes', 'counts', 'rowWeights'],
  outputs: (s) => [{ shape: [s.codes[0], s.counts[2]], dtype: 'float32' }],
  compute(inputs, [out], shapes) {
    const codes = inputs.codes;
    const counts = inputs.counts;
    const w = inputs.rowWeights;
    const [batch, rows] = shapes.codes;
    const [, cells, outputs] = shapes.counts;
    out.fill(0);
    for (let b = 0; b < batch; b++) {
      const o0 = b * outputs;
      for (let r = 0; r < rows; r++) {
        const c = codes[b * rows + r];
        if (!(c >= 0 && c < cells)) throw new Error(`codes: expected bucket ids in [0, ${cells}), got ${c} at [${b}, ${r}]`);
        const wr = w[r];
        const base = (r * cells + c) * outputs;
        for (let o = 0; o < outputs; o++) out[o0 + o] += wr * counts[base + o];
      }
    }
  },
};
