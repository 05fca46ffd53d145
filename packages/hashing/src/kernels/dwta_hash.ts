import { assertFiniteArray, KernelSpec } from '@hashlayers/core/internal';
import { codeBits } from './wta_hash.js';

export interface DWTAHashAttrs {
  tables: number;
  band: number;
  window: number;
  /** Inverted permutations in CSR form: for input dimension d, the slots
   * invEntries[invOffsets[d] .. invOffsets[d+1]) it occupies, where a slot is
   * code·window + position. */
  invOffsets: Int32Array;
  invEntries: Int32Array;
  /** Seed of the densification probe sequence. */
  probeSeed: number;
  /** Probes before an empty code gives up (then it takes code 0). */
  maxProbes: number;
}

/** Universal-style hash of (code, attempt) used for densification probes. */
export function probe(code: number, attempt: number, seed: number, numCodes: number): number {
  let h = (Math.imul(code + 1, 0x9e3779b1) ^ Math.imul(attempt + 1, 0x85ebca77) ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) % numCodes;
}

/**
 * Densified WTA (Chen & Shrivastava, "Densified Winner Take All Hashing for
 * Sparse Datasets", UAI 2018). Only non-zero entries compete: each non-zero
 * dimension updates the codes whose windows hold it (through the inverted
 * permutations, so the cost follows the number of non-zeros). A code whose
 * window holds no non-zero entry is empty and borrows the code of the bin
 * picked by a seeded probe sequence (the densification). On inputs without
 * zeros, every window is full and the codes equal WTA's exactly, ties
 * included (the earliest position wins).
 */
export const dwtaHashKernel: KernelSpec<DWTAHashAttrs> = {
  kernelName: 'HashlayersDWTAHash',
  inputNames: ['x'],
  outputs: (s, a) => [{ shape: [s.x[0], a.tables], dtype: 'int32' }],
  compute(inputs, [out], shapes, attrs) {
    const { tables, band, window, invOffsets, invEntries, probeSeed, maxProbes } = attrs;
    const x = inputs.x;
    assertFiniteArray('x', x);
    const [batch, dim] = shapes.x;
    const numCodes = tables * band;
    const cb = codeBits(window);
    const bestVal = new Float32Array(numCodes);
    const bestPos = new Int32Array(numCodes);
    const codes = new Int32Array(numCodes);
    for (let i = 0; i < batch; i++) {
      const row = i * dim;
      bestPos.fill(-1);
      let filled = 0;
      for (let d = 0; d < dim; d++) {
        const v = x[row + d];
        if (v === 0) continue;
        for (let e = invOffsets[d]; e < invOffsets[d + 1]; e++) {
          const slot = invEntries[e];
          const c = (slot / window) | 0;
          const pos = slot - c * window;
          const bp = bestPos[c];
          if (bp < 0) filled++;
          if (bp < 0 || v > bestVal[c] || (v === bestVal[c] && pos < bp)) {
            bestVal[c] = v;
            bestPos[c] = pos;
          }
        }
      }
      for (let c = 0; c < numCodes; c++) {
        let pos = bestPos[c];
        // a row without non-zeros has only empty codes: every probe would fail (maxProbes · codes work), all take 0
        for (let t = 0; pos < 0 && filled > 0 && t < maxProbes; t++) pos = bestPos[probe(c, t, probeSeed, numCodes)];
        codes[c] = pos < 0 ? 0 : pos;
      }
      for (let l = 0; l < tables; l++) {
        let id = 0;
        for (let j = 0; j < band; j++) id |= codes[l * band + j] << (j * cb);
        out[i * tables + l] = id;
      }
    }
  },
};
