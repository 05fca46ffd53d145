import { LEAVES, NODES, TREE_DEPTH, goesRight } from '../kernels/maddness_encode.js';

export interface Trees {
  /** [C·4] split dimension per codebook and level (global input indices). */
  splitDims: Int32Array;
  /** [C·15] threshold per codebook and node (level l, node b at 2^l − 1 + b). */
  thresholds: Float32Array;
  /** [n·C] leaf of every training row, assigned with the encoding rule. */
  codes: Int32Array;
}

interface Split {
  loss: number;
  threshold: number;
}

/**
 * The SSE-optimal split of one bucket on dimension `dim`: rows sorted by
 * x[dim], every cut between two *different* values considered, the loss
 * is the summed SSE of both halves over all dimensions of the subspace.
 * The threshold lies in [left value, right value) so that the encoding
 * rule (x > t goes right, ties go left) reproduces the cut exactly.
 */
function bestSplit(x: Float32Array, d: number, rows: Int32Array, dims: Int32Array, dim: number, sumTot: Float64Array, sumSqTot: number): Split {
  const cnt = rows.length;
  if (cnt === 0) return { loss: 0, threshold: 0 };
  const order = Array.from(rows).sort((a, b) => x[a * d + dim] - x[b * d + dim] || a - b);
  const s = dims.length;
  const sumL = new Float64Array(s);
  let best = -1;
  let bestGain = -Infinity;
  for (let i = 0; i < cnt - 1; i++) {
    const r = order[i] * d;
    let gain = 0;
    const nl = i + 1;
    const nr = cnt - nl;
    for (let k = 0; k < s; k++) {
      const v = (sumL[k] += x[r + dims[k]]);
      const w = sumTot[k] - v;
      gain += (v * v) / nl + (w * w) / nr;
    }
    const a = x[r + dim];
    const b = x[order[i + 1] * d + dim];
    if (a < b && gain > bestGain) {
      bestGain = gain;
      best = i;
    }
  }
  if (best < 0) {
    // no cut between different values: everything goes left
    let mean2 = 0;
    for (let k = 0; k < s; k++) mean2 += (sumTot[k] * sumTot[k]) / cnt;
    return { loss: sumSqTot - mean2, threshold: x[order[cnt - 1] * d + dim] };
  }
  const a = x[order[best] * d + dim];
  const b = x[order[best + 1] * d + dim];
  let t = Math.fround((a + b) / 2);
  if (!(t >= a && t < b)) t = a;
  return { loss: sumSqTot - bestGain, threshold: t };
}

/**
 * Learns one balanced MADDNESS tree per codebook (Blalock & Guttag,
 * Algorithm 2): 4 levels; at each level one split dimension shared by all
 * nodes of the level, chosen among the `candidates` dimensions of the
 * subspace with the largest summed bucket SSE as the one whose per-node
 * SSE-optimal thresholds give the smallest total SSE.
 */
export function learnTrees(x: Float32Array, n: number, d: number, subspaces: Int32Array[], candidates: number): Trees {
  const c = subspaces.length;
  const splitDims = new Int32Array(c * TREE_DEPTH);
  const thresholds = new Float32Array(c * NODES);
  const codes = new Int32Array(n * c);
  for (let j = 0; j < c; j++) {
    const dims = subspaces[j];
    const s = dims.length;
    let buckets: Int32Array[] = [Int32Array.from({ length: n }, (_, i) => i)];
    for (let level = 0; level < TREE_DEPTH; level++) {
      // per-bucket sums over the subspace, and the heuristic loss of each dimension
      const sums = buckets.map(() => new Float64Array(s));
      const sumSq = new Float64Array(buckets.length);
      const dimLoss = new Float64Array(s);
      buckets.forEach((rows, bi) => {
        const sq = new Float64Array(s);
        for (const r of rows) {
          const o = r * d;
          for (let k = 0; k < s; k++) {
            const v = x[o + dims[k]];
            sums[bi][k] += v;
            sq[k] += v * v;
          }
        }
        for (let k = 0; k < s; k++) {
          const sse = rows.length > 0 ? sq[k] - (sums[bi][k] * sums[bi][k]) / rows.length : 0;
          dimLoss[k] += sse;
          sumSq[bi] += sq[k];
        }
      });
      const ranked = Array.from({ length: s }, (_, k) => k).sort((a, b) => dimLoss[b] - dimLoss[a] || a - b);
      let bestDim = dims[ranked[0]];
      let bestLoss = Infinity;
      let bestThr: number[] = buckets.map(() => 0);
      for (const k of ranked.slice(0, Math.max(1, candidates))) {
        const dim = dims[k];
        let loss = 0;
        const thr: number[] = [];
        buckets.forEach((rows, bi) => {
          const sp = bestSplit(x, d, rows, dims, dim, sums[bi], sumSq[bi]);
          loss += sp.loss;
          thr.push(sp.threshold);
        });
        if (loss < bestLoss) {
          bestLoss = loss;
          bestDim = dim;
          bestThr = thr;
        }
      }
      splitDims[j * TREE_DEPTH + level] = bestDim;
      const next: Int32Array[] = [];
      buckets.forEach((rows, bi) => {
        const t = bestThr[bi];
        thresholds[j * NODES + (1 << level) - 1 + bi] = t;
        const left: number[] = [];
        const right: number[] = [];
        for (const r of rows) (goesRight(x[r * d + bestDim], t) ? right : left).push(r);
        next.push(Int32Array.from(left), Int32Array.from(right));
      });
      buckets = next;
    }
    buckets.forEach((rows, leaf) => {
      for (const r of rows) codes[r * c + j] = leaf;
    });
  }
  return { splitDims, thresholds, codes };
}

/** Leaf counts per codebook, [C·16]. */
export function leafCounts(codes: Int32Array, n: number, c: number): Int32Array {
  const counts = new Int32Array(c * LEAVES);
  for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) counts[j * LEAVES + codes[i * c + j]]++;
  return counts;
}
