import { dot } from './gather_dot.js';
import { KernelContext, KernelSpec, onHeap, simdArena, simdKernels, SimdKernels, TypedArray } from '@hashlayers/core/internal';
import { BucketTables, selectRetrieved } from './retrieve_candidates.js';

export interface CandidateTopKAttrs {
  index: BucketTables;
  /** Results per query. */
  k: number;
  /** At most this many retrieved items per query: the most table hits, ties to the smaller id (as retrieve()). */
  maxCandidates: number;
  /** Keep only items found in at least this many tables. */
  minTableHits: number;
  /** Queries with fewer retrieved items are scored against every item (exact fallback). */
  exactBelow: number;
  /** Items added to every query's candidate set (e.g. an exact head of frequent classes); may be empty. */
  head: Int32Array;
  /** Whether the bias input holds one value per item (otherwise it is ignored). */
  useBias: boolean;
}

/** Above this k the top-k is taken by sorting the candidates instead of insertion. */
const INSERTION_MAX_K = 64;

/** Scratch per thread of control, grown on demand (JavaScript is single-threaded per isolate). */
let count = new Int32Array(0);
let flatIds = new Int32Array(0);
let itemStart = new Int32Array(0);
let topIds = new Int32Array(0);
let topScores = new Float64Array(0);

/**
 * Adds bias, then writes the k best of ids[lo, hi) / scores[lo, hi) (best
 * first, ties to the smaller id; -1 / -Infinity past the end) and the
 * log-sum-exp of all of them to row i of the outputs.
 */
function finishRow(
  ids: Int32Array,
  scores: Float32Array,
  lo: number,
  hi: number,
  bias: ArrayLike<number> | null,
  k: number,
  i: number,
  outIds: Int32Array,
  outScores: Float32Array,
  outLogZ: Float32Array,
): void {
  let filled = 0;
  let max = -Infinity;
  const insertion = k <= INSERTION_MAX_K;
  for (let j = lo; j < hi; j++) {
    const c = ids[j];
    const s = bias != null ? Math.fround(scores[j] + bias[c]) : scores[j];
    scores[j] = s;
    if (s > max) max = s;
    if (!insertion) continue;
    if (filled === k && (s < topScores[k - 1] || (s === topScores[k - 1] && c > topIds[k - 1]))) continue;
    let p = filled < k ? filled++ : k - 1;
    while (p > 0 && (s > topScores[p - 1] || (s === topScores[p - 1] && c < topIds[p - 1]))) {
      topScores[p] = topScores[p - 1];
      topIds[p] = topIds[p - 1];
      p--;
    }
    topScores[p] = s;
    topIds[p] = c;
  }
  if (!insertion) {
    const order = Array.from({ length: hi - lo }, (_, j) => lo + j).sort((a, b) => scores[b] - scores[a] || ids[a] - ids[b]);
    filled = Math.min(k, order.length);
    for (let j = 0; j < filled; j++) {
      topScores[j] = scores[order[j]];
      topIds[j] = ids[order[j]];
    }
  }
  let sum = 0;
  for (let j = lo; j < hi; j++) sum += Math.exp(scores[j] - max);
  outLogZ[i] = hi > lo ? max + Math.log(sum) : -Infinity;
  for (let j = 0; j < k; j++) {
    outIds[i * k + j] = j < filled ? topIds[j] : -1;
    outScores[i * k + j] = j < filled ? topScores[j] : -Infinity;
  }
}

/**
 * Retrieval, exact rescoring and top-k in one kernel (inference): for each
 * query the union of its buckets (at most maxCandidates, most table hits
 * first) plus the head items, or every item when fewer than exactBelow were
 * retrieved; exact scores q · items[c] + bias[c] for those candidates only;
 * the k best (ties to the smaller id) and the log-sum-exp of all candidate
 * scores, so softmax probabilities normalised over the candidate set are
 * exp(score − logZ). Nothing of size [batch, candidates] leaves the kernel.
 *
 * The (query, candidate) pairs of the whole batch are scored in item order
 * (a counting sort by item id): every item row is read from memory once per
 * batch, in address order, instead of once per query at random addresses,
 * which is what bounds the speed once candidates are few (the rows do not
 * fit in cache: 100k × 128 floats is 51 MB).
 *
 * Outputs: ids [batch, k] int32 (-1 when a query has fewer candidates),
 * scores [batch, k], logZ [batch], retrieved [batch] int32 (items retrieved
 * before the head and the fallback).
 */
export const candidateTopKKernel: KernelSpec<CandidateTopKAttrs> = {
  kernelName: 'HashlayersCandidateTopK',
  inputNames: ['queries', 'codes', 'items', 'bias'],
  cachedInputs: ['items', 'bias'],
  outputs: (s, a) => [
    { shape: [s.queries[0], a.k], dtype: 'int32' },
    { shape: [s.queries[0], a.k], dtype: 'float32' },
    { shape: [s.queries[0]], dtype: 'float32' },
    { shape: [s.queries[0]], dtype: 'int32' },
  ],
  // pairs of the batch sorted by item (item, query, destination), their scores; one exact-fallback row
  scratch: (s, a) => {
    const pairs = s.queries[0] * Math.min(s.items[0], a.maxCandidates + a.head.length);
    const exact = a.exactBelow > 0 ? s.items[0] : 1;
    return [
      { shape: [pairs], dtype: 'int32' },
      { shape: [pairs], dtype: 'int32' },
      { shape: [pairs], dtype: 'int32' },
      { shape: [pairs], dtype: 'float32' },
      { shape: [exact], dtype: 'int32' },
      { shape: [exact], dtype: 'float32' },
    ];
  },
  compute({ queries, codes, items, bias }, outs, shapes, attrs, context) {
    const [outIds, outScores, outLogZ, outRetrieved] = outs as [Int32Array, Float32Array, Float32Array, Int32Array];
    const [batch, dim] = shapes.queries;
    const numItems = shapes.items[0];
    const w = workspace(queries as Float32Array, items as Float32Array, outs.slice(4), context);
    const { pairItem, pairQuery, pairDst, scores, exIds, exScores, simd } = w;
    const scorer: CandidateScorer = {
      pairs(flat, rowStart, total) {
        // the pairs in item order (counting sort; a single query keeps its order)
        if (batch === 1) {
          for (let p = 0; p < total; p++) {
            pairItem[p] = flat[p];
            pairQuery[p] = 0;
            pairDst[p] = p;
          }
        } else {
          if (itemStart.length < numItems + 1) itemStart = new Int32Array(numItems + 1);
          itemStart.fill(0, 0, numItems + 1);
          for (let p = 0; p < total; p++) itemStart[flat[p] + 1]++;
          for (let c = 0; c < numItems; c++) itemStart[c + 1] += itemStart[c];
          for (let i = 0; i < batch; i++) {
            for (let p = rowStart[i]; p < rowStart[i + 1]; p++) {
              const at = itemStart[flat[p]]++;
              pairItem[at] = flat[p];
              pairQuery[at] = i;
              pairDst[at] = p;
            }
          }
        }
        if (simd != null) {
          simd.pair_dot(w.queries.byteOffset, w.items.byteOffset, pairItem.byteOffset, pairQuery.byteOffset, pairDst.byteOffset, scores.byteOffset, total, dim);
        } else {
          for (let p = 0; p < total; p++) scores[pairDst[p]] = dot(queries, pairQuery[p] * dim, items, pairItem[p] * dim, dim);
        }
        return scores;
      },
      all(i) {
        for (let c = 0; c < numItems; c++) exIds[c] = c;
        if (simd != null) {
          simd.gather_dot(w.queries.byteOffset + i * dim * 4, w.items.byteOffset, exIds.byteOffset, exScores.byteOffset, 1, numItems, dim);
        } else {
          for (let c = 0; c < numItems; c++) exScores[c] = dot(queries, i * dim, items, c * dim, dim);
        }
        return { ids: exIds, scores: exScores };
      },
    };
    topKOverCandidates(codes as Int32Array, batch, attrs, attrs.useBias ? bias : null, scorer, { ids: outIds, scores: outScores, logZ: outLogZ, retrieved: outRetrieved });
  },
};

/**
 * Exact scores of candidates, for topKOverCandidates: the kernel's scorer
 * works on the tensors' arrays, LSHSoftmax's on its engine's class rows.
 */
export interface CandidateScorer {
  /**
   * The scores (without bias) of query i against items flat[p], p in
   * [rowStart[i], rowStart[i+1]), at position p of the returned array (which
   * the caller may overwrite until the next call).
   */
  pairs(flat: Int32Array, rowStart: Int32Array, total: number): Float32Array;
  /** Query i against every item: ids 0..numItems-1 and their scores (without bias), overwritable likewise. */
  all(i: number): { ids: Int32Array; scores: Float32Array };
  /**
   * Optional: scores, its own bias, top-k and log-partition of every list (query i
   * owns flat[rowStart[i] .. rowStart[i+1])) in one call, written to rows
   * 0..batch-1 of out (ids, scores, logZ) as finishRow would (an empty list:
   * -1 / −∞); false when it cannot, having written nothing (the pairs()
   * path runs then).
   */
  finish?(flat: Int32Array, rowStart: Int32Array, batch: number, k: number, out: CandidateTopKOutputs): boolean;
  /**
   * Optional: every query's retrieved items as selectRetrieved gives them
   * (the same items in the same order), concatenated with their offsets, or
   * null when it cannot (selectRetrieved runs then).
   */
  union?(index: BucketTables, codes: Int32Array, batch: number, maxCandidates: number, minTableHits: number): { ids: Int32Array; offsets: Int32Array } | null;
}

/** The outputs of topKOverCandidates: ids and scores [batch, k], logZ and retrieved [batch]. */
export interface CandidateTopKOutputs {
  ids: Int32Array;
  scores: Float32Array;
  logZ: Float32Array;
  retrieved: Int32Array;
}

/**
 * The candidateTopK computation given a scorer: for each query the union of
 * its buckets (selectRetrieved: at most maxCandidates, most table hits
 * first) plus the head items, or every item when fewer than exactBelow were
 * retrieved; the scorer's exact scores (+ bias); the k best (ties to the
 * smaller id) and the log-sum-exp of all candidate scores.
 */
export function topKOverCandidates(
  codes: Int32Array,
  batch: number,
  attrs: Omit<CandidateTopKAttrs, 'useBias'>,
  bias: ArrayLike<number> | null,
  scorer: CandidateScorer,
  out: CandidateTopKOutputs,
): void {
  const { index, k, maxCandidates, minTableHits, exactBelow, head } = attrs;
  const numItems = index.numItems;
  if (count.length < numItems) count = new Int32Array(numItems);
  if (topIds.length < k) {
    topIds = new Int32Array(k);
    topScores = new Float64Array(k);
  }
  const room = batch * Math.min(numItems, maxCandidates + head.length);
  if (flatIds.length < room) flatIds = new Int32Array(room);
  // 1. each query's candidates, concatenated (exact-fallback rows get none here)
  const rowStart = new Int32Array(batch + 1);
  const exactRow = new Uint8Array(batch);
  let total = 0;
  const pre = scorer.union?.(index, codes, batch, maxCandidates, minTableHits) ?? null;
  for (let i = 0; i < batch; i++) {
    const cand = flatIds.subarray(total);
    let n: number;
    if (pre != null) {
      n = pre.offsets[i + 1] - pre.offsets[i];
      cand.set(pre.ids.subarray(pre.offsets[i], pre.offsets[i + 1]));
    } else n = selectRetrieved(index, codes, i, maxCandidates, minTableHits, cand);
    out.retrieved[i] = n;
    if (n < exactBelow) {
      exactRow[i] = 1;
      n = 0;
    } else if (head.length > 0) {
      for (let j = 0; j < n; j++) count[cand[j]] = 1;
      for (let j = 0; j < head.length; j++) if (count[head[j]] === 0) cand[n++] = head[j];
      for (let j = 0; j < n; j++) count[cand[j]] = 0;
    }
    total += n;
    rowStart[i + 1] = total;
  }
  // 2. exact scores of every (query, candidate) pair, 3. top-k and log-partition per query: in one call of the
  // scorer when it can (the exact-fallback rows, with empty lists there, are redone below)
  // (a scorer that finishes adds its own bias: only without one given here)
  const finished = total > 0 && bias == null && scorer.finish != null && scorer.finish(flatIds, rowStart, batch, k, out);
  const scores = total > 0 && !finished ? scorer.pairs(flatIds, rowStart, total) : null;
  for (let i = 0; i < batch; i++) {
    if (exactRow[i] === 0) {
      if (finished) continue;
      finishRow(flatIds, scores as Float32Array, rowStart[i], rowStart[i + 1], bias, k, i, out.ids, out.scores, out.logZ);
      continue;
    }
    const all = scorer.all(i);
    finishRow(all.ids, all.scores, 0, numItems, bias, k, i, out.ids, out.scores, out.logZ);
  }
}

interface Workspace {
  /** The SIMD kernels when queries, items and the buffers below are on one WebAssembly memory. */
  simd: SimdKernels | null;
  queries: Float32Array;
  items: Float32Array;
  pairItem: Int32Array;
  pairQuery: Int32Array;
  pairDst: Int32Array;
  scores: Float32Array;
  exIds: Int32Array;
  exScores: Float32Array;
}

/** Which items array was copied to the private SIMD memory last (they stay there while the same array comes back). */
const copiedItems = new WeakMap<Float32Array, number>();
let itemsGeneration = 0;

/**
 * Where the kernel works: on the wasm backend, its heap (the scratch
 * outputs); elsewhere the private SIMD memory, with the items copied in once
 * per items array (the tfjs-node adapter and the cpu backend hand the same
 * array back for the same tensor) and the queries per call; else plain
 * JavaScript arrays.
 */
function workspace(queries: Float32Array, items: Float32Array, scratch: TypedArray[], context: KernelContext | undefined): Workspace {
  const [pairItem, pairQuery, pairDst, scores, exIds, exScores] = scratch as [Int32Array, Int32Array, Int32Array, Float32Array, Int32Array, Float32Array];
  const heap = context?.wasmMemory;
  if (heap != null) {
    const simd = simdKernels(heap);
    const ok = simd != null && onHeap(heap, queries, items, pairItem, pairQuery, pairDst, scores, exIds, exScores);
    return { simd: ok ? simd : null, queries, items, pairItem, pairQuery, pairDst, scores, exIds, exScores };
  }
  const sizes = [items.length, queries.length, pairItem.length, pairQuery.length, pairDst.length, scores.length, exIds.length, exScores.length];
  // core's shared SIMD scratch memory lays the regions out (16-byte aligned) and says where
  const arena = simdArena(...sizes.map((n) => n * 4));
  if (arena == null) return { simd: null, queries, items, pairItem, pairQuery, pairDst, scores, exIds, exScores };
  const { offsets } = arena;
  const buf = arena.memory.buffer;
  const f32 = (i: number) => new Float32Array(buf, offsets[i], sizes[i]);
  const i32 = (i: number) => new Int32Array(buf, offsets[i], sizes[i]);
  const arenaItemsView = f32(0);
  if (copiedItems.get(items) !== itemsGeneration || arena.fresh) {
    arenaItemsView.set(items);
    copiedItems.set(items, ++itemsGeneration);
  }
  const q = f32(1);
  q.set(queries);
  return { simd: arena.kernels, queries: q, items: arenaItemsView, pairItem: i32(2), pairQuery: i32(3), pairDst: i32(4), scores: f32(5), exIds: i32(6), exScores: f32(7) };
}
