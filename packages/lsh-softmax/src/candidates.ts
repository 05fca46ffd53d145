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
  const head = opts.head ?? new Int32Array(0);
  const retrieved = new Int32Array(batch);
  const mark = new Uint8Array(units);
  // each row's set (label, head, retrieved; or every class) and tail samples, in typed arrays: row i's set is
  // set[setStart[i] .. setStart[i] + setLen[i]), its tail tail[i·m .. i·m + tailLen[i])
  let exactRows = 0;
  for (let i = 0; i < batch; i++) if (found.offsets[i + 1] - found.offsets[i] < exactBelow) exactRows++;
  const setStart = new Int32Array(batch + 1);
  const setLen = new Int32Array(batch);
  const room = found.offsets[batch] + (batch - exactRows) * (head.length + 1) + exactRows * (units + 1);
  const set = new Int32Array(room);
  const m = uniformSamples;
  const tail = new Int32Array(batch * m);
  const tailLen = new Int32Array(batch);
  let width = 1;
  for (let i = 0; i < batch; i++) {
    const lo = found.offsets[i];
    const hi = found.offsets[i + 1];
    retrieved[i] = hi - lo;
    const at = setStart[i];
    let n = 0;
    if (labels != null) {
      set[at + n++] = labels[i];
      mark[labels[i]] = 1;
    }
    if (hi - lo < exactBelow) {
      for (let c = 0; c < units; c++) if (!mark[c]) set[at + n++] = c;
    } else {
      for (let j = 0; j < head.length; j++) {
        const c = head[j];
        if (!mark[c]) {
          mark[c] = 1;
          set[at + n++] = c;
        }
      }
      for (let p = lo; p < hi; p++) {
        const c = found.ids[p];
        if (!mark[c]) {
          mark[c] = 1;
          set[at + n++] = c;
        }
      }
    }
    let t = 0;
    const outside = units - n;
    if (m > 0 && outside > 0) {
      // rejection sampling from the complement (without replacement)
      const want = Math.min(m, outside);
      for (let r = 0; r < m * 4 && t < want; r++) {
        const c = rng.int(units);
        if (!mark[c]) {
          mark[c] = 2;
          tail[i * m + t++] = c;
        }
      }
    }
    for (let j = 0; j < n; j++) mark[set[at + j]] = 0;
    for (let j = 0; j < t; j++) mark[tail[i * m + j]] = 0;
    setLen[i] = n;
    tailLen[i] = t;
    setStart[i + 1] = at + n;
    width = Math.max(width, n + t);
  }
  const ids = new Int32Array(batch * width).fill(-1);
  const logWeights = new Float32Array(batch * width).fill(PAD);
  for (let i = 0; i < batch; i++) {
    const n = setLen[i];
    const t = tailLen[i];
    ids.set(set.subarray(setStart[i], setStart[i] + n), i * width);
    logWeights.fill(0, i * width, i * width + n);
    if (t > 0) {
      ids.set(tail.subarray(i * m, i * m + t), i * width + n);
      logWeights.fill(Math.log((units - n) / t), i * width + n, i * width + n + t);
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
