import { assertFiniteArray, KernelSpec } from '@hashlayers/core/internal';
import { rowCode, SketchHashAttrs } from './sketch_hash.js';

const LITTLE_ENDIAN = new Uint8Array(Int32Array.of(1).buffer)[0] === 1;

export interface SketchPredictAttrs extends SketchHashAttrs {
  cells: number;
  outputs: number;
  /** 32: float32 counts [rows, cells, outputs]; 16, 8, 4: unsigned counts packed in int32 words (count = offset + scale·q). */
  countBits: number;
  /** true: the mean over rows (rowWeights unused; integer sums for packed counts); false: Σ_r w_r · count. */
  mean: boolean;
}

/**
 * The sketch's forward pass in one kernel: hash each query (rowCode) and add up the R cells it
 * falls into, out[b, o] = Σ_r w_r · C[r, code(b, r), o], with w_r = 1/R for the mean.
 *
 * Inputs: x [batch, d]; plan, thresholds, denseT (see sketchCodesKernel); counts: float32
 * [rows, cells, outputs] (countBits 32) or int32 words of packed counts; rowWeights [rows];
 * range [scale, offset] (packed counts). With packed counts and the mean the R look-ups are
 * integer additions (exact in float64) and each output takes one multiply-add at the end:
 * out = offset + scale · Σ_r q_r / R. No scratch, no allocation.
 */
export const sketchPredictKernel: KernelSpec<SketchPredictAttrs> = {
  kernelName: 'HashlayersSketchPredict',
  inputNames: ['x', 'plan', 'thresholds', 'denseT', 'counts', 'rowWeights', 'range'],
  cachedInputs: ['plan', 'thresholds', 'denseT', 'counts', 'rowWeights', 'range'],
  outputs: (s, a) => [{ shape: [s.x[0], a.outputs], dtype: 'float32' }],
  compute(inputs, [out], shapes, { rows, bits, dense, cells, outputs, countBits, mean }) {
    const { x, plan, thresholds, denseT, counts, rowWeights: w, range } = inputs;
    assertFiniteArray('features', x);
    const [batch, d] = shapes.x;
    out.fill(0, 0, batch * outputs);
    if (countBits === 32) {
      for (let b = 0; b < batch; b++) {
        const o0 = b * outputs;
        for (let r = 0; r < rows; r++) {
          const base = (r * cells + rowCode(x, b * d, d, r, bits, plan, thresholds, denseT, dense)) * outputs;
          if (mean) for (let o = 0; o < outputs; o++) out[o0 + o] += counts[base + o];
          else {
            const wr = w[r];
            for (let o = 0; o < outputs; o++) out[o0 + o] += wr * counts[base + o];
          }
        }
        if (mean) for (let o = 0; o < outputs; o++) out[o0 + o] /= rows;
      }
      return;
    }
    const scale = range[0];
    const offset = range[1];
    let wsum = 0;
    for (let r = 0; r < rows; r++) wsum += mean ? 1 / rows : w[r];
    // 8- and 16-bit counts are read through a byte / half-word view of the packed words (no
    // unpacking; the packing puts count e at bits (e mod per)·countBits of its word, which is its
    // byte / half-word offset on little-endian machines); 4-bit counts and big-endian machines shift.
    const words = counts as Int32Array;
    const view = LITTLE_ENDIAN && countBits === 8
      ? new Uint8Array(words.buffer, words.byteOffset, words.length * 4)
      : LITTLE_ENDIAN && countBits === 16 ? new Uint16Array(words.buffer, words.byteOffset, words.length * 2) : null;
    const shift = countBits === 16 ? 1 : countBits === 8 ? 2 : 3; // log2(counts per word)
    const lane = (1 << shift) - 1;
    const mask = 2 ** countBits - 1;
    for (let b = 0; b < batch; b++) {
      const o0 = b * outputs;
      for (let r = 0; r < rows; r++) {
        const e0 = (r * cells + rowCode(x, b * d, d, r, bits, plan, thresholds, denseT, dense)) * outputs;
        // integer sums for the mean: exact in float32 while R·(2^bits − 1) < 2^24 (the layer checks)
        if (view != null && mean) for (let o = 0; o < outputs; o++) out[o0 + o] += view[e0 + o];
        else {
          const wr = mean ? 1 : w[r];
          for (let o = 0; o < outputs; o++) {
            const e = e0 + o;
            const q = view != null ? view[e] : (words[e >>> shift] >>> ((e & lane) * countBits)) & mask;
            out[o0 + o] += wr * q;
          }
        }
      }
      const s = mean ? scale / rows : scale;
      for (let o = 0; o < outputs; o++) out[o0 + o] = offset * wsum + s * out[o0 + o];
    }
  },
};
