import type { KernelSpec } from '@hashlayers/core/internal';
import type { SketchLookupAttrs } from './sketch_lookup.js';

/**
 * Gradient of the lookup with respect to the per-row weights:
 * dW[r] = Σ_b Σ_o dy[b, o] · counts[r, codes[b, r], o].
 *
 * Inputs: dy [batch, outputs], codes [batch, rows] int32, counts [rows, cells, outputs].
 */
export const sketchRowGradKernel: KernelSpec<SketchLookupAttrs> = {
  kernelName: 'HashlayersSketchRowGrad',
  inputNames: ['dy', 'codes', 'counts'],
  outputs: (s) => [{ shape: [s.codes[1]], dtype: 'float32' }],
  compute(inputs, [out], shapes) {
    const dy = inputs.dy;
    const codes = inputs.codes;
    const counts = inputs.counts;
    const [batch, rows] = shapes.codes;
    const [, cells, outputs] = shapes.counts;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let b = 0; b < batch; b++) {
        const base = (r * cells + codes[b * rows + r]) * outputs;
        const g0 = b * outputs;
        for (let o = 0; o < outputs; o++) s += dy[g0 + o] * counts[base + o];
      }
      out[r] = s;
    }
  },
};
