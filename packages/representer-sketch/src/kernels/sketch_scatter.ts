import type { KernelSpec } from '@hashlayers/core/internal';

export interface SketchScatterAttrs {
  /** cells per row (2^bits): the counts gradient is [rows, cells, outputs]. */
  cells: number;
}

/**
 * Gradient of the lookup with respect to the counts (the sketch is linear in
 * them): a scatter-add, dCounts[r, codes[b, r], o] += w[r] · dy[b, o].
 *
 * Inputs: dy [batch, outputs], codes [batch, rows] int32, rowWeights [rows].
 */
export const sketchScatterKernel: KernelSpec<SketchScatterAttrs> = {
  kernelName: 'HashlayersSketchScatter',
  inputNames: ['dy', 'codes', 'rowWeights'],
  outputs: (s, a) => [{ shape: [s.codes[1], a.cells, s.dy[1]], dtype: 'float32' }],
  compute(inputs, [out], shapes, { cells }) {
    const dy = inputs.dy;
    const codes = inputs.codes;
    const w = inputs.rowWeights;
    const [batch, rows] = shapes.codes;
    const outputs = shapes.dy[1];
    out.fill(0);
    for (let b = 0; b < batch; b++) {
      const g0 = b * outputs;
      for (let r = 0; r < rows; r++) {
        const wr = w[r];
        const base = (r * cells + codes[b * rows + r]) * outputs;
        for (let o = 0; o < outputs; o++) out[base + o] += wr * dy[g0 + o];
      }
    }
  },
};
