import { LEAVES } from '../kernels/maddness_encode.js';

export interface QuantizedTables {
  /** [C·16·M] integers in [0, 255]. */
  q: Int32Array;
  /** [M] scale per output. */
  scale: Float32Array;
  /** [M] Σ_c of the per-codebook offsets, added once per output. */
  offset: Float32Array;
  /** [M] bound on |dequantised output − float output|: C · scale / 2. */
  errorBound: Float32Array;
}

/**
 * 8-bit tables (MADDNESS §4.2 style): per codebook and output an offset (the
 * column minimum), per output one scale shared by all codebooks (the largest
 * column range / 255), entries rounded to integers in [0, 255]. Each entry
 * is off by at most scale/2 after dequantisation, so an output (a sum of C
 * entries) is off by at most C·scale/2; the offsets add up to one constant
 * per output.
 */
export function quantizeTables(t: ArrayLike<number>, c: number, m: number): QuantizedTables {
  const lo = new Float64Array(c * m).fill(Infinity);
  const hi = new Float64Array(c * m).fill(-Infinity);
  for (let j = 0; j < c; j++) {
    for (let k = 0; k < LEAVES; k++) {
      const o = (j * LEAVES + k) * m;
      for (let q = 0; q < m; q++) {
        const v = t[o + q];
        if (v < lo[j * m + q]) lo[j * m + q] = v;
        if (v > hi[j * m + q]) hi[j * m + q] = v;
      }
    }
  }
  const scale = new Float32Array(m);
  const offset = new Float32Array(m);
  for (let q = 0; q < m; q++) {
    let range = 0;
    let off = 0;
    for (let j = 0; j < c; j++) {
      range = Math.max(range, hi[j * m + q] - lo[j * m + q]);
      off += lo[j * m + q];
    }
    scale[q] = range > 0 ? range / 255 : 1;
    offset[q] = off;
  }
  const qt = new Int32Array(c * LEAVES * m);
  for (let j = 0; j < c; j++) {
    for (let k = 0; k < LEAVES; k++) {
      const o = (j * LEAVES + k) * m;
      for (let q = 0; q < m; q++) {
        const v = Math.round((t[o + q] - lo[j * m + q]) / scale[q]);
        qt[o + q] = Math.min(255, Math.max(0, v));
      }
    }
  }
  const errorBound = Float32Array.from(scale, (s) => (c * s) / 2);
  return { q: qt, scale, offset, errorBound };
}

/**
 * 8-bit tables [C, 16, M] (integers in [0, 255], the layout of the float
 * tables) packed four per int32 word as [C, M, 4]: word w of table (c, m)
 * holds leaves 4w … 4w + 3, leaf 4w + k in byte k (little-endian, so in
 * WebAssembly memory the words are the [C][M][16]-byte layout the SIMD scan
 * looks up with i8x16.swizzle). A quarter of the int32 storage.
 */
export function packTables(q: ArrayLike<number>, c: number, m: number): Int32Array {
  const packed = new Int32Array(c * m * 4);
  for (let j = 0; j < c; j++) {
    for (let k = 0; k < LEAVES; k++) {
      const src = (j * LEAVES + k) * m;
      const shift = (k & 3) << 3;
      for (let o = 0; o < m; o++) packed[(j * m + o) * 4 + (k >> 2)] |= (q[src + o] & 255) << shift;
    }
  }
  return packed;
}

/** The inverse of packTables: [C, M, 4] words → [C, 16, M] integers in [0, 255]. */
export function unpackTables(packed: ArrayLike<number>, c: number, m: number): Int32Array {
  const q = new Int32Array(c * LEAVES * m);
  for (let j = 0; j < c; j++) {
    for (let k = 0; k < LEAVES; k++) {
      const dst = (j * LEAVES + k) * m;
      const shift = (k & 3) << 3;
      for (let o = 0; o < m; o++) q[dst + o] = (packed[(j * m + o) * 4 + (k >> 2)] >>> shift) & 255;
    }
  }
  return q;
}
