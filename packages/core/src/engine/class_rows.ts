import { adamConstants, adamRows, betaPower } from '../optimizers/adam_math.js';
import type { AdamHyperparameters } from '../optimizers/adam_math.js';
import { createSimdMemory, PrivateSimdMemory } from '../simd/simd_memory.js';
import { engineThreads, KernelCall, KernelThreads } from '../simd/kernel_threads.js';
import { fail } from '../util/validate.js';

/** Pairs below which a kernel runs on the calling thread alone (waking workers costs tens of µs). */
const PARALLEL_MIN = 16384;

/** Boundaries 0 = b[0] ≤ … ≤ b[parts] = n of `parts` contiguous ranges of [0, n) of about equal size. */
function evenParts(n: number, parts: number): number[] {
  return Array.from({ length: parts + 1 }, (_, t) => Math.floor((n * t) / parts));
}

/**
 * Boundaries of `parts` contiguous ranges of the n groups whose work starts
 * at start[j] (start[n] = the total work): each range takes about the same
 * work; the last takes the rest.
 */
function partsByStart(start: Int32Array, n: number, parts: number): number[] {
  const total = start[n];
  const b = [0];
  for (let t = 0, hi = 0; t < parts; t++) {
    const until = Math.floor((total * (t + 1)) / parts);
    while (hi < n && (t === parts - 1 || start[hi] < until)) hi++;
    b.push(hi);
  }
  return b;
}

/** A batch's (query, candidate) pairs grouped by class (ClassRowEngine.group). */
interface Grouping {
  ids: Int32Array;
  batch: number;
  width: number;
  /** Distinct classes, ascending; class rows[j] owns pairs [start[j], start[j+1]). */
  rows: Int32Array;
  start: Int32Array;
  /** Query of each pair and its position i·width + j in the [batch, width] logits. */
  q: Int32Array;
  pos: Int32Array;
  /** The class of each pair. */
  rowOfPair: Int32Array;
}

/**
 * The state of a wide output layer, owned by one engine: class rows W
 * [units, dim], bias b [units] and the lazy-Adam moments of both, in one
 * private WebAssembly memory that the SIMD kernels address directly (plain
 * typed arrays and the JavaScript loops when WebAssembly SIMD is missing or
 * switched off). Every backend uses the same engine, so the state never
 * moves between tfjs and the kernels on a training step: a step reads and
 * writes only the rows of its candidate classes.
 *
 * Why a private memory on every backend, the wasm backend included: the
 * state persists across calls and its views must survive the wasm heap's
 * growth; per call only the batch's features, candidate ids and gradients
 * (batch-sized) are copied in, never the V rows.
 *
 * The layer that owns the engine keeps its tfjs variables as the weights
 * users see (getWeights, setWeights, model.save): it copies the engine's
 * rows out when they are read (`rows()`, `bias()`), and into the engine
 * when they were written (`load`).
 *
 * Lazy Adam (as TF-Addons' LazyAdam): a step updates the moments and values
 * of the rows that received a gradient only; the bias corrections use the
 * engine's global step count t. It differs from dense Adam for rows that
 * are not candidates in a step: dense Adam decays their moments and keeps
 * moving them by the decayed momentum; lazy Adam leaves them untouched.
 */
export class ClassRowEngine {
  /** Optimizer steps applied (the t of the bias corrections). */
  steps = 0;
  /** Incremented by every change of the rows or bias (load or step). */
  version = 0;
  private readonly mem: PrivateSimdMemory | null;
  private readonly off = { w: -1, b: -1, mw: -1, vw: -1, mb: -1, vb: -1 };
  private js: { w: Float32Array; b: Float32Array; mw: Float32Array | null; vw: Float32Array | null; mb: Float32Array | null; vb: Float32Array | null } | null = null;
  /** Rows changed since the last takeChangedRows (for incremental re-hashing). */
  private changed: Uint8Array;
  /** Per-class counters of group(), zero between calls. */
  private counts: Int32Array;
  private grouping: Grouping | null = null;
  private disposed = false;
  /** Threads for the kernels (the calling one included), fixed at construction (engineThreads()). */
  private readonly threadCount: number;
  /** The worker threads, started at the first call big enough to share (undefined: not yet; null: none here). */
  private threads: KernelThreads | null | undefined;
  /** The bucket tables last loaded into the memory (unionRows), and where. */
  private tablesAt: { src: object; keyStart: number; keys: number; offsets: number; ids: number; keyCap: number; idsLen: number } | null = null;
  /** Per thread of unionRows: its hit counters (uint16 per class, zero between calls). */
  private unionCounts: number[] = [];

  constructor(
    readonly units: number,
    readonly dim: number,
    readonly hasBias: boolean,
  ) {
    if (!Number.isInteger(units) || units < 1) fail('units', 'a positive integer', units);
    if (!Number.isInteger(dim) || dim < 1) fail('dim', 'a positive integer', dim);
    const rowBytes = units * dim * 4;
    this.threadCount = engineThreads();
    // shared when worker threads will run kernels on it
    this.mem = createSimdMemory(rowBytes + units * 4 + 64 * 1024, { shared: this.threadCount > 1 });
    if (this.mem != null) {
      this.off.w = this.mem.alloc(rowBytes);
      this.off.b = this.mem.alloc(units * 4);
      if (this.off.w < 0 || this.off.b < 0) fail('units', `class rows that fit a WebAssembly memory (4 GiB)`, `${units} × ${dim}`);
    } else {
      this.js = { w: new Float32Array(units * dim), b: new Float32Array(units), mw: null, vw: null, mb: null, vb: null };
    }
    this.changed = new Uint8Array(units);
    this.counts = new Int32Array(units);
  }

  /** Whether the SIMD kernels run the engine's loops (false: JavaScript). */
  get simd(): boolean {
    return this.mem != null && this.mem.active;
  }

  private check(): void {
    if (this.disposed) fail('ClassRowEngine', 'an engine that is not disposed', 'a disposed engine');
  }

  private f32(key: keyof ClassRowEngine['off'], length: number): Float32Array {
    if (this.mem != null) return this.mem.f32(this.off[key], length);
    const a = (this.js as NonNullable<ClassRowEngine['js']>)[key];
    if (a == null) fail('ClassRowEngine', `allocated ${key}`, 'missing state');
    return a;
  }

  /** The class rows [units · dim] (a view: valid until the engine next allocates; copy to keep). */
  rows(): Float32Array {
    this.check();
    return this.f32('w', this.units * this.dim);
  }

  /** The bias [units] (a view, as rows()), or null without a bias. */
  bias(): Float32Array | null {
    this.check();
    return this.hasBias ? this.f32('b', this.units) : null;
  }

  /** Replaces rows and bias (e.g. after setWeights or a load); the optimizer moments are kept. */
  load(rows: ArrayLike<number>, bias: ArrayLike<number> | null): void {
    this.check();
    if (rows.length !== this.units * this.dim) fail('rows', `${this.units * this.dim} values`, rows.length);
    if (this.hasBias && (bias == null || bias.length !== this.units)) fail('bias', `${this.units} values`, bias?.length ?? null);
    this.f32('w', rows.length).set(rows);
    if (this.hasBias) this.f32('b', this.units).set(bias as ArrayLike<number>);
    this.changed.fill(1);
    this.version++;
  }

  /** Rows changed (loaded or updated) since the last call, ascending; clears the record. */
  takeChangedRows(): Int32Array {
    let n = 0;
    for (let c = 0; c < this.units; c++) n += this.changed[c];
    const out = new Int32Array(n);
    for (let c = 0, j = 0; c < this.units; c++) if (this.changed[c]) out[j++] = c;
    this.changed.fill(0);
    return out;
  }

  /** Marks rows as changed again (e.g. a re-hash of takeChangedRows' rows that failed). */
  markChanged(rows: ArrayLike<number>): void {
    for (let j = 0; j < rows.length; j++) this.changed[rows[j]] = 1;
  }

  /**
   * The (query, candidate) pairs of a batch grouped by class, classes
   * ascending (a counting sort): class rows[j] owns pairs [start[j],
   * start[j+1]), pair p being query q[p] at output position pos[p]. The
   * loops then read each class row once per batch, while it is in cache,
   * instead of once per query at random addresses. Validates the ids.
   * Cached for the ids array of the last call (the forward and the backward
   * pass of one step share it).
   */
  private group(ids: Int32Array, batch: number, width: number): Grouping {
    if (this.grouping?.ids === ids && this.grouping.batch === batch && this.grouping.width === width) return this.grouping;
    if (ids.length !== batch * width) fail('ids', `${batch} × ${width} class ids`, ids.length);
    const count = this.counts;
    let pairs = 0;
    let n = 0;
    for (let p = 0; p < ids.length; p++) {
      const c = ids[p];
      if (c === -1) continue;
      if (c >= this.units || c < -1 || !Number.isInteger(c)) {
        for (let r = 0; r < p; r++) if (ids[r] >= 0) count[ids[r]] = 0;
        fail('ids', `class ids in [0, ${this.units}) or -1 (padding)`, c);
      }
      if (count[c]++ === 0) n++;
      pairs++;
    }
    const rows = new Int32Array(n);
    const start = new Int32Array(n + 1);
    for (let c = 0, j = 0, acc = 0; j < n; c++) {
      if (count[c] === 0) continue;
      rows[j] = c;
      start[j] = acc;
      acc += count[c];
      count[c] = acc - count[c]; // the next free position of class c
      j++;
    }
    start[n] = pairs;
    const q = new Int32Array(pairs);
    const pos = new Int32Array(pairs);
    const rowOfPair = new Int32Array(pairs);
    for (let p = 0; p < ids.length; p++) {
      const c = ids[p];
      if (c < 0) continue;
      const at = count[c]++;
      q[at] = (p / width) | 0;
      pos[at] = p;
      rowOfPair[at] = c;
    }
    for (let j = 0; j < n; j++) count[rows[j]] = 0;
    this.grouping = { ids, batch, width, rows, start, q, pos, rowOfPair };
    return this.grouping;
  }

  /**
   * out[i, j] = h[i] · W[ids[i, j]] + b[ids[i, j]], 0 for padding (-1).
   * h [batch, dim], ids and out [batch, width].
   */
  logits(h: Float32Array, batch: number, ids: Int32Array, width: number, out: Float32Array): void {
    this.check();
    const g = this.group(ids, batch, width);
    const { dim } = this;
    const pairs = g.q.length;
    const it = g.rowOfPair;
    if (this.simd) {
      const mem = this.mem as PrivateSimdMemory;
      const [oh, oit, oq, opos, oo] = mem.scratch(h.length * 4, pairs * 4, pairs * 4, pairs * 4, out.length * 4);
      mem.f32(oh, h.length).set(h);
      mem.i32(oit, pairs).set(it);
      mem.i32(oq, pairs).set(g.q);
      mem.i32(opos, pairs).set(g.pos);
      mem.f32(oo, out.length).fill(0);
      this.pairDot(oh, oit, oq, opos, oo, pairs);
      out.set(mem.f32(oo, out.length));
    } else {
      const w = this.f32('w', this.units * dim);
      out.fill(0); // padding
      for (let p = 0; p < pairs; p++) {
        let s = 0;
        for (let e = 0, a = g.q[p] * dim, r = it[p] * dim; e < dim; e++) s += h[a + e] * w[r + e];
        out[g.pos[p]] = Math.fround(s);
      }
    }
    if (this.hasBias) {
      const b = this.f32('b', this.units);
      for (let p = 0; p < pairs; p++) out[g.pos[p]] = Math.fround(out[g.pos[p]] + b[it[p]]);
    }
  }

  /**
   * Exact scores of ragged candidate lists (inference): out[p] =
   * h[queries[i]] · W[ids[p]] + b[ids[p]] for p in [rowStart[i],
   * rowStart[i+1]), i < lists (queries defaults to 0, 1, …, lists − 1).
   * Several lists are scored in class order (a counting sort of the pairs:
   * each class row is read once per call, in address order); a single list
   * in its own order. Nothing of size [units] is allocated; only the
   * queries and ids are copied into the engine's memory. Validates the ids.
   */
  scoreLists(h: Float32Array, ids: Int32Array, rowStart: Int32Array, lists: number, out: Float32Array, queries?: Int32Array): void {
    this.check();
    const total = rowStart[lists];
    if (!(total >= 0 && total <= ids.length && out.length >= total)) fail('rowStart', `list bounds within the ${ids.length} ids and ${out.length} outputs`, total);
    const at = this.scorePairs(h, ids, rowStart, lists, queries, out, 0);
    if (at != null) out.set((this.mem as PrivateSimdMemory).f32(at.scores, total));
    if (this.hasBias) {
      const b = this.f32('b', this.units);
      for (let p = 0; p < total; p++) out[p] = Math.fround(out[p] + b[ids[p]]);
    }
  }

  /**
   * The end of an inference call in one pass of the engine (SIMD only):
   * scoreLists' scores of list i = query i (bias added), then per list the
   * k best (best first, ties to the smaller id; -1 / −∞ padding) to
   * out.ids/out.scores[i·k ..] and the log-sum-exp of all its scores to
   * out.logZ[i] (−∞ for an empty list). The scores never leave the engine's
   * memory. Returns false, touching nothing, when SIMD does not run here or
   * k is above 64 (the caller then scores with scoreLists and finishes in
   * JavaScript).
   */
  topKLists(h: Float32Array, ids: Int32Array, rowStart: Int32Array, lists: number, k: number, out: { ids: Int32Array; scores: Float32Array; logZ: Float32Array }): boolean {
    this.check();
    if (!this.simd || !(k >= 1 && k <= 64)) return false;
    const total = rowStart[lists];
    if (!(total >= 0 && total <= ids.length)) fail('rowStart', `list bounds within the ${ids.length} ids`, total);
    for (let i = 0; i < lists; i++) if (!(rowStart[i] >= 0 && rowStart[i] <= rowStart[i + 1])) fail('rowStart', 'non-decreasing list bounds from 0', rowStart[i]);
    if (out.ids.length < lists * k || out.scores.length < lists * k || out.logZ.length < lists) fail('out', `room for ${lists} × ${k} results`, out.ids.length);
    const mem = this.mem as PrivateSimdMemory;
    // the lists' ids, their bounds and the results after the pairs' regions (reserved by scorePairs)
    const extra = [total * 4, (lists + 1) * 4, lists * k * 4, lists * k * 4, lists * 4, lists * 8];
    const at = this.scorePairs(h, ids, rowStart, lists, undefined, null, extra) as NonNullable<ReturnType<ClassRowEngine['scorePairs']>>;
    const [oids, ostart, oti, ots, omax, osum] = at.extra;
    mem.i32(oids, total).set(ids.subarray(0, total));
    mem.i32(ostart, lists + 1).set(rowStart.subarray(0, lists + 1));
    const bias = this.hasBias ? this.off.b : -1;
    const threads = this.workers(total);
    // lists split so that each thread gets about the same number of candidates
    const b = partsByStart(rowStart, lists, threads == null ? 1 : threads.count + 1);
    this.runParts(threads, b.slice(1).map((hi, t) => {
      const lo = b[t];
      return { kernel: 'finish_rows', args: [oids, at.scores, ostart + lo * 4, hi - lo, bias, k, oti + lo * k * 4, ots + lo * k * 4, omax + lo * 4, osum + lo * 8] };
    }));
    out.ids.set(mem.i32(oti, lists * k));
    out.scores.set(mem.f32(ots, lists * k));
    const max = mem.f32(omax, lists);
    const sum = new Float64Array(mem.memory.buffer, osum, lists);
    for (let i = 0; i < lists; i++) out.logZ[i] = rowStart[i + 1] > rowStart[i] ? max[i] + Math.log(sum[i]) : -Infinity;
    return true;
  }

  /**
   * Scores h[queries[i]] · W[ids[p]] (no bias) for p in list i's range,
   * lists in class order (a counting sort of the pairs), one list in its own
   * order; validates ids and queries. With SIMD the scores stay in the
   * engine's memory, in list order, at the returned `scores` offset, and
   * `extra` regions of the given byte sizes are reserved after them (valid
   * until the engine next allocates); without SIMD they go to `out` (which
   * must be given) and null is returned.
   */
  private scorePairs(
    h: Float32Array, ids: Int32Array, rowStart: Int32Array, lists: number, queries: Int32Array | undefined,
    out: Float32Array | null, extra: number[] | 0,
  ): { scores: number; extra: number[] } | null {
    const { dim, units } = this;
    const total = rowStart[lists];
    for (let p = 0; p < total; p++) {
      const c = ids[p];
      if (!(c >= 0 && c < units && (c | 0) === c)) fail('ids', `class ids in [0, ${units})`, c);
    }
    const queryOf = (i: number) => (queries != null ? queries[i] : i);
    for (let i = 0; i < lists; i++) {
      const q = queryOf(i);
      if (!(q >= 0 && (q + 1) * dim <= h.length)) fail('queries', `query rows within h (${h.length / dim} rows)`, q);
    }
    // the pairs (class, query, output position), written straight into the engine's memory when SIMD runs
    const mem = this.simd ? (this.mem as PrivateSimdMemory) : null;
    const at = mem != null ? mem.scratch(h.length * 4, total * 4, total * 4, total * 4, total * 4, ...(extra === 0 ? [] : extra)) : null;
    const i32 = (k: number) => (mem != null ? mem.i32((at as number[])[k], total) : new Int32Array(total));
    const it = i32(1);
    const q = i32(2);
    const pos = i32(3);
    if (lists === 1) {
      it.set(ids.subarray(0, total));
      q.fill(queryOf(0));
      for (let p = 0; p < total; p++) pos[p] = p;
    } else {
      // counting sort by class (counts is zero between calls)
      const count = this.counts;
      for (let p = 0; p < total; p++) count[ids[p]]++;
      let acc = 0;
      for (let c = 0; c < units; c++) {
        const n = count[c];
        count[c] = acc;
        acc += n;
      }
      for (let i = 0; i < lists; i++) {
        const qi = queryOf(i);
        for (let p = rowStart[i]; p < rowStart[i + 1]; p++) {
          const c = ids[p];
          const k = count[c]++;
          it[k] = c;
          q[k] = qi;
          pos[k] = p;
        }
      }
      count.fill(0);
    }
    if (mem != null) {
      const [oh, oit, oq, opos, oo, ...rest] = at as number[];
      mem.f32(oh, h.length).set(h);
      this.pairDot(oh, oit, oq, opos, oo, total);
      return { scores: oo, extra: rest };
    }
    const w = this.f32('w', units * dim);
    const o = out as Float32Array;
    for (let p = 0; p < total; p++) {
      let s = 0;
      for (let e = 0, a = q[p] * dim, r = it[p] * dim; e < dim; e++) s += h[a + e] * w[r + e];
      o[pos[p]] = Math.fround(s);
    }
    return null;
  }

  /**
   * Candidate retrieval in the engine: for each query i < batch the union
   * of its buckets (codes[i·tables + l] in table l of `t`) cut to
   * maxCandidates items, most table hits first, the group the cut falls in
   * thinned to its classes of the largest bias (`byBias`, ties to the
   * smaller id), else to a random subset drawn from SeededRandom(seeds[i]),
   * else (`seeds` null) to its smallest ids: the same items in the same
   * order as hashing's selectRetrieved with those tie scores or that seed,
   * computed by WebAssembly (union_rows), on the engine's threads when the
   * batch is big enough. The tables (the CSR arrays of a HashIndex over
   * this engine's classes) are copied into the engine's memory once per
   * tables object. Returns the candidates of every query concatenated and
   * their offsets, or null when SIMD does not run here (the caller then
   * retrieves in JavaScript).
   */
  unionRows(
    t: { tables: number; numItems: number; keyStart: Int32Array; keys: Int32Array; offsets: Int32Array; ids: Int32Array },
    codes: Int32Array, batch: number, maxCandidates: number, minTableHits: number, seeds: Int32Array | null,
    byBias = false,
  ): { ids: Int32Array; offsets: Int32Array } | null {
    this.check();
    if (!this.simd) return null;
    const { tables } = t;
    if (t.numItems !== this.units) fail('tables', `bucket tables over the engine's ${this.units} classes`, t.numItems);
    if (!Number.isInteger(tables) || tables < 1 || tables > 4096 || t.keyStart.length !== tables + 1 || t.ids.length !== this.units * tables) {
      fail('tables', `${tables} tables of ${this.units} ids each`, t.ids.length);
    }
    if (codes.length !== batch * tables) fail('codes', `${batch} × ${tables} bucket ids`, codes.length);
    if (seeds != null && seeds.length !== batch) fail('seeds', `${batch} seeds`, seeds.length);
    if (byBias && !this.hasBias) fail('byBias', 'false for an engine without a bias', byBias);
    if (!Number.isInteger(minTableHits) || minTableHits < 1 || minTableHits > tables) fail('minTableHits', `an integer in [1, ${tables}]`, minTableHits);
    if (!Number.isInteger(maxCandidates) || maxCandidates < 1) fail('maxCandidates', 'a positive integer', maxCandidates);
    const mem = this.mem as PrivateSimdMemory;
    const at = this.loadTables(t);
    const threads = batch >= 32 ? this.workers(PARALLEL_MIN) : null;
    const parts = threads == null ? 1 : Math.min(threads.count + 1, batch);
    while (this.unionCounts.length < parts) {
      const c = mem.alloc(this.units * 2);
      if (c < 0) fail('units', 'hit counters that fit the WebAssembly memory', this.units);
      new Uint16Array(mem.memory.buffer, c, this.units).fill(0);
      this.unionCounts.push(c);
    }
    const room = batch * maxCandidates;
    const [oc, os, oo, on, ...per] = mem.scratch(
      codes.length * 4, batch * 4, room * 4, batch * 4,
      ...Array.from({ length: parts }, () => [this.units * 4, (tables + 2) * 4, 16, byBias ? this.units * 4 : 16]).flat(),
    );
    mem.i32(oc, codes.length).set(codes);
    if (seeds != null) mem.i32(os, batch).set(seeds);
    const b = evenParts(batch, parts);
    this.runParts(threads, b.slice(1).map((hi, p) => {
      const lo = b[p];
      return {
        kernel: 'union_rows',
        args: [at.keyStart, at.keys, at.offsets, at.ids, tables, oc + lo * tables * 4, hi - lo, maxCandidates, minTableHits, seeds != null ? os + lo * 4 : -1, byBias ? this.off.b : -1,
          this.unionCounts[p], per[4 * p], per[4 * p + 1], per[4 * p + 2], per[4 * p + 3], oo + lo * maxCandidates * 4, on + lo * 4],
      };
    }));
    const counts = mem.i32(on, batch);
    const offsets = new Int32Array(batch + 1);
    for (let i = 0; i < batch; i++) offsets[i + 1] = offsets[i] + counts[i];
    const ids = new Int32Array(offsets[batch]);
    const out = mem.i32(oo, room);
    for (let i = 0; i < batch; i++) ids.set(out.subarray(i * maxCandidates, i * maxCandidates + counts[i]), offsets[i]);
    return { ids, offsets };
  }

  /** The bucket tables in the engine's memory: copied when `t` is not the object loaded last. */
  private loadTables(t: { tables: number; keyStart: Int32Array; keys: Int32Array; offsets: Int32Array; ids: Int32Array }) {
    const mem = this.mem as PrivateSimdMemory;
    let at = this.tablesAt;
    if (at?.src === t) return at;
    // blocks of a bump allocator: reused while they are big enough (ids always are: classes × tables), regrown
    // by half again when the bucket count outgrows them (the old blocks stay until the engine is released)
    const need = t.keys.length;
    if (at == null || at.keyCap < need || at.idsLen !== t.ids.length) {
      const keyCap = Math.max(1024, Math.ceil(need * 1.5));
      const keyStart = mem.alloc((t.tables + 1) * 4);
      const keys = mem.alloc(keyCap * 4);
      const offsets = mem.alloc((keyCap + 1) * 4);
      const ids = at != null && at.idsLen === t.ids.length ? at.ids : mem.alloc(t.ids.length * 4);
      if (keyStart < 0 || keys < 0 || offsets < 0 || ids < 0) fail('tables', 'bucket tables that fit the WebAssembly memory', t.ids.length);
      at = { src: t, keyStart, keys, offsets, ids, keyCap, idsLen: t.ids.length };
    }
    mem.i32(at.keyStart, t.keyStart.length).set(t.keyStart);
    mem.i32(at.keys, need).set(t.keys);
    mem.i32(at.offsets, t.offsets.length).set(t.offsets);
    mem.i32(at.ids, t.ids.length).set(t.ids);
    at.src = t;
    this.tablesAt = at;
    return at;
  }

  /**
   * The backward pass of logits(): dh[i] = Σ_j dz[i, j] · W[ids[i, j]] (with
   * the rows as they were in the forward pass), then, when `adam` is given,
   * one lazy-Adam step on the rows and biases of the classes in `ids` with
   * the gradients dW[c] = Σ_{(i,j): ids[i,j] = c} dz[i, j] · h[i] and
   * db[c] = Σ dz[i, j]. Both in one pass over the distinct classes (each row
   * read once; no [classes, dim] gradient buffer). Returns the distinct
   * classes, ascending.
   */
  backward(
    h: Float32Array,
    batch: number,
    ids: Int32Array,
    width: number,
    dz: Float32Array,
    dh: Float32Array,
    adam: AdamHyperparameters | null,
  ): Int32Array {
    this.check();
    const g = this.group(ids, batch, width);
    this.grouping = null; // one forward, one backward: the next step groups its own ids
    const { dim, units } = this;
    const { rows, start, q, pos } = g;
    const n = rows.length;
    const pairs = q.length;
    const pdz = new Float32Array(pairs);
    for (let p = 0; p < pairs; p++) pdz[p] = dz[pos[p]];
    const k = adam != null ? this.nextStep(adam) : null;
    if (k != null) this.ensureMoments();
    if (this.simd) {
      const mem = this.mem as PrivateSimdMemory;
      const threads = this.workers(pairs);
      const parts = threads == null ? 1 : threads.count + 1;
      // per thread: its own d/dh (summed below) and gradient row
      const [oh, oz, oq, os, or, ...per] = mem.scratch(
        h.length * 4, pairs * 4, pairs * 4, (n + 1) * 4, n * 4,
        ...Array.from({ length: parts }, () => [dh.length * 4, dim * 4]).flat(),
      );
      mem.f32(oh, h.length).set(h);
      mem.f32(oz, pairs).set(pdz);
      mem.i32(oq, pairs).set(q);
      mem.i32(os, n + 1).set(start);
      mem.i32(or, n).set(rows);
      const c = k ?? { b1: 0, omb1: 0, b2: 0, omb2: 0, c1: 1, c2: 1, eps: 1, nlr: 0 };
      // the distinct rows split in contiguous ranges of about equal pairs: each row (and its Adam state) has one owner
      const b = partsByStart(start, n, parts);
      this.runParts(threads, b.slice(1).map((hi, t) => {
        const lo = b[t];
        const [odh, og] = [per[2 * t], per[2 * t + 1]];
        mem.f32(odh, dh.length).fill(0);
        return {
          kernel: 'sparse_rows_step',
          args: [oh, oz, oq, os + lo * 4, or + lo * 4, hi - lo, this.off.w, this.off.mw, this.off.vw, odh, og, dim, k != null ? 1 : 0, c.b1, c.omb1, c.b2, c.omb2, c.c1, c.c2, c.eps, c.nlr],
        };
      }));
      dh.set(mem.f32(per[0], dh.length));
      for (let t = 1; t < parts; t++) {
        const part = mem.f32(per[2 * t], dh.length);
        for (let e = 0; e < dh.length; e++) dh[e] += part[e];
      }
    } else {
      const w = this.f32('w', units * dim);
      const m = k != null ? this.f32('mw', units * dim) : null;
      const v = k != null ? this.f32('vw', units * dim) : null;
      const grad = new Float32Array(dim);
      const one = Int32Array.of(0);
      dh.fill(0);
      for (let j = 0; j < n; j++) {
        const r = rows[j] * dim;
        grad.fill(0);
        for (let p = start[j]; p < start[j + 1]; p++) {
          const d = pdz[p];
          const a = q[p] * dim;
          for (let e = 0; e < dim; e++) {
            dh[a + e] += d * w[r + e];
            grad[e] += d * h[a + e];
          }
        }
        if (k != null) {
          one[0] = rows[j];
          adamRows(w, grad, m as Float32Array, v as Float32Array, one, dim, true, null, k);
        }
      }
    }
    if (k != null) {
      if (this.hasBias) {
        const gb = new Float32Array(n);
        for (let j = 0; j < n; j++) for (let p = start[j]; p < start[j + 1]; p++) gb[j] += pdz[p];
        adamRows(this.f32('b', units), gb, this.f32('mb', units), this.f32('vb', units), rows, 1, true, null, k);
      }
      for (let j = 0; j < n; j++) this.changed[rows[j]] = 1;
      this.version++;
    }
    return rows;
  }

  /** The constants of the next lazy-Adam step (float32 β powers, as tf.train.adam). */
  private nextStep(adam: AdamHyperparameters) {
    this.steps++;
    return adamConstants(adam, betaPower(adam.beta1, this.steps), betaPower(adam.beta2, this.steps));
  }

  /** Allocates the moments (zeros) at the first optimizer step. */
  private ensureMoments(): void {
    const { units, dim } = this;
    if (this.mem != null) {
      if (this.off.mw >= 0) return;
      for (const key of ['mw', 'vw', 'mb', 'vb'] as const) {
        const size = key === 'mw' || key === 'vw' ? units * dim : units;
        this.off[key] = this.mem.alloc(size * 4);
        if (this.off[key] < 0) fail('units', 'optimizer moments that fit a WebAssembly memory (4 GiB)', `${units} × ${dim}`);
      }
      // views only after every allocation (growing the memory detaches older views)
      for (const key of ['mw', 'vw', 'mb', 'vb'] as const) this.f32(key, key === 'mw' || key === 'vw' ? units * dim : units).fill(0);
      return;
    }
    const js = this.js as NonNullable<ClassRowEngine['js']>;
    if (js.mw != null) return;
    js.mw = new Float32Array(units * dim);
    js.vw = new Float32Array(units * dim);
    js.mb = new Float32Array(units);
    js.vb = new Float32Array(units);
  }

  /** Releases the memory (the private WebAssembly memory goes with the last reference) and ends the worker threads. */
  dispose(): void {
    this.disposed = true;
    this.js = null;
    this.threads?.dispose();
    this.threads = null;
  }

  /**
   * The worker threads for a job of `work` units (pairs), or null to run it
   * on the calling thread alone: below PARALLEL_MIN pairs, the wake-up and
   * wait (tens of µs) would cost more than they save.
   */
  private workers(work: number): KernelThreads | null {
    if (this.threadCount < 2 || work < PARALLEL_MIN || this.mem == null || !this.simd) return null;
    if (this.threads === undefined) this.threads = KernelThreads.create(this.mem.memory, this.threadCount - 1, this);
    return this.threads;
  }

  /** pair_dot over pairs [0, n), split in contiguous ranges over the threads (disjoint outputs). */
  private pairDot(oh: number, oit: number, oq: number, opos: number, oo: number, n: number): void {
    const threads = this.workers(n);
    const b = evenParts(n, threads == null ? 1 : threads.count + 1);
    this.runParts(threads, b.slice(1).map((hi, t) => {
      const lo = b[t];
      return { kernel: 'pair_dot', args: [oh, this.off.w, oit + lo * 4, oq + lo * 4, opos + lo * 4, oo, hi - lo, this.dim] };
    }));
  }

  /** Runs the calls, one per thread: the only one on the calling thread without workers. */
  private runParts(threads: KernelThreads | null, calls: KernelCall[]): void {
    const kernels = (this.mem as PrivateSimdMemory).kernels;
    if (threads == null) {
      const { kernel, args } = calls[0];
      (kernels[kernel] as (...a: number[]) => void)(...args);
    } else threads.run(kernels, calls);
  }
}
