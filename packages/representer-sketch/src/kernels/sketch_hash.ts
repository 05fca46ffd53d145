import type { TypedArray } from '@hashlayers/core/internal';

/**
 * The SRP code of one row for the query at x[xo .. xo + d): bit k is [x·p_j > t_j], j = r·K + k
 * (the sign of (x − c)·p_j, the center folded into the thresholds t). ±1 projections walk their
 * index lists (additions and subtractions only, no multiplies); 'gaussian' projections a dense
 * column of denseT. Shared by the codes kernel and the fused predict kernel, so both give the
 * same codes. No allocation.
 */
export function rowCode(
  x: TypedArray, xo: number, d: number, r: number, bits: number,
  plan: TypedArray, t: TypedArray, denseT: TypedArray, dense: boolean,
): number {
  let code = 0;
  for (let k = 0; k < bits; k++) {
    const j = r * bits + k;
    let s = 0;
    if (dense) {
      const p0 = j * d;
      for (let i = 0; i < d; i++) s += x[xo + i] * denseT[p0 + i];
    } else {
      const minus = plan[2 * j + 1];
      const end = plan[2 * j + 2];
      for (let q = plan[2 * j]; q < minus; q++) s += x[xo + plan[q]];
      for (let q = minus; q < end; q++) s -= x[xo + plan[q]];
    }
    if (s > t[j]) code |= 1 << k;
  }
  return code;
}

/** Attributes of the hash kernels. */
export interface SketchHashAttrs {
  rows: number;
  bits: number;
  /** true: 'gaussian' (denseT); false: ±1 index lists in plan. */
  dense: boolean;
}
