import { assertInt, fail } from '@hashlayers/core/internal';

export type Partition = 'contiguous' | 'correlation';

/** Sizes of C nearly equal groups of D dimensions (the first D mod C get one more). */
function groupSizes(d: number, c: number): number[] {
  return Array.from({ length: c }, (_, j) => Math.floor(((j + 1) * d) / c) - Math.floor((j * d) / c));
}

/** MADDNESS: codebook c sees the contiguous dimensions [⌊cD/C⌋, ⌊(c+1)D/C⌋). */
export function contiguousPartition(d: number, c: number): Int32Array[] {
  assertInt('codebooks', c, 1, d);
  const out: Int32Array[] = [];
  let start = 0;
  for (const size of groupSizes(d, c)) {
    out.push(Int32Array.from({ length: size }, (_, i) => start + i));
    start += size;
  }
  return out;
}

/**
 * McCarter & Dronen's column clustering: dimensions that are strongly
 * correlated share a codebook, so one tree can exploit their redundancy.
 * Greedy and balanced: each group starts from the unassigned dimension of
 * largest variance and adds, one at a time, the unassigned dimension with
 * the largest mean |correlation| to the group. Correlations are estimated
 * on at most `maxRows` evenly spaced rows. Constant dimensions (such as the
 * border pixels of MNIST) carry no information: only the others are
 * clustered, in groups of equal size, and the constant ones are dealt out
 * round-robin, so no codebook is wasted on them.
 */
export function correlationPartition(x: Float32Array, n: number, d: number, c: number, maxRows = 1024): Int32Array[] {
  assertInt('codebooks', c, 1, d);
  if (n < 1) fail('inputs', 'at least one row', n);
  const rows = Math.min(n, maxRows);
  const mean = new Float64Array(d);
  const sample = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const i = Math.floor((r * n) / rows);
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      sample[r * d + j] = v;
      mean[j] += v;
    }
  }
  for (let j = 0; j < d; j++) mean[j] /= rows;
  const std = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < d; j++) {
      const v = sample[r * d + j] - mean[j];
      sample[r * d + j] = v;
      std[j] += v * v;
    }
  }
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]);
  // |corr| matrix, upper triangle computed, mirrored
  const corr = new Float32Array(d * d);
  const col = new Float64Array(rows);
  for (let a = 0; a < d; a++) {
    if (std[a] === 0) continue;
    for (let r = 0; r < rows; r++) col[r] = sample[r * d + a];
    for (let b = a; b < d; b++) {
      if (std[b] === 0) continue;
      let s = 0;
      for (let r = 0; r < rows; r++) s += col[r] * sample[r * d + b];
      const v = Math.abs(s / (std[a] * std[b]));
      corr[a * d + b] = v;
      corr[b * d + a] = v;
    }
  }
  const assigned = new Uint8Array(d);
  const score = new Float64Array(d);
  // constant columns carry no information: cluster the others, then deal the constant ones out evenly
  const maxStd = std.reduce((a, b) => Math.max(a, b), 0);
  const informative = Array.from(std, (v) => v > 1e-6 * maxStd).filter(Boolean).length;
  const sizes = groupSizes(informative >= c ? informative : d, c);
  const out: number[][] = [];
  for (const size of sizes) {
    let seed = -1;
    for (let j = 0; j < d; j++) if (!assigned[j] && (seed < 0 || std[j] > std[seed])) seed = j;
    const group = [seed];
    assigned[seed] = 1;
    score.fill(0);
    let last = seed;
    while (group.length < size) {
      let best = -1;
      for (let j = 0; j < d; j++) {
        if (assigned[j]) continue;
        score[j] += corr[j * d + last];
        if (best < 0 || score[j] > score[best]) best = j;
      }
      group.push(best);
      assigned[best] = 1;
      last = best;
    }
    out.push(group);
  }
  let g = 0;
  for (let j = 0; j < d; j++) {
    if (assigned[j]) continue;
    out[g].push(j);
    g = (g + 1) % c;
  }
  return out.map((grp) => Int32Array.from(grp.sort((p, q) => p - q)));
}
