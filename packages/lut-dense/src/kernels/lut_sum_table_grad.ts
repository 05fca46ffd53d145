import type { KernelSpec, TypedArray } from '@hashlayers/core/internal';
import { LEAVES } from './maddness_encode.js';

/**
 * The gradient of the table sum with respect to the tables: the output is
 * linear in the table entries, so dT[c, k, m] = Σ_{n : codes[n, c] = k} dy[n, m].
 * Inputs codes [N, C] int32, dy [N, M] float32; output [C, 16, M] float32.
 */
export const lutSumTableGradKernel: KernelSpec<Record<string, never>> = {
  kernelName: 'HashlayersLutSumTableGrad',
  inputNames: ['codes', 'dy'],
  outputs(shapes) {
    return [{ shape: [shapes.codes[1], LEAVES, shapes.dy[1]], dtype: 'float32' }];
  },
  compute(inputs: Record<string, TypedArray>, outputs: TypedArray[], shapes: Record<string, number[]>) {
    const codes = inputs.codes;
    const dy = inputs.dy;
    const g = outputs[0];
    const [n, c] = shapes.codes;
    const m = shapes.dy[1];
    g.fill(0);
    for (let i = 0; i < n; i++) {
      const r = i * m;
      for (let j = 0; j < c; j++) {
        const base = (j * LEAVES + codes[i * c + j]) * m;
        for (let k = 0; k < m; k++) g[base + k] += dy[r + k];
      }
    }
  },
};
