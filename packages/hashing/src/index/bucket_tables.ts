/**
 * Building and updating the CSR bucket tables of `HashIndex` (the
 * `BucketTables` layout the kernels read: per table, sorted distinct keys;
 * each bucket's items sorted by id; offsets global positions in `ids`, table
 * l's items at ids[l·n, (l+1)·n)).
 *
 * Both functions produce exactly the tables a sort of the (code, id) pairs of
 * every table gives; neither sorts them. `buildBucketTables` counts
 * (one counting pass per table when the codes are small, two 16-bit radix
 * passes otherwise); `updateBucketTables` merges the moved items into the old
 * tables in one linear pass per table. Measured in docs/results/hashing-update.md.
 */
import { BucketTables } from '../kernels/retrieve_candidates.js';

/** An Int32Array that grows by doubling (keys and offsets, whose count is known only at the end). */
class IntList {
  data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  pushAll(src: Int32Array): void {
    while (this.length + src.length > this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(src, this.length);
    this.length += src.length;
  }
  done(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * The CSR tables of row-major codes [n, tables] (codes in [0, 2^30)): per table, a stable
 * counting sort of the item ids by code (ids enter in increasing order, so each bucket comes out
 * sorted by id). Codes below max(2^16, 2n) take one counting pass; larger ones two 16-bit radix
 * passes. Replaced a Float64Array sort of code·2^23 + id per table (0.5 s at 100k items and 16
 * tables; see docs/results/hashing-update.md for the counting version).
 */
export function buildBucketTables(codes: Int32Array, n: number, tables: number): BucketTables {
  const L = tables;
  const ids = new Int32Array(n * L);
  const keyStart = new Int32Array(L + 1);
  const keys = new IntList(Math.min(n * L, 1 << 16));
  const offsets = new IntList(Math.min(n * L, 1 << 16) + 1);
  const col = new Int32Array(n);
  let tmp: Int32Array | null = null;
  let sorted: Int32Array | null = null;
  for (let l = 0; l < L; l++) {
    keyStart[l] = keys.length;
    const base = l * n;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const c = codes[i * L + l];
      col[i] = c;
      if (c > max) max = c;
    }
    if (max < Math.max(1 << 16, 2 * n)) {
      // one counting pass: start[c] = first position of bucket c
      const start = new Int32Array(max + 2);
      for (let i = 0; i < n; i++) start[col[i] + 1]++;
      let pos = 0;
      for (let c = 0; c <= max; c++) {
        const count = start[c + 1];
        if (count > 0) {
          keys.push(c);
          offsets.push(base + pos);
        }
        start[c] = pos;
        pos += count;
      }
      for (let i = 0; i < n; i++) ids[base + start[col[i]]++] = i;
    } else {
      // two stable radix passes, low 16 bits then the rest
      tmp ??= new Int32Array(n);
      sorted ??= new Int32Array(n);
      const lo = new Int32Array((1 << 16) + 1);
      for (let i = 0; i < n; i++) lo[(col[i] & 0xffff) + 1]++;
      for (let d = 0; d < 1 << 16; d++) lo[d + 1] += lo[d];
      for (let i = 0; i < n; i++) tmp[lo[col[i] & 0xffff]++] = i;
      const hiMax = max >>> 16;
      const hi = new Int32Array(hiMax + 2);
      for (let i = 0; i < n; i++) hi[(col[i] >>> 16) + 1]++;
      for (let d = 0; d <= hiMax; d++) hi[d + 1] += hi[d];
      for (let j = 0; j < n; j++) {
        const id = tmp[j];
        const p = hi[col[id] >>> 16]++;
        ids[base + p] = id;
        sorted[p] = col[id];
      }
      for (let p = 0; p < n; p++) {
        if (p === 0 || sorted[p] !== sorted[p - 1]) {
          keys.push(sorted[p]);
          offsets.push(base + p);
        }
      }
    }
  }
  keyStart[L] = keys.length;
  offsets.push(n * L);
  return { tables: L, numItems: n, keyStart, keys: keys.done(), offsets: offsets.done(), ids };
}

/** First index in a[lo, hi) whose value is ≥ v (a sorted). */
function lowerBound(a: Int32Array, lo: number, hi: number, v: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** dst[d ..] = src[s, e): a loop for short runs (a subarray view costs more than ~32 element copies). */
function copyRun(dst: Int32Array, d: number, src: Int32Array, s: number, e: number): void {
  if (e - s < 32) {
    for (let k = s; k < e; k++) dst[d++] = src[k];
  } else {
    dst.set(src.subarray(s, e), d);
  }
}

const ID_RANGE = 2 ** 23;

/**
 * The fraction of (item, table) codes moving beyond which `updateBucketTables` builds the tables
 * anew: the merge pays a sort and scattered reads per move, the counting build ~2 linear passes
 * per (item, table). Measured with WTA-like codes (4096 buckets a table, 16 tables): at 100k
 * items the build takes ~17 ms, the merge 1.3 ms with nothing moving, ~3 ms at 0.05% of the codes
 * moving, ~8 ms at 0.5%, ~16 ms at 2.5%, ~27 ms at 5%; at 500k the build ~120 ms, the merge
 * ~44 ms at 0.5%, ~83 ms at 2.5%, ~157 ms at 5%. The crossover is ~3-4% of the codes.
 */
export const MERGE_LIMIT = 1 / 32;

/**
 * The tables of `newCodes`, from the tables `t` of `oldCodes` (both row-major [n, tables]) where
 * only the items listed in `changed` (distinct ids, any order) may have other codes. Per table:
 * the moved items are flagged and counted per old bucket (a binary search in the table's keys),
 * their (new code, id) pairs sorted (O(m log m)), then one merge pass over the old keys and
 * ids: untouched buckets are copied whole, touched ones merged with their arrivals (dropping
 * the flagged departures), emptied buckets disappear and new codes become buckets. Tables
 * without moves are copied. O(n · tables + moves · log moves); past `mergeLimit` of the codes
 * moving (default MERGE_LIMIT), buildBucketTables(newCodes): the same tables, cheaper then.
 * New arrays: a reader of `t` keeps a consistent snapshot. The result equals buildBucketTables(newCodes) exactly.
 */
export function updateBucketTables(
  t: BucketTables,
  oldCodes: Int32Array,
  newCodes: Int32Array,
  changed: Int32Array,
  mergeLimit = MERGE_LIMIT,
): BucketTables {
  const { tables: L, numItems: n } = t;
  const m = changed.length;
  let totalMoves = 0;
  for (let j = 0; j < m; j++) {
    const row = changed[j] * L;
    for (let l = 0; l < L; l++) if (oldCodes[row + l] !== newCodes[row + l]) totalMoves++;
  }
  if (totalMoves > mergeLimit * n * L) return buildBucketTables(newCodes, n, L);
  const ids = new Int32Array(n * L);
  const keyStart = new Int32Array(L + 1);
  const keys = new IntList(t.keys.length + 16);
  const offsets = new IntList(t.keys.length + 17);
  const packed = new Float64Array(m);
  const gone = new Uint8Array(n);
  // per old bucket of the current table: how many of its items leave
  let maxKeys = 0;
  for (let l = 0; l < L; l++) maxKeys = Math.max(maxKeys, t.keyStart[l + 1] - t.keyStart[l]);
  const leaving = new Int32Array(maxKeys);
  const oldIds = t.ids;
  for (let l = 0; l < L; l++) {
    keyStart[l] = keys.length;
    const ks = t.keyStart[l];
    const ke = t.keyStart[l + 1];
    const base = l * n;
    let moves = 0;
    for (let j = 0; j < m; j++) {
      const id = changed[j];
      const from = oldCodes[id * L + l];
      const to = newCodes[id * L + l];
      if (from === to) continue;
      leaving[lowerBound(t.keys, ks, ke, from) - ks]++;
      gone[id] = 1;
      packed[moves++] = to * ID_RANGE + id;
    }
    if (moves === 0) {
      ids.set(oldIds.subarray(base, base + n), base);
      keys.pushAll(t.keys.subarray(ks, ke));
      offsets.pushAll(t.offsets.subarray(ks, ke));
      continue;
    }
    const ins = packed.subarray(0, moves).sort();
    let dst = base;
    let b = ks;
    let k = 0;
    while (b < ke || k < moves) {
      const code = k < moves ? Math.floor(ins[k] / ID_RANGE) : Infinity;
      const start = dst;
      if (b < ke && t.keys[b] < code) {
        // an old bucket nothing arrives in: a run of untouched ones copied in one piece, or one without its departures
        const s = t.offsets[b];
        if (leaving[b - ks] === 0) {
          let b2 = b + 1;
          while (b2 < ke && t.keys[b2] < code && leaving[b2 - ks] === 0) b2++;
          const e = t.offsets[b2];
          copyRun(ids, dst, oldIds, s, e);
          const shift = dst - s;
          for (; b < b2; b++) {
            keys.push(t.keys[b]);
            offsets.push(t.offsets[b] + shift);
          }
          dst += e - s;
          continue;
        }
        const e = t.offsets[b + 1];
        for (let p = s; p < e; p++) {
          const id = oldIds[p];
          if (gone[id] === 0) ids[dst++] = id;
        }
        leaving[b - ks] = 0;
        if (dst > start) {
          keys.push(t.keys[b]);
          offsets.push(start);
        }
        b++;
        continue;
      }
      // the arrivals with this code (sorted by id), merged with the old bucket's stayers if it exists
      let p = 0;
      let e = 0;
      if (b < ke && t.keys[b] === code) {
        p = t.offsets[b];
        e = t.offsets[b + 1];
        leaving[b - ks] = 0;
        b++;
      }
      const codeBase = code * ID_RANGE;
      while (k < moves && ins[k] < codeBase + ID_RANGE) {
        const arriving = ins[k] - codeBase;
        while (p < e && oldIds[p] < arriving) {
          const id = oldIds[p++];
          if (gone[id] === 0) ids[dst++] = id;
        }
        ids[dst++] = arriving;
        k++;
      }
      for (; p < e; p++) {
        const id = oldIds[p];
        if (gone[id] === 0) ids[dst++] = id;
      }
      keys.push(code);
      offsets.push(start);
    }
    for (let j = 0; j < m; j++) gone[changed[j]] = 0;
  }
  keyStart[L] = keys.length;
  offsets.push(n * L);
  return { tables: L, numItems: n, keyStart, keys: keys.done(), offsets: offsets.done(), ids };
}
