import { deriveSeed, KernelSpec, scratch, SeededRandom } from '@hashlayers/core/internal';

/**
 * The bucket index in CSR form, one block per table: the sorted distinct
 * bucket ids of table l are keys[keyStart[l] .. keyStart[l+1]); bucket b of
 * the block holds items ids[offsets[b] .. offsets[b+1]) (offsets are global
 * positions in ids, which has numItems·tables entries). Typed arrays only.
 */
export interface BucketTables {
  tables: number;
  numItems: number;
  keyStart: Int32Array;
  keys: Int32Array;
  offsets: Int32Array;
  ids: Int32Array;
}

export interface Candidates {
  /** Candidate item ids of every query, concatenated. */
  ids: Int32Array;
  /** Query i owns ids[offsets[i] .. offsets[i+1]). */
  offsets: Int32Array;
  /** Number of tables in which the candidate shared the query's bucket. */
  hits: Int32Array;
}

export interface RetrieveOptions {
  /** Keep at most this many candidates per query (most table hits first). */
  maxCandidates: number;
  /** Keep only candidates found in at least this many tables. */
  minTableHits: number;
  /**
   * false: the same candidate set per query, in first-found order (tables in
   * order, bucket contents by id) instead of by hits then id: no sort unless
   * maxCandidates cuts inside a group of equal hits (default true).
   */
  ordered?: boolean;
  /** When maxCandidates cuts inside a group of equal hits: a seeded random subset of it (selectRetrieved); default its smallest ids. */
  tieSeed?: number;
  /** The same: the group's items with the largest of these scores (one per item; before tieSeed). */
  tieScores?: ArrayLike<number>;
}

/** Lower-bound binary search: the first index in keys[lo, hi) whose value is ≥ key (keys sorted). */
export function findBucket(keys: Int32Array, lo: number, hi: number, key: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/*
 * Scratch from core's one pool, reused across calls. The hit counters are
 * 16-bit (tables ≤ 4096) so the per-item array stays small enough for cache,
 * and they are all zero between calls: a fresh buffer is zeroed, and
 * selectRetrieved resets every counter it touched before returning.
 */
const OWNER = 'HashlayersRetrieve';
const hitCounters = (numItems: number) => scratch(OWNER, 0, numItems, Uint16Array);

/**
 * Rearranges ids a[0, n) so that a[0, m) holds the m first in the order
 * `before` (x before y), in no particular order among themselves: a
 * quickselect (Hoare partition, middle pivot), O(n) on average instead of a
 * sort. core's union_rows kernel runs the same steps, so both leave the same
 * order.
 */
function selectFirst(a: Int32Array, n: number, m: number, before: (x: number, y: number) => boolean): Int32Array {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi && m > lo && m <= hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (before(a[i], pivot)) i++;
      while (before(pivot, a[j])) j--;
      if (i <= j) {
        const x = a[i];
        a[i] = a[j];
        a[j] = x;
        i++;
        j--;
      }
    }
    // a[lo, j] ≤ pivot ≤ a[i, hi] in the order; continue in the part that holds position m
    if (m <= j) hi = j;
    else if (m >= i) lo = i;
    else break;
  }
  return a;
}

const smallerId = (x: number, y: number) => x < y;

/**
 * The union of one query's buckets, reduced to at most `maxCandidates` items
 * (most hits first), written to cand[0..n); returns n. No sort: when the cut
 * falls inside a group of equal hit counts, that group's smallest ids fill
 * up (a quickselect); with `tieScores` (one per item), the items of the
 * group with the largest score (ties to the smaller id; a quickselect);
 * else with `tieSeed` (this query's), a uniformly random subset of the group
 * drawn from a generator seeded by it (a partial Fisher–Yates shuffle). The
 * last two do not depend on how the items are numbered (smallest ids
 * favour whichever items got low ids, e.g. the most frequent classes, in
 * every query).
 */
export function selectRetrieved(
  t: BucketTables,
  codes: Int32Array,
  row: number,
  maxCandidates: number,
  minTableHits: number,
  cand: Int32Array,
  hitsOut?: Int32Array,
  tieSeed?: number,
  tieScores?: ArrayLike<number>,
): number {
  const { tables, keyStart, keys, offsets, ids, numItems } = t;
  const count = hitCounters(numItems);
  const touched = scratch(OWNER, 1, numItems, Int32Array);
  let n = 0;
  for (let l = 0; l < tables; l++) {
    const code = codes[row * tables + l];
    const hi = keyStart[l + 1];
    const b = findBucket(keys, keyStart[l], hi, code);
    if (b >= hi || keys[b] !== code) continue;
    for (let p = offsets[b], end = offsets[b + 1]; p < end; p++) {
      const id = ids[p];
      if (count[id] === 0) touched[n++] = id;
      count[id]++;
    }
  }
  // histogram of hit counts → the smallest hit count h* that still fits
  const hist = new Int32Array(tables + 2);
  for (let j = 0; j < n; j++) hist[count[touched[j]]]++;
  let kept = 0;
  let cut = tables + 1;
  while (cut > minTableHits && kept + hist[cut - 1] <= maxCandidates) kept += hist[--cut];
  // items with hits ≥ cut all fit; from the group hits = cut − 1 (if ≥ minTableHits) the room left fills up
  let m = 0;
  // (-1 when every item above the cut fits and nothing is thinned)
  const tiedHits = cut - 1 >= minTableHits && kept < maxCandidates ? cut - 1 : -1;
  const tied = scratch(OWNER, 2, numItems, Int32Array);
  let nTied = 0;
  for (let j = 0; j < n; j++) {
    const id = touched[j];
    const h = count[id];
    count[id] = 0;
    if (h >= cut) {
      if (hitsOut != null) hitsOut[m] = h;
      cand[m++] = id;
    } else if (h === tiedHits) tied[nTied++] = id;
  }
  if (tiedHits < 0) return m;
  const room = maxCandidates - kept;
  if (tieScores != null) {
    // a larger score first, then the smaller id
    const group = selectFirst(tied, nTied, room, (x, y) => tieScores[x] > tieScores[y] || (tieScores[x] === tieScores[y] && x < y));
    for (let j = 0; j < room; j++) {
      if (hitsOut != null) hitsOut[m] = tiedHits;
      cand[m++] = group[j];
    }
    return m;
  }
  if (tieSeed != null) {
    const random = new SeededRandom(tieSeed);
    for (let j = 0; j < room; j++) {
      const r = j + random.int(nTied - j);
      const id = tied[r];
      tied[r] = tied[j];
      if (hitsOut != null) hitsOut[m] = tiedHits;
      cand[m++] = id;
    }
    return m;
  }
  const group = selectFirst(tied, nTied, room, smallerId);
  for (let j = 0; j < room; j++) {
    if (hitsOut != null) hitsOut[m] = tiedHits;
    cand[m++] = group[j];
  }
  return m;
}

/**
 * The union of the query's buckets over all tables, at most maxCandidates
 * per query (selectRetrieved); with `ordered` (default) the candidates are
 * ordered by hit count (desc), then by item id (asc) so results are
 * deterministic. Sorting packs (tables − hits, id) into one key
 * (tables − hits)·numItems + id and uses the native numeric sort of a typed
 * array (no comparator calls): int32 keys when they fit (4x faster than
 * float64 ones here), else float64. Unordered, each query's candidates keep
 * their first-found order.
 */
export function retrieve(codes: Int32Array, batch: number, t: BucketTables, opts: RetrieveOptions): Candidates {
  const { tables, numItems } = t;
  const rowIds = scratch(OWNER, 3, numItems, Int32Array);
  const rowHits = scratch(OWNER, 4, numItems, Int32Array);
  const ordered = opts.ordered !== false;
  const sortKeys = tables * numItems <= 0x7fffffff ? scratch(OWNER, 5, numItems, Int32Array) : scratch(OWNER, 6, numItems, Float64Array);
  let ids = new Int32Array(Math.max(16, batch * Math.min(opts.maxCandidates, 64)));
  let hits = new Int32Array(ids.length);
  const offsets = new Int32Array(batch + 1);
  let total = 0;
  for (let i = 0; i < batch; i++) {
    const n = selectRetrieved(t, codes, i, opts.maxCandidates, opts.minTableHits, rowIds, rowHits, opts.tieSeed != null ? deriveSeed(opts.tieSeed, i) : undefined, opts.tieScores);
    if (total + n > ids.length) [ids, hits] = grown(ids, hits, total, total + n);
    if (ordered) {
      for (let k = 0; k < n; k++) sortKeys[k] = (tables - rowHits[k]) * numItems + rowIds[k];
      const kept = sortKeys.subarray(0, n).sort();
      for (let k = 0; k < n; k++) {
        const hitsBack = Math.floor(kept[k] / numItems);
        ids[total + k] = kept[k] - hitsBack * numItems;
        hits[total + k] = tables - hitsBack;
      }
    } else {
      ids.set(rowIds.subarray(0, n), total);
      hits.set(rowHits.subarray(0, n), total);
    }
    total += n;
    offsets[i + 1] = total;
  }
  return { ids: ids.slice(0, total), offsets, hits: hits.slice(0, total) };
}

/** Output arrays (ids, hits) with room for at least `need` entries, the first `used` kept. */
function grown(ids: Int32Array<ArrayBuffer>, hits: Int32Array<ArrayBuffer>, used: number, need: number): [Int32Array<ArrayBuffer>, Int32Array<ArrayBuffer>] {
  const size = Math.max(ids.length * 2, need);
  const a = new Int32Array(size);
  a.set(ids.subarray(0, used));
  const h = new Int32Array(size);
  h.set(hits.subarray(0, used));
  return [a, h];
}

export interface RetrievePaddedAttrs extends RetrieveOptions {
  index: BucketTables;
}

/**
 * Candidate retrieval as a kernel: codes [batch, tables] → candidate ids
 * [batch, maxCandidates] padded with -1, and the number of valid candidates
 * per query [batch].
 */
export const retrieveCandidatesKernel: KernelSpec<RetrievePaddedAttrs> = {
  kernelName: 'HashlayersRetrieveCandidates',
  inputNames: ['codes'],
  outputs: (s, a) => [
    { shape: [s.codes[0], a.maxCandidates], dtype: 'int32' },
    { shape: [s.codes[0]], dtype: 'int32' },
  ],
  compute({ codes }, [out, counts], shapes, attrs) {
    const batch = shapes.codes[0];
    const r = retrieve(codes as Int32Array, batch, attrs.index, attrs);
    out.fill(-1);
    for (let i = 0; i < batch; i++) {
      const n = r.offsets[i + 1] - r.offsets[i];
      counts[i] = n;
      out.set(r.ids.subarray(r.offsets[i], r.offsets[i + 1]), i * attrs.maxCandidates);
    }
  },
};
