import { assertFiniteArray, KernelSpec } from '@hashlayers/core/internal';

export interface PackSignBitsAttrs {
  tables: number;
  bits: number;
}

/**
 * Packs the signs of projections [batch, tables·bits] into bucket ids
 * [batch, tables]: bit k of table l is 1 when projection l·bits + k > 0
 * (a projection equal to 0 gives bit 0).
 */
export const packSignBitsKernel: KernelSpec<PackSignBitsAttrs> = {
  kernelName: 'HashlayersPackSignBits',
  inputNames: ['projections'],
  outputs: (s, a) => [{ shape: [s.projections[0], a.tables], dtype: 'int32' }],
  compute(inputs, [out], shapes, { tables, bits }) {
    const p = inputs.projections;
    assertFiniteArray('x (its projections)', p);
    const batch = shapes.projections[0];
    const width = tables * bits;
    for (let i = 0; i < batch; i++) {
      const row = i * width;
      for (let l = 0; l < tables; l++) {
        let code = 0;
        const base = row + l * bits;
        for (let k = 0; k < bits; k++) if (p[base + k] > 0) code |= 1 << k;
        out[i * tables + l] = code;
      }
    }
  },
};
