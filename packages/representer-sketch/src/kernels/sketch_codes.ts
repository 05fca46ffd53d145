import { assertFiniteArray, KernelSpec } from '@hashlayers/core/internal';
import { rowCode, SketchHashAttrs } from './sketch_hash.js';

/**
 * SRP bucket ids [batch, rows] of features x [batch, d]: code[b, r] bit k = [x_b·p_j > t_j],
 * j = r·bits + k (see rowCode). Inputs: x [batch, d], plan (int32 index lists of a ±1
 * projection), thresholds [rows·bits], denseT [rows·bits, d] ('gaussian'; a 1-element dummy
 * otherwise). Scratch-free typed-array loops, one implementation for every backend.
 */
export const sketchCodesKernel: KernelSpec<SketchHashAttrs> = {
  kernelName: 'HashlayersSketchCodes',
  inputNames: ['x', 'plan', 'thresholds', 'denseT'],
  cachedInputs: ['plan', 'thresholds', 'denseT'],
  outputs: (s, a) => [{ shape: [s.x[0], a.rows], dtype: 'int32' }],
  compute(inputs, [out], shapes, { rows, bits, dense }) {
    const { x, plan, thresholds, denseT } = inputs;
    assertFiniteArray('features', x);
    const [batch, d] = shapes.x;
    for (let b = 0; b < batch; b++) {
      for (let r = 0; r < rows; r++) out[b * rows + r] = rowCode(x, b * d, d, r, bits, plan, thresholds, denseT, dense);
    }
  },
};
