import { LEAVES, NODES, TREE_DEPTH, goesRight } from '../kernels/maddness_encode.js';

export interface Trees {
  /** [C·4] split dimension per codebook and level (global input indices). */
  splitDims: Int32Array;
  /** [C·15] threshold per codebook and node (level l, node b at 2^l − 1 + b). */
  thresholds: Float32Array;
  /** [n·C] leaf of every training row, assigned with the encoding rule. */
  codes: Int32Array;
}

/**
 * Rows sorted by (x[dim], row), via one native numeric sort of 53-bit keys:
 * the float32 value mapped to an order-preserving uint32, times 2^shift,
 * plus the row index.
 */
function makeSorter(x: Float32Array, n: number, d: number): (dim: number) => Int32Array {
  const cache = new Map<number, Int32Array>();
  const shift = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const scale = 2 ** shift;
  return (dim) => {
    let order = cache.get(dim);
    if (order != null) return order;
    order = new Int32Array(n);
    if (shift <= 21) {
      const keys = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        f32[0] = x[r * d + dim];
        const bits = u32[0];
        const sortable = bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
        keys[r] = sortable * scale + r;
      }
      keys.sort();
      for (let i = 0; i < n; i++) order[i] = keys[i] % scale;
    } else {
      for (let r = 0; r < n; r++) order[r] = r;
      order.sort((a, b) => x[a * d + dim] - x[b * d + dim] || a - b);
    }
    cache.set(dim, order);
    return order;
  };
}

/**
 * Learns one balanced MADDNESS tree per codebook (Blalock & Guttag,
 * Algorithm 2): 4 levels; at each level one split dimension shared by all
 * nodes of the level, chosen among the `candidates` dimensions of the
 * subspace with the largest summed bucket SSE as the one whose per-node
 * SSE-optimal thresholds give the smallest total SSE (summed over all
 * dimensions of the subspace). A node's cut is only ever placed between two
 * *different* values, and its threshold lies in [left value, right value),
 * so the encoding rule (x > t goes right, ties go left) reproduces the cut
 * exactly. One pass over the rows in sorted order per candidate and level
 * evaluates every cut of every node: O(n · subspace size).
 *
 * `target` [n, D] (default: x itself): the values whose bucket SSE is
 * minimised; the cuts are still made on x. Hardening a soft-assignment layer
 * passes each row's nearest learned prototype, so the tree learns to
 * reproduce the prototypes' cells with axis-aligned cuts (a regression tree
 * onto the prototypes) instead of re-clustering x.
 */
export function learnTrees(x: Float32Array, n: number, d: number, subspaces: Int32Array[], candidates: number, target: Float32Array | null = null): Trees {
  const c = subspaces.length;
  const splitDims = new Int32Array(c * TREE_DEPTH);
  const thresholds = new Float32Array(c * NODES);
  const codes = new Int32Array(n * c);
  const sorted = makeSorter(x, n, d);
  const leaf = new Int32Array(n);
  for (let j = 0; j < c; j++) {
    const dims = subspaces[j];
    const s = dims.length;
    // the subspace's columns of the SSE target, contiguous per row: xs[r * s + q] = target[r, dims[q]]
    const src = target ?? x;
    const xs = new Float32Array(n * s);
    for (let r = 0; r < n; r++) for (let q = 0; q < s; q++) xs[r * s + q] = src[r * d + dims[q]];
    leaf.fill(0);
    for (let level = 0; level < TREE_DEPTH; level++) {
      const nb = 1 << level;
      const cnt = new Float64Array(nb);
      const sums = new Float64Array(nb * s);
      const sq = new Float64Array(nb * s);
      for (let r = 0; r < n; r++) {
        const b = leaf[r];
        cnt[b]++;
        const o = r * s;
        const bo = b * s;
        for (let k = 0; k < s; k++) {
          const v = xs[o + k];
          sums[bo + k] += v;
          sq[bo + k] += v * v;
        }
      }
      const sumSq = new Float64Array(nb);
      const dimLoss = new Float64Array(s);
      const noSplitGain = new Float64Array(nb);
      for (let b = 0; b < nb; b++) {
        for (let k = 0; k < s; k++) {
          const m = sums[b * s + k];
          const sse = cnt[b] > 0 ? sq[b * s + k] - (m * m) / cnt[b] : 0;
          dimLoss[k] += sse;
          sumSq[b] += sq[b * s + k];
          if (cnt[b] > 0) noSplitGain[b] += (m * m) / cnt[b];
        }
      }
      const ranked = Array.from({ length: s }, (_, k) => k).sort((a, b) => dimLoss[b] - dimLoss[a] || a - b);
      let bestDim = dims[ranked[0]];
      let bestLoss = Infinity;
      let bestThr = new Float32Array(nb);
      const sumL = new Float64Array(nb * s);
      const nl = new Float64Array(nb);
      const last = new Float64Array(nb);
      const gainBest = new Float64Array(nb);
      const thr = new Float32Array(nb);
      for (const k of ranked.slice(0, Math.max(1, candidates))) {
        const dim = dims[k];
        const order = sorted(dim);
        sumL.fill(0);
        nl.fill(0);
        gainBest.fill(-Infinity);
        for (let i = 0; i < n; i++) {
          const r = order[i];
          const b = leaf[r];
          const v = x[r * d + dim]; // the cut is on x (the encoding rule), the SSE on the target
          const bo = b * s;
          if (nl[b] > 0 && v > last[b]) {
            // the cut just before this row: left = the rows of node b seen so far
            const il = 1 / nl[b];
            const ir = 1 / (cnt[b] - nl[b]);
            let gain = 0;
            for (let q = 0; q < s; q++) {
              const a = sumL[bo + q];
              const w = sums[bo + q] - a;
              gain += a * a * il + w * w * ir;
            }
            if (gain > gainBest[b]) {
              gainBest[b] = gain;
              const lo = last[b];
              let t = Math.fround((lo + v) / 2);
              if (!(t >= lo && t < v)) t = lo;
              thr[b] = t;
            }
          }
          const o = r * s;
          for (let q = 0; q < s; q++) sumL[bo + q] += xs[o + q];
          nl[b]++;
          last[b] = v;
        }
        let loss = 0;
        for (let b = 0; b < nb; b++) {
          if (gainBest[b] === -Infinity) {
            // no cut between different values: everything goes left (threshold = the node's largest value)
            loss += sumSq[b] - noSplitGain[b];
            thr[b] = nl[b] > 0 ? last[b] : 0;
          } else {
            loss += sumSq[b] - gainBest[b];
          }
        }
        if (loss < bestLoss) {
          bestLoss = loss;
          bestDim = dim;
          bestThr = Float32Array.from(thr);
        }
      }
      splitDims[j * TREE_DEPTH + level] = bestDim;
      for (let b = 0; b < nb; b++) thresholds[j * NODES + nb - 1 + b] = bestThr[b];
      for (let r = 0; r < n; r++) leaf[r] = 2 * leaf[r] + (goesRight(x[r * d + bestDim], bestThr[leaf[r]]) ? 1 : 0);
    }
    for (let r = 0; r < n; r++) codes[r * c + j] = leaf[r];
  }
  return { splitDims, thresholds, codes };
}

/** Leaf counts per codebook, [C·16]. */
export function leafCounts(codes: Int32Array, n: number, c: number): Int32Array {
  const counts = new Int32Array(c * LEAVES);
  for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) counts[j * LEAVES + codes[i * c + j]]++;
  return counts;
}
