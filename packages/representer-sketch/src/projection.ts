import { SimHash } from '@hashlayers/hashing';

/**
 * The projection kinds of a sketch, all drawn from the seed (none is stored in the model):
 * - 'gaussian': dense N(0, 1) entries (d·R·K multiply-adds per query);
 * - 'sign': dense ±1 (the signs of the gaussian draw; d·R·K additions, no multiplies);
 * - 'sparse': Achlioptas ±1 with probability density/2 each, else 0 (about density·d·R·K additions).
 */
export type ProjectionKind = 'gaussian' | 'sign' | 'sparse';

/**
 * A projection ready for the hash kernels. Bit j = r·K + k of the codes (bit k of row r) is
 * [x·p_j > t_j] with t_j = c·p_j (c the center), i.e. the sign of (x − c)·p_j.
 *
 * `plan` (int32) lists, for ±1 projections, the input indices of every bit's +1 entries and then
 * of its −1 entries: plan[2j] .. plan[2j+1] (exclusive) are the +1 entries of bit j, plan[2j+1] ..
 * plan[2j+2] its −1 entries, as offsets into plan itself (the index lists start at 2W + 1,
 * W = R·K). For 'gaussian' the index lists are empty and `denseT` [W, d] holds the projection
 * transposed (each bit's column contiguous).
 */
export interface ProjectionPlan {
  kind: ProjectionKind;
  dim: number;
  width: number;
  plan: Int32Array;
  denseT: Float32Array | null;
  /** Non-zero entries (d·W for 'gaussian' and 'sign'). */
  nonzeros: number;
}

/**
 * Draws the projection [d, R·K] from the seed with the hashing package's SimHash ('gaussian' and
 * 'sparse' are SimHash's own draws, so the same seed gives the codes of SimHash; 'sign' takes the
 * signs of the gaussian draw, a Rademacher matrix) and lays it out for the kernels.
 */
export function drawProjection(dim: number, rows: number, bits: number, seed: number, kind: ProjectionKind, density: number): ProjectionPlan {
  const width = rows * bits;
  const family = new SimHash({ inputDim: dim, tables: rows, bits, seed, projection: kind === 'sparse' ? 'sparse' : 'gaussian', density });
  const t = family.getProjection();
  const p = t.dataSync() as Float32Array; // [dim, width]
  family.dispose();
  if (kind === 'gaussian') {
    const denseT = new Float32Array(width * dim);
    for (let i = 0; i < dim; i++) for (let j = 0; j < width; j++) denseT[j * dim + i] = p[i * width + j];
    const plan = new Int32Array(2 * width + 1).fill(2 * width + 1);
    return { kind, dim, width, plan, denseT, nonzeros: dim * width };
  }
  let nonzeros = 0;
  for (let i = 0; i < p.length; i++) if (kind === 'sign' || p[i] !== 0) nonzeros++;
  const plan = new Int32Array(2 * width + 1 + nonzeros);
  let at = 2 * width + 1;
  for (let j = 0; j < width; j++) {
    plan[2 * j] = at;
    for (let i = 0; i < dim; i++) if (p[i * width + j] > 0) plan[at++] = i;
    plan[2 * j + 1] = at;
    for (let i = 0; i < dim; i++) if (p[i * width + j] < 0 || (kind === 'sign' && p[i * width + j] === 0)) plan[at++] = i;
  }
  plan[2 * width] = at;
  return { kind, dim, width, plan, denseT: null, nonzeros };
}

/** The thresholds t_j = c·p_j [W] of a center c [d] (float64 sums, rounded once to float32). */
export function thresholds(proj: ProjectionPlan, center: ArrayLike<number>): Float32Array {
  const { width, dim, plan, denseT } = proj;
  const t = new Float32Array(width);
  for (let j = 0; j < width; j++) {
    let s = 0;
    if (denseT != null) {
      for (let i = 0; i < dim; i++) s += denseT[j * dim + i] * center[i];
    } else {
      for (let q = plan[2 * j]; q < plan[2 * j + 1]; q++) s += center[plan[q]];
      for (let q = plan[2 * j + 1]; q < plan[2 * j + 2]; q++) s -= center[plan[q]];
    }
    t[j] = s;
  }
  return t;
}
