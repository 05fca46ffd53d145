import * as tf from '@tensorflow/tfjs-core';
import { HashFamily } from '../families/hash_family.js';
import {
  BucketTables,
  Candidates,
  retrieve,
} from '../kernels/retrieve_candidates.js';
import { retrieveCandidates } from '../ops/retrieve_candidates.js';
import { candidateTopK } from '../ops/candidate_top_k.js';
import { buildBucketTables, updateBucketTables } from './bucket_tables.js';
import { assertFiniteTensor, assertInt, assertMatrix, assertOneOf, fail } from '@hashlayers/core/internal';

export type { Candidates } from '../kernels/retrieve_candidates.js';

export interface HashIndexOptions {
  /**
   * Fold a per-item bias into the inner product: items are hashed as [w; b]
   * and queries as [x; 1], so x·w + b becomes one inner product.
   */
  foldBias?: boolean;
  /**
   * 'mips': the Simple-LSH transform (Neyshabur & Srebro 2015) that turns
   * maximum inner product search into cosine similarity: items become
   * [w/M; sqrt(1 − ‖w/M‖²)] with M the largest item norm, queries
   * [x/‖x‖; 0]. 'none' hashes the vectors as they are.
   */
  transform?: 'none' | 'mips';
  /**
   * Keep the item vectors (and bias) given to build/add/rebuild, so that
   * `search` can rescore candidates exactly (default true). A layer that
   * holds its own weights passes false and calls candidateTopK itself.
   */
  storeItems?: boolean;
}

/** Options of `retrieve`, `retrieveCodes` and `retrievePadded` (candidates only, no scores). */
export interface RetrieveOptions {
  /** At most this many candidates per query, most table hits first (default: all). */
  maxCandidates?: number;
  /** Only candidates sharing the query's bucket in at least this many tables (default 1). */
  minTableHits?: number;
  /**
   * false: the same candidates per query, in first-found order instead of by
   * hits then id (faster: no sort unless maxCandidates cuts inside a group of equal hits; default true).
   */
  ordered?: boolean;
  /**
   * Which items of a group of equal hits survive a cut by maxCandidates: by
   * default the smallest ids; with a seed, a uniformly random subset drawn
   * from it and the query's row (deterministic, and independent of how the
   * items are numbered). LSHSoftmax passes a fresh seed per training step.
   */
  tieSeed?: number;
  /**
   * The same choice by score: the group's items with the largest
   * `tieScores[item]` (ties to the smaller id), e.g. a class's bias. Takes
   * precedence over tieSeed. One finite number per item.
   */
  tieScores?: ArrayLike<number>;
}

/** Options of `search` (FAISS-shaped k-nearest search by exact inner product over the retrieved candidates). */
export interface SearchOptions {
  /** At most this many candidates rescored per query, most table hits first (default: all retrieved). */
  maxCandidates?: number;
  /** Only candidates sharing the query's bucket in at least this many tables (default 1). */
  minTableHits?: number;
  /** Queries with fewer retrieved candidates are scored against every item (default 0: never; they get −1 padding). */
  exactBelow?: number;
}

/** What `search` returns, as FAISS does: ids padded with −1, best first. */
export interface SearchResult {
  /** [n, k] int32 item ids, best first; −1 where a query has fewer than k candidates. */
  ids: tf.Tensor2D;
  /** [n, k] float32 exact scores q · item (+ bias with foldBias); −Infinity where ids is −1. */
  scores: tf.Tensor2D;
}

export interface BuildReport {
  items: number;
  /** Distinct non-empty buckets over all tables. */
  buckets: number;
  /** Largest bucket. */
  maxBucketSize: number;
}

export interface RebuildReport extends BuildReport {
  /** (item, table) codes that differ from the previous build. */
  changedCodes: number;
  /** Items with at least one changed code. */
  changedItems: number;
  /** changedCodes / (items · tables). */
  changedFraction: number;
  /** False when fewer codes changed than `minChangedFraction` asked for (tables kept). */
  rebuilt: boolean;
}

/** What `update` did: the counts of `RebuildReport`, and how many rows went through the hash family. */
export interface UpdateReport extends BuildReport {
  /** (item, table) codes that differ from before the update. */
  changedCodes: number;
  /** Items with at least one changed code. */
  changedItems: number;
  /** changedCodes / (items · tables). */
  changedFraction: number;
  /** Rows hashed: ids.length, or every item when `rescaled`. */
  rehashedItems: number;
  /**
   * transform 'mips' only: the update changed the largest item norm, which scales every item,
   * so every item was re-hashed (from the stored items) and the tables rebuilt.
   */
  rescaled: boolean;
}

const MAX_ITEMS = 1 << 23;

/**
 * A bucket index over item vectors with the vocabulary of FAISS: `build`
 * (or `add`) items, `search` queries. L tables from one hash family; every
 * table is stored in CSR form (sorted distinct bucket ids, offsets, item
 * ids: typed arrays, no per-bucket JavaScript arrays).
 */
export class HashIndex {
  readonly family: HashFamily;
  readonly foldBias: boolean;
  readonly transform: 'none' | 'mips';
  private itemCodes: Int32Array = new Int32Array(0);
  private numItems = 0;
  private tablesCsr: BucketTables | null = null;
  private itemDim = -1;
  readonly storeItems: boolean;
  /** The indexed vectors and bias (storeItems), kept for search's exact rescoring. */
  private stored: { items: tf.Tensor2D; bias: tf.Tensor1D | null } | null = null;
  /**
   * transform 'mips': the squared norm of every item as hashed ([w; b], float32 as the backend
   * computes it) and their maximum, which sets the scale; what `update` needs to know whether
   * the scale moved. null when unknown (restored from codes alone) or without 'mips'.
   */
  private norms: { sq: Float32Array; max: number } | null = null;

  constructor(family: HashFamily, opts: HashIndexOptions = {}) {
    if (family == null || typeof family.hash !== 'function' || typeof family.hashQueries !== 'function') fail('family', 'a HashFamily', family);
    this.family = family;
    this.foldBias = opts.foldBias ?? false;
    this.transform = assertOneOf('transform', opts.transform ?? 'none', ['none', 'mips']);
    if (opts.storeItems != null && typeof opts.storeItems !== 'boolean') fail('storeItems', 'a boolean', opts.storeItems);
    this.storeItems = opts.storeItems ?? true;
  }

  /** Keeps (a reference-counted clone of) the indexed vectors for search; replaces what was kept. */
  private store(items: tf.Tensor2D, bias: tf.Tensor1D | undefined): void {
    if (!this.storeItems) return;
    const next = { items: tf.keep(tf.clone(items)), bias: bias != null ? tf.keep(tf.clone(bias)) : null };
    this.dispose();
    this.stored = next;
  }

  /** Frees the vectors the index keeps for search (not the hash family, which the caller owns). */
  dispose(): void {
    this.stored?.items.dispose();
    this.stored?.bias?.dispose();
    this.stored = null;
  }

  /** Extra input dimensions the options add to an item vector. */
  get extraDims(): number {
    return (this.foldBias ? 1 : 0) + (this.transform === 'mips' ? 1 : 0);
  }

  get size(): number {
    return this.numItems;
  }

  get tables(): number {
    return this.family.tables;
  }

  /** The item codes [size · tables] (row-major, a copy). */
  codes(): Int32Array {
    return this.itemCodes.slice();
  }

  private checkItems(items: tf.Tensor2D, bias?: tf.Tensor1D, allowEmpty = false): void {
    const dim = this.family.inputDim - this.extraDims;
    assertMatrix('items', items, { cols: dim, allowEmpty });
    if (items.shape[0] > MAX_ITEMS) fail('items', `at most ${MAX_ITEMS} rows`, items);
    if (this.foldBias) {
      if (!(bias instanceof tf.Tensor) || bias.rank !== 1 || bias.shape[0] !== items.shape[0]) {
        fail('bias', `a rank-1 tensor of length ${items.shape[0]} (foldBias is on)`, bias);
      }
    } else if (bias != null) {
      fail('bias', 'no bias (foldBias is off)', bias);
    }
    assertFiniteTensor('items', items);
    if (bias != null) assertFiniteTensor('bias', bias);
  }

  /** Items as the hash family sees them (bias folded, MIPS transform). */
  transformItems(items: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
    return this.transformScaled(items, bias);
  }

  /**
   * transformItems with the MIPS scale set by `maxSq` (the largest squared item norm) instead of
   * the rows' own largest: what lets `update` hash a subset exactly as a build of every item
   * does. The same tf ops either way (sqrt of the float32 maximum), so the same bits.
   */
  private transformScaled(items: tf.Tensor2D, bias: tf.Tensor1D | undefined, maxSq?: number): tf.Tensor2D {
    return tf.tidy(() => {
      let v: tf.Tensor2D = items;
      if (this.foldBias) v = tf.concat([v, tf.reshape(bias as tf.Tensor1D, [-1, 1])], 1);
      if (this.transform === 'mips') {
        const sq = tf.sum(tf.square(v), 1, true);
        const maxNorm = tf.sqrt(maxSq == null ? tf.max(sq) : tf.scalar(maxSq));
        const scaled = tf.div(v, tf.maximum(maxNorm, 1e-12));
        const rest = tf.sqrt(tf.relu(tf.sub(1, tf.sum(tf.square(scaled), 1, true))));
        v = tf.concat([scaled, rest], 1) as tf.Tensor2D;
      }
      return v;
    }) as tf.Tensor2D;
  }

  /** Squared norms of the rows as hashed ([w; b]), computed by the same ops as the MIPS transform. */
  private squaredNorms(items: tf.Tensor2D, bias?: tf.Tensor1D): Float32Array {
    if (items.shape[0] === 0) return new Float32Array(0);
    const sq = tf.tidy(() => {
      const v = this.foldBias ? tf.concat([items, tf.reshape(bias as tf.Tensor1D, [-1, 1])], 1) : items;
      return tf.sum(tf.square(v), 1, true);
    });
    const values = Float32Array.from(sq.dataSync() as Float32Array);
    sq.dispose();
    return values;
  }

  /** Queries as the hash family sees them ([x; 1], normalised for MIPS). */
  transformQueries(queries: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let v: tf.Tensor2D = queries;
      if (this.foldBias) v = tf.concat([v, tf.ones([v.shape[0], 1])], 1);
      if (this.transform === 'mips') {
        const norm = tf.sqrt(tf.sum(tf.square(v), 1, true));
        v = tf.concat([tf.div(v, tf.maximum(norm, 1e-12)), tf.zeros([v.shape[0], 1])], 1) as tf.Tensor2D;
      }
      return v;
    }) as tf.Tensor2D;
  }

  private hashItems(items: tf.Tensor2D, bias?: tf.Tensor1D): Int32Array {
    this.checkItems(items, bias);
    return this.hashRows(items, bias);
  }

  /** Codes of checked rows (row-major [rows · tables]); `maxSq` fixes the MIPS scale (default: these rows' largest norm). */
  private hashRows(items: tf.Tensor2D, bias: tf.Tensor1D | undefined, maxSq?: number): Int32Array {
    const codes = tf.tidy(() => this.family.hash(this.transformScaled(items, bias, maxSq)));
    const values = codes.dataSync() as Int32Array;
    codes.dispose();
    return Int32Array.from(values);
  }

  /** With 'mips': records the norms of the items just indexed (the scale `update` checks against). */
  private setNorms(items: tf.Tensor2D | null, bias?: tf.Tensor1D | null): void {
    if (this.transform !== 'mips' || items == null) {
      this.norms = null;
      return;
    }
    const sq = this.squaredNorms(items, bias ?? undefined);
    let max = 0;
    for (let i = 0; i < sq.length; i++) if (sq[i] > max) max = sq[i];
    this.norms = { sq, max };
  }

  /** Hashes the items (rows of a [n, dim] tensor, rank checked at run time) into the tables, replacing what was there. */
  build(items: tf.Tensor, bias?: tf.Tensor1D): BuildReport {
    const rows = items as tf.Tensor2D;
    const codes = this.hashItems(rows, bias);
    this.setCodes(codes, rows.shape[0], rows.shape[1]);
    this.setNorms(rows, bias);
    this.store(rows, bias);
    return this.report();
  }

  /** Appends items (rows of a [n, dim] tensor, rank checked at run time); their ids continue after the existing ones. */
  add(items: tf.Tensor, bias?: tf.Tensor1D): BuildReport {
    const rows = items as tf.Tensor2D;
    if (this.transform === 'mips' && this.numItems > 0) {
      fail('add', "build() (the 'mips' transform scales by the largest norm of all items)", 'add()');
    }
    const codes = this.hashItems(rows, bias);
    const all = new Int32Array(this.itemCodes.length + codes.length);
    all.set(this.itemCodes);
    all.set(codes, this.itemCodes.length);
    const before = this.numItems;
    this.setCodes(all, before + rows.shape[0], rows.shape[1]);
    this.setNorms(rows, bias); // 'mips' adds to an empty index only: these rows are all the items
    if (this.storeItems && (before === 0 || this.stored != null)) {
      const prev = this.stored;
      const catItems = prev == null ? tf.clone(rows) : (tf.concat([prev.items, rows]) as tf.Tensor2D);
      const catBias = bias == null ? null : prev?.bias == null ? tf.clone(bias) : (tf.concat([prev.bias, bias]) as tf.Tensor1D);
      this.dispose();
      this.stored = { items: tf.keep(catItems), bias: catBias != null ? tf.keep(catBias) : null };
    }
    return this.report();
  }

  /**
   * Re-hashes changed item vectors (same count) and reports how many codes
   * changed; the tables are rebuilt only when at least `minChangedFraction`
   * of the codes changed (default 0: whenever any changed).
   */
  rebuild(items: tf.Tensor2D, bias?: tf.Tensor1D, opts: { minChangedFraction?: number } = {}): RebuildReport {
    if (this.tablesCsr == null) fail('rebuild', 'an index that was built first', 'an empty index');
    if (items instanceof tf.Tensor && items.shape[0] !== this.numItems) {
      fail('items', `${this.numItems} rows (the indexed items)`, items);
    }
    const minFrac = opts.minChangedFraction ?? 0;
    if (!(minFrac >= 0 && minFrac <= 1)) fail('minChangedFraction', 'a number in [0, 1]', minFrac);
    const codes = this.hashItems(items, bias);
    const L = this.tables;
    let changedCodes = 0;
    let changedItems = 0;
    for (let i = 0; i < this.numItems; i++) {
      let c = 0;
      for (let l = 0; l < L; l++) if (codes[i * L + l] !== this.itemCodes[i * L + l]) c++;
      changedCodes += c;
      if (c > 0) changedItems++;
    }
    const changedFraction = changedCodes / Math.max(1, this.numItems * L);
    const rebuilt = changedCodes > 0 && changedFraction >= minFrac;
    if (rebuilt) this.setCodes(codes, this.numItems, items.shape[1]);
    // the norms follow the items the codes were hashed from (kept codes: the previous items')
    if (rebuilt || changedCodes === 0) this.setNorms(items, bias);
    this.store(items, bias);
    return { ...this.report(), changedCodes, changedItems, changedFraction, rebuilt };
  }

  /**
   * Replaces the rows `ids` of the indexed items: row j of `items` (and `bias[j]`) is the new
   * vector of item `ids[j]`. Only these rows are hashed (the same transform as build), and the
   * tables are updated for the items whose codes changed: merged into the old tables in one
   * pass per table (no re-hash of the other rows, no sort of the tables), or, when more than
   * 1/32 of all codes moved, built anew by one counting pass per table (cheaper then; the same
   * tables). Afterwards `codes()` and `bucketTables()` equal what `build()` of the updated item
   * set gives, bit for bit.
   *
   * transform 'mips' scales every item by the largest item norm: when the update leaves that
   * norm unchanged, only the given rows are hashed; when it changes, every code may change, so
   * the index re-hashes all items from its stored vectors (`rescaled: true` in the report), and
   * throws without them (storeItems: false, or restored from codes alone): call `rebuild`
   * with every item then. The stored vectors (storeItems) are updated too (an O(size · dim)
   * copy on the backend). Nothing changes when it throws.
   *
   * @param ids distinct item ids in [0, size)
   * @param items [ids.length, dim] the new vectors
   * @param bias [ids.length] the new bias (with foldBias only)
   */
  update(ids: Int32Array | readonly number[], items: tf.Tensor2D, bias?: tf.Tensor1D): UpdateReport {
    if (this.tablesCsr == null) fail('index', 'an index that was built first', 'an empty index');
    const n = this.numItems;
    const L = this.tables;
    const list = checkIds(ids, n);
    const m = list.length;
    this.checkItems(items, bias, true);
    if (items.shape[0] !== m) fail('items', `${m} rows (one per id)`, items);
    let maxSq: number | undefined;
    let rescaled = false;
    let newSq: Float32Array | null = null;
    if (this.transform === 'mips' && m > 0) {
      if (this.norms == null && this.stored != null) this.setNorms(this.stored.items, this.stored.bias);
      if (this.norms == null) {
        fail('index', "an index that knows its items' norms for transform 'mips' (built, rebuilt, or restored with fromTensors({ codes, items })); rebuild() it with every item", 'an index restored from codes alone');
      }
      newSq = this.squaredNorms(items, bias);
      // the largest norm after the update: the untouched items' and the new rows'
      const touched = new Uint8Array(n);
      for (let j = 0; j < m; j++) touched[list[j]] = 1;
      let max = 0;
      for (let i = 0; i < n; i++) if (touched[i] === 0 && this.norms.sq[i] > max) max = this.norms.sq[i];
      for (let j = 0; j < m; j++) if (newSq[j] > max) max = newSq[j];
      rescaled = max !== this.norms.max;
      maxSq = max;
      if (rescaled && this.stored == null) {
        fail('items', `rows that keep the largest item norm (transform 'mips' scales every item by it; this index keeps no item vectors to re-hash: call rebuild() with every item)`, `largest squared norm ${max} (was ${this.norms.max})`);
      }
    }
    const nextStored = this.stored != null && m > 0 ? this.scatterStored(list, items, bias) : null;
    let fresh: Int32Array;
    try {
      // rescaled: every item as build() would hash it (its own largest norm sets the scale)
      const all = nextStored as { items: tf.Tensor2D; bias: tf.Tensor1D | null };
      fresh = rescaled ? this.hashRows(all.items, all.bias ?? undefined) : m > 0 ? this.hashRows(items, bias, maxSq) : new Int32Array(0);
    } catch (e) {
      nextStored?.items.dispose();
      nextStored?.bias?.dispose();
      throw e;
    }
    // the items whose codes changed (row j of fresh is item rowId(j)), and by how much
    const rows = rescaled ? n : m;
    const rowId = (j: number) => (rescaled ? j : list[j]);
    let changedCodes = 0;
    let changedItems = 0;
    const moved = new Int32Array(rows);
    const movedRow = new Int32Array(rows);
    for (let j = 0; j < rows; j++) {
      const at = rowId(j) * L;
      let c = 0;
      for (let l = 0; l < L; l++) if (fresh[j * L + l] !== this.itemCodes[at + l]) c++;
      changedCodes += c;
      if (c > 0) {
        movedRow[changedItems] = j;
        moved[changedItems++] = rowId(j);
      }
    }
    // nothing can throw from here on (short of memory): commit
    if (rescaled) {
      this.tablesCsr = buildBucketTables(fresh, n, L);
      this.itemCodes = fresh;
    } else if (changedItems > 0) {
      // the codes are written in place (no copy of all n · L); the moved items' old rows kept for the merge
      const oldRows = new Int32Array(changedItems * L);
      for (let j = 0; j < changedItems; j++) {
        const at = moved[j] * L;
        oldRows.set(this.itemCodes.subarray(at, at + L), j * L);
        this.itemCodes.set(fresh.subarray(movedRow[j] * L, (movedRow[j] + 1) * L), at);
      }
      try {
        this.tablesCsr = updateBucketTables(this.tablesCsr, this.itemCodes, moved.subarray(0, changedItems), oldRows);
      } catch (e) {
        for (let j = 0; j < changedItems; j++) this.itemCodes.set(oldRows.subarray(j * L, (j + 1) * L), moved[j] * L);
        nextStored?.items.dispose();
        nextStored?.bias?.dispose();
        throw e;
      }
    }
    if (newSq != null && this.norms != null) {
      if (rescaled) this.setNorms((nextStored as { items: tf.Tensor2D }).items, nextStored?.bias);
      else {
        for (let j = 0; j < m; j++) this.norms.sq[list[j]] = newSq[j];
        this.norms.max = maxSq as number;
      }
    }
    if (nextStored != null) {
      this.dispose();
      this.stored = nextStored;
    }
    return {
      ...this.report(),
      changedCodes,
      changedItems,
      changedFraction: changedCodes / Math.max(1, n * L),
      rehashedItems: rescaled ? n : m,
      rescaled,
    };
  }

  /** The stored vectors with rows `ids` replaced (new kept tensors; the old ones untouched). */
  private scatterStored(ids: Int32Array, items: tf.Tensor2D, bias: tf.Tensor1D | undefined): { items: tf.Tensor2D; bias: tf.Tensor1D | null } {
    const prev = this.stored as { items: tf.Tensor2D; bias: tf.Tensor1D | null };
    const n = this.numItems;
    // row i of the result is row source[i] of [old; new]: a gather, which every backend has
    const source = Int32Array.from({ length: n }, (_, i) => i);
    ids.forEach((id, j) => {
      source[id] = n + j;
    });
    const index = tf.tensor1d(source, 'int32');
    const nextItems = tf.keep(tf.tidy(() => tf.gather(tf.concat([prev.items, items]), index) as tf.Tensor2D));
    const nextBias = prev.bias != null && bias != null ? tf.keep(tf.tidy(() => tf.gather(tf.concat([prev.bias as tf.Tensor1D, bias]), index) as tf.Tensor1D)) : null;
    index.dispose();
    return { items: nextItems, bias: nextBias };
  }

  private setCodes(codes: Int32Array, n: number, dim: number): void {
    this.tablesCsr = buildBucketTables(codes, n, this.tables);
    this.itemCodes = codes;
    this.numItems = n;
    this.itemDim = dim;
  }

  private report(): BuildReport {
    const t = this.tablesCsr as BucketTables;
    let maxBucketSize = 0;
    for (let b = 0; b < t.keys.length; b++) {
      maxBucketSize = Math.max(maxBucketSize, t.offsets[b + 1] - t.offsets[b]);
    }
    return { items: this.numItems, buckets: t.keys.length, maxBucketSize };
  }

  /** The CSR tables (read-only views; for kernels and layers). */
  bucketTables(): BucketTables {
    if (this.tablesCsr == null) fail('index', 'an index that was built first', 'an empty index');
    return this.tablesCsr;
  }

  private checkTieScores(scores: ArrayLike<number>): ArrayLike<number> {
    if (scores.length !== this.numItems) fail('tieScores', `${this.numItems} scores (one per item)`, scores.length);
    for (let i = 0; i < scores.length; i++) if (!Number.isFinite(scores[i])) fail('tieScores', 'finite scores', scores[i]);
    return scores;
  }

  private retrieveOpts(opts: RetrieveOptions) {
    return {
      maxCandidates: assertInt('maxCandidates', opts.maxCandidates ?? Math.max(1, this.numItems), 1),
      minTableHits: assertInt('minTableHits', opts.minTableHits ?? 1, 1, this.tables),
      ordered: opts.ordered ?? true,
      ...(opts.tieSeed != null ? { tieSeed: assertInt('tieSeed', opts.tieSeed, 0, 0xffffffff) } : {}),
      ...(opts.tieScores != null ? { tieScores: this.checkTieScores(opts.tieScores) } : {}),
    };
  }

  /** Bucket ids [batch, tables] of the queries (after the query transform; the family's query-side hash). */
  hashQueries(queries: tf.Tensor2D): tf.Tensor2D {
    assertMatrix('queries', queries, { cols: this.family.inputDim - this.extraDims });
    return tf.tidy(() => this.family.hashQueries(this.transformQueries(queries)));
  }

  /**
   * The k best items per query, FAISS-style: the union of each query's
   * buckets over the L tables (cut to maxCandidates by table hits), each
   * candidate scored exactly as q · item (+ bias when built with foldBias),
   * the k best kept, ties to the smaller id. One fused kernel per call
   * (candidateTopK). Needs the item vectors: build the index with
   * storeItems (the default).
   *
   * @param queries [n, dim] float32
   * @param k results per query, in [1, size]
   * @returns ids [n, k] int32 padded with −1, scores [n, k] (−Infinity for padding)
   */
  search(queries: tf.Tensor, k: number, opts: SearchOptions = {}): SearchResult {
    const t = this.bucketTables();
    if (this.stored == null) {
      fail('index', "an index that keeps its item vectors (built with storeItems: true, the default; fromTensors needs { items })", 'an index without item vectors');
    }
    const q = assertMatrix('queries', queries, { cols: this.itemDim });
    assertInt('k', k, 1, this.numItems);
    const { items, bias } = this.stored;
    return tf.tidy(() => {
      const codes = this.hashQueries(q);
      const r = candidateTopK(q, codes, items, this.foldBias ? bias : null, t, {
        k,
        maxCandidates: assertInt('maxCandidates', opts.maxCandidates ?? this.numItems, 1),
        minTableHits: opts.minTableHits,
        exactBelow: opts.exactBelow ?? 0,
      });
      return { ids: r.ids, scores: r.scores };
    }) as SearchResult;
  }

  /**
   * The union of each query's buckets over the L tables, as a ragged result
   * (ids, row offsets, hit counts); candidates ordered by hit count. No
   * scoring: see `search` for the k best by exact inner product.
   */
  retrieve(queries: tf.Tensor2D, opts: RetrieveOptions = {}): Candidates {
    const t = this.bucketTables();
    const o = this.retrieveOpts(opts);
    const codes = this.hashQueries(queries);
    const values = codes.dataSync() as Int32Array;
    codes.dispose();
    return retrieve(values, queries.shape[0], t, o);
  }

  /** Same as retrieve() from precomputed query codes [batch · tables]. */
  retrieveCodes(codes: Int32Array, batch: number, opts: RetrieveOptions = {}): Candidates {
    if (codes.length !== batch * this.tables) fail('codes', `length ${batch * this.tables}`, codes.length);
    return retrieve(codes, batch, this.bucketTables(), this.retrieveOpts(opts));
  }

  /**
   * retrieve() as tensors, for use inside models: candidates [batch,
   * min(maxCandidates, size)] int32 padded with -1, and counts [batch] int32.
   */
  retrievePadded(queries: tf.Tensor2D, opts: RetrieveOptions & { maxCandidates: number }): {
    candidates: tf.Tensor2D;
    counts: tf.Tensor1D;
  } {
    const t = this.bucketTables();
    const o = this.retrieveOpts(opts);
    // a query retrieves at most every item once: a larger width would only allocate padding
    // (batch × 2^28 int32 for 100 items), so the width is min(maxCandidates, size)
    o.maxCandidates = Math.max(1, Math.min(o.maxCandidates, this.numItems));
    return tf.tidy(() => {
      const codes = this.hashQueries(queries);
      return retrieveCandidates(codes, t, o);
    }) as { candidates: tf.Tensor2D; counts: tf.Tensor1D };
  }

  /** The index as tensors (int32 codes [size, tables]) for non-trainable layer weights. */
  toTensors(): { codes: tf.Tensor2D } {
    // a copy: tfjs keeps a typed array it is given, and update() writes the codes in place
    return { codes: tf.tensor2d(this.itemCodes.slice(), [this.numItems, this.tables], 'int32') };
  }

  /** Restores an index saved with toTensors(); the CSR tables are rebuilt from the codes. */
  static fromTensors(
    family: HashFamily,
    tensors: { codes: tf.Tensor2D; items?: tf.Tensor2D; bias?: tf.Tensor1D },
    opts: HashIndexOptions = {},
  ): HashIndex {
    const index = new HashIndex(family, opts);
    assertMatrix('codes', tensors.codes, { dtype: 'int32', cols: family.tables, allowEmpty: true });
    const codes = Int32Array.from(tensors.codes.dataSync() as Int32Array);
    const limit = 2 ** family.bitsPerTable;
    for (let i = 0; i < codes.length; i++) {
      if (codes[i] < 0 || codes[i] >= limit) fail('codes', `bucket ids in [0, ${limit})`, codes[i]);
    }
    index.setCodes(codes, tensors.codes.shape[0], family.inputDim - index.extraDims);
    if (tensors.items != null) {
      index.checkItems(tensors.items, tensors.bias);
      if (tensors.items.shape[0] !== index.numItems) fail('items', `${index.numItems} rows (one per code row)`, tensors.items);
      index.setNorms(tensors.items, tensors.bias);
      index.store(tensors.items, tensors.bias);
    }
    return index;
  }

  /** Bytes of the index's typed arrays. */
  get bytes(): number {
    const t = this.tablesCsr;
    if (t == null) return 0;
    return this.itemCodes.byteLength + t.keys.byteLength + t.offsets.byteLength + t.ids.byteLength + t.keyStart.byteLength;
  }

  get dim(): number {
    return this.itemDim;
  }
}

/** ids as an Int32Array after checking they are distinct integers in [0, size). */
function checkIds(ids: Int32Array | readonly number[], size: number): Int32Array {
  if (!(ids instanceof Int32Array) && !Array.isArray(ids)) fail('ids', 'an Int32Array or an array of item ids', ids);
  const seen = new Int32Array(size).fill(-1);
  const list = new Int32Array(ids.length);
  for (let j = 0; j < ids.length; j++) {
    const id = ids[j];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= size) {
      fail('ids', `item ids (integers in [0, ${size}))`, `${String(id)} at position ${j}`);
    }
    if (seen[id] >= 0) fail('ids', 'distinct item ids', `${id} at positions ${seen[id]} and ${j}`);
    seen[id] = j;
    list[j] = id;
  }
  return list;
}
