import { Candidates } from '@hashlayers/hashing';
import { SeededRandom } from '@hashlayers/core/internal';

/** A padded candidate matrix and the log-weights of the sampled-softmax estimate. */
export interface CandidateBatch {
  batch: number;
  width: number;
  /** [batch · width] class ids, -1 for padding; with labels, column 0 holds the label. */
  ids: Int32Array;
  /** [batch · width]: 0 for retrieved classes and labels, log((units − |S|)/m) for tail samples, PAD for padding. */
  logWeights: Float32Array;
  /** Retrieved classes per row (before labels, tail samples and fallback). */
  retrieved: Int32Array;
  /** Rows that fell back to all classes. */
  exactRows: number;
}

/** Log-weight of padding: exp underflows to exactly 0, no NaN in gradients (unlike −Infinity). */
export const PAD = -1e9;

export interface CandidateOptions {
  units: number;
  /** Rows with fewer retrieved classes than this use every class (exact fallback). */
  exactBelow: number;
  /** Uniform samples from the classes outside the set (LSH-softmax tail estimate); 0 = none. */
  uniformSamples: number;
  /** Classes added to every row (the "head": e.g. the largest biases, i.e. the most frequent classes). */
  head?: Int32Array;
}

/**
 * Builds each row's class set S_i = labels ∪ retrieved ∪ tail samples.
 *
 * The loss over S_i estimates the full partition function as
 * Σ_{j ∈ labels ∪ retrieved} e^{z_j} + (units − |labels ∪ retrieved|)/m · Σ_{u ∈ tail} e^{z_u},
 * with m uniform samples drawn from the classes outside labels ∪ retrieved
 * (Levy, Chan & Ermon, "LSH Softmax", 2018): unbiased for the tail, and the
 * exact softmax when every class is retrieved. With m = 0 it is the softmax
 * over retrieved ∪ labels of Vijayanarasimhan et al. (arXiv 1412.7479).
 */
export function buildCandidates(
  found: Candidates,
  labels: Int32Array | null,
  opts: CandidateOptions,
  rng: SeededRandom,
): CandidateBatch {
  const batch = found.offsets.length - 1;
  const { units, exactBelow, uniformSamples } = opts;
  const rows: number[][] = [];
  const tails: number[][] = [];
  const retrieved = new Int32Array(batch);
  const mark = new Uint8Array(units);
  let exactRows = 0;
  let width = 1;
  for (let i = 0; i < batch; i++) {
    const lo = found.offsets[i];
    const hi = found.offsets[i + 1];
    retrieved[i] = hi - lo;
    const row: number[] = [];
    if (labels != null) {
      row.push(labels[i]);
      mark[labels[i]] = 1;
    }
    if (hi - lo < exactBelow) {
      exactRows++;
      for (let c = 0; c < units; c++) if (!mark[c]) row.push(c);
    } else {
      if (opts.head != null) {
        for (const c of opts.head) {
          if (!mark[c]) {
            mark[c] = 1;
            row.push(c);
          }
        }
      }
      for (let p = lo; p < hi; p++) {
        const c = found.ids[p];
        if (!mark[c]) {
          mark[c] = 1;
          row.push(c);
        }
      }
    }
    const tail: number[] = [];
    const outside = units - row.length;
    if (uniformSamples > 0 && outside > 0) {
      // rejection sampling from the complement (without replacement)
      for (let t = 0; t < uniformSamples * 4 && tail.length < Math.min(uniformSamples, outside); t++) {
        const c = rng.int(units);
        if (!mark[c]) {
          mark[c] = 2;
          tail.push(c);
        }
      }
    }
    for (const c of row) mark[c] = 0;
    for (const c of tail) mark[c] = 0;
    rows.push(row);
    tails.push(tail);
    width = Math.max(width, row.length + tail.length);
  }
  const ids = new Int32Array(batch * width).fill(-1);
  const logWeights = new Float32Array(batch * width).fill(PAD);
  for (let i = 0; i < batch; i++) {
    const row = rows[i];
    const tail = tails[i];
    for (let k = 0; k < row.length; k++) {
      ids[i * width + k] = row[k];
      logWeights[i * width + k] = 0;
    }
    if (tail.length > 0) {
      const lw = Math.log((units - row.length) / tail.length);
      for (let k = 0; k < tail.length; k++) {
        ids[i * width + row.length + k] = tail[k];
        logWeights[i * width + row.length + k] = lw;
      }
    }
  }
  return { batch, width, ids, logWeights, retrieved, exactRows };
}

/**
 * The ids of the k largest values, largest first, ties to the smaller id:
 * what sorting every id by (value desc, id asc) and keeping k gives, in
 * O(n) plus a sort of the k (a quickselect for the k-th largest value),
 * so a head of the largest biases can follow the bias every step at 100k+
 * classes. Values must not be NaN.
 */
export function largestIds(values: ArrayLike<number>, k: number): Int32Array {
  const n = values.length;
  k = Math.min(k, n);
  if (k <= 0) return new Int32Array(0);
  const a = Float64Array.from(values);
  // quickselect: a[k - 1] becomes the k-th largest value
  let lo = 0;
  let hi = n - 1;
  const m = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (m <= j) hi = j;
    else if (m >= i) lo = i;
    else break;
  }
  const kth = a[m];
  const out: number[] = [];
  for (let c = 0; c < n; c++) if (values[c] > kth) out.push(c);
  for (let c = 0; c < n && out.length < k; c++) if (values[c] === kth) out.push(c);
  out.sort((x, y) => values[y] - values[x] || x - y);
  return Int32Array.from(out);
}
