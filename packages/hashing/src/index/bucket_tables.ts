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
 * The tables of `newCodes`, from the tables `t` of `oldCodes` (both row-major [n, tables]) where
 * only the items listed in `changed` (distinct ids, any order) may have other codes. Per table:
 * the moved items' old positions (two binary searches each) and their insertion points in the
 * old buckets (sorted by (code, id), O(m log m)), then one merge pass over the old ids (runs
 * copied whole) and the old keys (buckets that empty disappear, new codes become buckets).
 * Tables without moves are copied. O(n · tables + moves · log) time; new arrays, so a reader
 * of `t` keeps a consistent snapshot. The result equals buildBucketTables(newCodes).
 */
export function updateBucketTables(t: BucketTables, oldCodes: Int32Array, newCodes: Int32Array, changed: Int32Array): BucketTables {
  const { tables: L, numItems: n } = t;
  const ids = new Int32Array(n * L);
  const keyStart = new Int32Array(L + 1);
  const keys = new IntList(t.keys.length + 16);
  const offsets = new IntList(t.keys.length + 17);
  const m = changed.length;
  const removed = new Int32Array(m);
  const packed = new Float64Array(m);
  const insertAt = new Int32Array(m);
  const newKeyCode = new Int32Array(m);
  const newKeySize = new Int32Array(m);
  // per old bucket of the current table: items leaving (−) and arriving (+)
  let maxKeys = 0;
  for (let l = 0; l < L; l++) maxKeys = Math.max(maxKeys, t.keyStart[l + 1] - t.keyStart[l]);
  const delta = new Int32Array(maxKeys);
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
      const b = lowerBound(t.keys, ks, ke, from);
      removed[moves] = lowerBound(t.ids, t.offsets[b], t.offsets[b + 1], id);
      delta[b - ks]--;
      packed[moves++] = to * ID_RANGE + id;
    }
    if (moves === 0) {
      ids.set(t.ids.subarray(base, base + n), base);
      keys.pushAll(t.keys.subarray(ks, ke));
      offsets.pushAll(t.offsets.subarray(ks, ke));
      continue;
    }
    const rem = removed.subarray(0, moves).sort();
    const ins = packed.subarray(0, moves).sort();
    // insertion points (positions in the old ids) and the new keys with their sizes, in (code, id) order
    let newKeys = 0;
    for (let k = 0; k < moves; k++) {
      const code = Math.floor(ins[k] / ID_RANGE);
      const id = ins[k] - code * ID_RANGE;
      const b = lowerBound(t.keys, ks, ke, code);
      if (b < ke && t.keys[b] === code) {
        insertAt[k] = lowerBound(t.ids, t.offsets[b], t.offsets[b + 1], id);
        delta[b - ks]++;
      } else {
        insertAt[k] = b < ke ? t.offsets[b] : base + n;
        if (newKeys > 0 && newKeyCode[newKeys - 1] === code) newKeySize[newKeys - 1]++;
        else {
          newKeyCode[newKeys] = code;
          newKeySize[newKeys++] = 1;
        }
      }
    }
    // ids: old runs between the removed positions and the insertion points
    let src = base;
    let dst = base;
    let ri = 0;
    let ii = 0;
    const end = base + n;
    while (ri < moves || ii < moves) {
      const rp = ri < moves ? rem[ri] : end;
      const ip = ii < moves ? insertAt[ii] : end;
      if (ip <= rp) {
        copyRun(ids, dst, t.ids, src, ip);
        dst += ip - src;
        src = ip;
        ids[dst++] = ins[ii] - Math.floor(ins[ii] / ID_RANGE) * ID_RANGE;
        ii++;
      } else {
        copyRun(ids, dst, t.ids, src, rp);
        dst += rp - src;
        src = rp + 1;
        ri++;
      }
    }
    copyRun(ids, dst, t.ids, src, end);
    // keys and offsets: the old keys (sizes adjusted, empty ones dropped) merged with the new ones
    let pos = base;
    let b = ks;
    let k = 0;
    while (b < ke || k < newKeys) {
      if (k >= newKeys || (b < ke && t.keys[b] < newKeyCode[k])) {
        const size = t.offsets[b + 1] - t.offsets[b] + delta[b - ks];
        delta[b - ks] = 0;
        if (size > 0) {
          keys.push(t.keys[b]);
          offsets.push(pos);
          pos += size;
        }
        b++;
      } else {
        keys.push(newKeyCode[k]);
        offsets.push(pos);
        pos += newKeySize[k++];
      }
    }
  }
  keyStart[L] = keys.length;
  offsets.push(n * L);
  return { tables: L, numItems: n, keyStart, keys: keys.done(), offsets: offsets.done(), ids };
}
