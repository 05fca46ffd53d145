import * as tf from '@tensorflow/tfjs-core';
import { CandidateTopKAttrs, candidateTopKKernel } from '../kernels/candidate_top_k.js';
import { assertInt, assertMatrix, fail, runKernel } from '@hashlayers/core/internal';
import { BucketTables } from '../kernels/retrieve_candidates.js';

export interface CandidateTopKOptions {
  /** Results per query. */
  k: number;
  /** At most this many retrieved items per query (most table hits first, ties to the smaller id). */
  maxCandidates: number;
  /** Keep only items found in at least this many tables (default 1). */
  minTableHits?: number;
  /** Queries with fewer retrieved items are scored against every item (default 1: only those with none). */
  exactBelow?: number;
  /** Items added to every candidate set (default none). */
  head?: Int32Array;
}

export interface CandidateTopKResult {
  /** [batch, k] int32 item ids, best first; -1 where a query has fewer than k candidates. */
  ids: tf.Tensor2D;
  /** [batch, k] their exact scores q · items[c] + bias[c] (-Infinity for -1). */
  scores: tf.Tensor2D;
  /** [batch] log Σ exp(score) over each query's whole candidate set. */
  logZ: tf.Tensor1D;
  /** [batch] int32 items retrieved from the tables (before the head and the exact fallback). */
  retrieved: tf.Tensor1D;
}

/**
 * Approximate maximum-inner-product top-k in one kernel per batch: for each
 * query, the union of its buckets in `index` (given the query codes), plus
 * the head items (or every item when fewer than exactBelow were retrieved),
 * scored exactly as q · items[c] + bias[c], the k best kept (ties to the
 * smaller id) with the log-sum-exp of all candidate scores. Inference only
 * (no gradient): the fast path of LSHSoftmax.topK.
 *
 * @param queries [batch, dim] float32
 * @param codes [batch, tables] int32: the queries' bucket ids in index's hash family
 * @param items [numItems, dim] float32, the vectors the index was built from (read-only; cached on tfjs-node)
 * @param bias [numItems] float32 or null
 */
export function candidateTopK(
  queries: tf.Tensor2D,
  codes: tf.Tensor2D,
  items: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  index: BucketTables,
  opts: CandidateTopKOptions,
): CandidateTopKResult {
  assertMatrix('items', items, { rows: index.numItems });
  assertMatrix('queries', queries, { cols: items.shape[1] });
  assertMatrix('codes', codes, { dtype: 'int32', rows: queries.shape[0], cols: index.tables });
  if (bias != null && (bias.rank !== 1 || bias.shape[0] !== index.numItems)) {
    fail('bias', `a [${index.numItems}] tensor or null`, `shape [${bias.shape.join(', ')}]`);
  }
  const head = opts.head ?? new Int32Array(0);
  for (let j = 0; j < head.length; j++) {
    if (!Number.isInteger(head[j]) || head[j] < 0 || head[j] >= index.numItems) fail('head', `item ids in [0, ${index.numItems})`, head[j]);
  }
  const attrs: CandidateTopKAttrs = {
    index,
    k: assertInt('k', opts.k, 1, index.numItems),
    maxCandidates: assertInt('maxCandidates', opts.maxCandidates, 1),
    minTableHits: assertInt('minTableHits', opts.minTableHits ?? 1, 1, index.tables),
    exactBelow: assertInt('exactBelow', opts.exactBelow ?? 1, 0),
    head,
    useBias: bias != null,
  };
  const b = bias ?? tf.zeros([1]);
  try {
    const [ids, scores, logZ, retrieved] = runKernel(candidateTopKKernel, { queries, codes, items, bias: b }, attrs);
    return { ids: ids as tf.Tensor2D, scores: scores as tf.Tensor2D, logZ: logZ as tf.Tensor1D, retrieved: retrieved as tf.Tensor1D };
  } finally {
    if (bias == null) b.dispose();
  }
}
