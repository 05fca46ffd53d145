import { fail } from '@hashlayers/core/internal';

/** Bits per stored count: 32 (float32, trainable) or 16, 8, 4 (unsigned integers packed in int32 words). */
export type CountBits = 32 | 16 | 8 | 4;
export const COUNT_BITS: readonly CountBits[] = [32, 16, 8, 4];

/** int32 words holding n counts of `bits` bits (32 / bits counts per word, the last word padded with zeros). */
export function packedWords(n: number, bits: Exclude<CountBits, 32>): number {
  return Math.ceil((n * bits) / 32);
}

export interface QuantizedCounts {
  words: Int32Array;
  /** count = offset + scale · q, q the unsigned integer stored (float32 values). */
  scale: number;
  offset: number;
}

/**
 * Quantizes counts to `bits`-bit unsigned integers with one affine map for the whole array:
 * offset = min, scale = (max − min) / (2^bits − 1) (both rounded to float32, as stored), q =
 * round((v − offset) / scale). Every count is then within scale / 2 (plus float32 rounding of
 * offset + scale·q) of its value, and a sketch's output, a weighted sum of R counts, within
 * Σ_r |w_r| · scale / 2 (scale / 2 for the mean): the error bound the tests check.
 * One map for all rows (not one per row) keeps the look-up an integer sum with one
 * multiply-add per output at the end.
 */
export function quantizeCounts(values: ArrayLike<number>, bits: Exclude<CountBits, 32>): QuantizedCounts {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) fail('counts', 'finite values', `${v} at flat index ${i}`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0) min = max = 0;
  const levels = 2 ** bits - 1;
  const offset = Math.fround(min);
  const scale = Math.fround(max > min ? (max - min) / levels : 0);
  const per = 32 / bits;
  const words = new Int32Array(packedWords(values.length, bits));
  for (let e = 0; e < values.length; e++) {
    let q = scale > 0 ? Math.round((values[e] - offset) / scale) : 0;
    q = q < 0 ? 0 : q > levels ? levels : q;
    words[(e / per) | 0] |= q << ((e % per) * bits);
  }
  return { words, scale, offset };
}

/** The q of count e in packed words (bits 16, 8 or 4). */
export function countAt(words: ArrayLike<number>, e: number, bits: Exclude<CountBits, 32>): number {
  const per = 32 / bits;
  return (words[(e / per) | 0] >>> ((e % per) * bits)) & (2 ** bits - 1);
}

/** The float values offset + scale·q of n packed counts (float64 arithmetic, rounded to float32). */
export function dequantizeCounts(words: ArrayLike<number>, n: number, bits: Exclude<CountBits, 32>, scale: number, offset: number): Float32Array {
  const out = new Float32Array(n);
  for (let e = 0; e < n; e++) out[e] = offset + scale * countAt(words, e, bits);
  return out;
}
