import { assertFiniteArray, KernelSpec } from '@hashlayers/core/internal';

export interface WTAHashAttrs {
  tables: number;
  /** WTA codes concatenated into one table's bucket id. */
  band: number;
  window: number;
  /** [tables·band·window] input dimensions: the first `window` of each permutation. */
  indices: Int32Array;
}

/** Bits of one WTA code: ceil(log2(window)). */
export function codeBits(window: number): number {
  return Math.max(1, Math.ceil(Math.log2(window)));
}

/**
 * Winner-take-all hash (Yagnik et al. 2011): for each permutation, the
 * position (0..window-1) of the largest of the first `window` permuted
 * entries; ties go to the earliest position. Codes of a band are packed with
 * ceil(log2 window) bits each into the table's bucket id. The comparison and
 * the stored value both use the permuted entry.
 */
export const wtaHashKernel: KernelSpec<WTAHashAttrs> = {
  kernelName: 'HashlayersWTAHash',
  inputNames: ['x'],
  outputs: (s, a) => [{ shape: [s.x[0], a.tables], dtype: 'int32' }],
  compute(inputs, [out], shapes, { tables, band, window, indices }) {
    const x = inputs.x;
    assertFiniteArray('x', x);
    const [batch, dim] = shapes.x;
    const cb = codeBits(window);
    for (let i = 0; i < batch; i++) {
      const row = i * dim;
      for (let l = 0; l < tables; l++) {
        let id = 0;
        for (let j = 0; j < band; j++) {
          const base = (l * band + j) * window;
          let best = x[row + indices[base]];
          let arg = 0;
          for (let w = 1; w < window; w++) {
            const v = x[row + indices[base + w]];
            if (v > best) {
              best = v;
              arg = w;
            }
          }
          id |= arg << (j * cb);
        }
        out[i * tables + l] = id;
      }
    }
  },
};
