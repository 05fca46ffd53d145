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
import { BucketTables, findBucket as lowerBound } from '../kernels/retrieve_candidates.js';

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
 * The tables of `codes` (row-major [n, tables]), from the tables `t` of the previous codes, which
 * differ only for the items listed in `changed` (distinct ids, any order): row j of `oldRows`
 * ([changed.length, tables]) holds the previous codes of item changed[j]. Per table:
 * the moved items' (old code, id) and (new code, id) pairs sorted (O(m log m)), then one merge
 * pass over the old keys and ids: runs of untouched buckets are copied whole; in a touched
 * bucket the runs between departures and arrivals (each found by a binary search) are copied
 * whole; emptied buckets disappear and new codes become buckets. Tables
 * without moves are copied. O(n · tables + moves · log moves); past `mergeLimit` of the codes
 * moving (default MERGE_LIMIT), buildBucketTables(codes): the same tables, cheaper then.
 * New arrays: a reader of `t` keeps a consistent snapshot. The result equals buildBucketTables(codes) exactly.
 */
export function updateBucketTables(
  t: BucketTables,
  codes: Int32Array,
  changed: Int32Array,
  oldRows: Int32Array,
  mergeLimit = MERGE_LIMIT,
): BucketTables {
  const { tables: L, numItems: n } = t;
  const m = changed.length;
  let totalMoves = 0;
  for (let j = 0; j < m; j++) {
    const row = changed[j] * L;
    for (let l = 0; l < L; l++) if (oldRows[j * L + l] !== codes[row + l]) totalMoves++;
  }
  if (totalMoves > mergeLimit * n * L) return buildBucketTables(codes, n, L);
  const ids = new Int32Array(n * L);
  const keyStart = new Int32Array(L + 1);
  const keys = new IntList(t.keys.length + 16);
  const offsets = new IntList(t.keys.length + 17);
  const leaving = new Float64Array(m);
  const arriving = new Float64Array(m);
  const oldIds = t.ids;
  for (let l = 0; l < L; l++) {
    keyStart[l] = keys.length;
    const ks = t.keyStart[l];
    const ke = t.keyStart[l + 1];
    const base = l * n;
    let moves = 0;
    for (let j = 0; j < m; j++) {
      const id = changed[j];
      const from = oldRows[j * L + l];
      const to = codes[id * L + l];
      if (from === to) continue;
      leaving[moves] = from * ID_RANGE + id;
      arriving[moves++] = to * ID_RANGE + id;
    }
    if (moves === 0) {
      ids.set(oldIds.subarray(base, base + n), base);
      keys.pushAll(t.keys.subarray(ks, ke));
      offsets.pushAll(t.offsets.subarray(ks, ke));
      continue;
    }
    // (code, id) pairs sorted: departures grouped by old bucket, arrivals by new bucket, ids ascending
    const dep = leaving.subarray(0, moves).sort();
    const ins = arriving.subarray(0, moves).sort();
    let dst = base;
    let b = ks;
    let k = 0;
    let q = 0;
    while (b < ke || k < moves) {
      const insCode = k < moves ? Math.floor(ins[k] / ID_RANGE) : Infinity;
      const depCode = q < moves ? Math.floor(dep[q] / ID_RANGE) : Infinity;
      const start = dst;
      if (b < ke && t.keys[b] < insCode && t.keys[b] < depCode) {
        // a run of old buckets nothing leaves or enters: copied in one piece
        const limit = Math.min(insCode, depCode);
        let b2 = b + 1;
        while (b2 < ke && t.keys[b2] < limit) b2++;
        const s = t.offsets[b];
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
      if (b < ke && t.keys[b] <= insCode) {
        // an old bucket with departures and/or arrivals: runs between them copied whole, each
        // event found by a binary search from the last one (every departure is in this bucket)
        const code = t.keys[b];
        const codeBase = code * ID_RANGE;
        const codeEnd = codeBase + ID_RANGE;
        let p = t.offsets[b];
        const e = t.offsets[b + 1];
        for (;;) {
          const nextDep = q < moves && dep[q] < codeEnd ? dep[q] - codeBase : ID_RANGE;
          const nextIns = k < moves && ins[k] < codeEnd ? ins[k] - codeBase : ID_RANGE;
          if (nextDep === ID_RANGE && nextIns === ID_RANGE) break;
          if (nextIns < nextDep) {
            const at = lowerBound(oldIds, p, e, nextIns);
            copyRun(ids, dst, oldIds, p, at);
            dst += at - p;
            p = at;
            ids[dst++] = nextIns;
            k++;
          } else {
            const at = lowerBound(oldIds, p, e, nextDep);
            copyRun(ids, dst, oldIds, p, at);
            dst += at - p;
            p = at + 1;
            q++;
          }
        }
        copyRun(ids, dst, oldIds, p, e);
        dst += e - p;
        if (dst > start) {
          keys.push(code);
          offsets.push(start);
        }
        b++;
        continue;
      }
      // a code that was no bucket: its arrivals only
      const codeBase = insCode * ID_RANGE;
      while (k < moves && ins[k] < codeBase + ID_RANGE) ids[dst++] = ins[k++] - codeBase;
      keys.push(insCode);
      offsets.push(start);
    }
  }
  keyStart[L] = keys.length;
  offsets.push(n * L);
  return { tables: L, numItems: n, keyStart, keys: keys.done(), offsets: offsets.done(), ids };
}
