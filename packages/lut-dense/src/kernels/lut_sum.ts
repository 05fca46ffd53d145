import type { KernelSpec, TypedArray } from '@hashlayers/core/internal';
import { LEAVES } from './maddness_encode.js';

/**
 * The table sum: out[n, m] = Σ_c tables[c, codes[n, c], m]. Inputs codes
 * [N, C] int32 and tables [C, 16, M] (float32, or int32 for 8-bit quantised
 * tables, whose sums stay exact in float32); output [N, M] float32.
 */
export const lutSumKernel: KernelSpec<Record<string, never>> = {
  kernelName: 'HashlayersLutSum',
  inputNames: ['codes', 'tables'],
  outputs(shapes) {
    return [{ shape: [shapes.codes[0], shapes.tables[2]], dtype: 'float32' }];
  },
  compute(inputs: Record<string, TypedArray>, outputs: TypedArray[], shapes: Record<string, number[]>) {
    const codes = inputs.codes;
    const t = inputs.tables;
    const out = outputs[0];
    const [n, c] = shapes.codes;
    const m = shapes.tables[2];
    const base = new Int32Array(c);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < c; j++) {
        const code = codes[i * c + j];
        if (code >>> 0 >= LEAVES) throw new Error(`codes: expected integers in [0, ${LEAVES}), got ${code} at row ${i}, codebook ${j}`);
        base[j] = (j * LEAVES + code) * m;
      }
      // one output at a time, accumulated in a register: C reads and one write per output
      const o = i * m;
      for (let k = 0; k < m; k++) {
        let sum = 0;
        for (let j = 0; j < c; j++) sum += t[base[j] + k];
        out[o + k] = sum;
      }
    }
  },
};
