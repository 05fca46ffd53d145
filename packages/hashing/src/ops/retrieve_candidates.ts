import * as tf from '@tensorflow/tfjs-core';
import { assertInt, assertMatrix, runKernel } from '@hashlayers/core/internal';
import { BucketTables, retrieveCandidatesKernel } from '../kernels/retrieve_candidates.js';

/**
 * Candidate retrieval as an op: query codes [batch, tables] → item ids
 * [batch, maxCandidates] (-1 padded, most table hits first) and the number of
 * valid candidates [batch].
 */
export function retrieveCandidates(
  codes: tf.Tensor2D,
  index: BucketTables,
  opts: { maxCandidates: number; minTableHits?: number },
): { candidates: tf.Tensor2D; counts: tf.Tensor1D } {
  assertMatrix('codes', codes, { dtype: 'int32', cols: index.tables });
  const maxCandidates = assertInt('maxCandidates', opts.maxCandidates, 1);
  const minTableHits = assertInt('minTableHits', opts.minTableHits ?? 1, 1, index.tables);
  const [candidates, counts] = runKernel(retrieveCandidatesKernel, { codes }, { maxCandidates, minTableHits, index });
  return { candidates: candidates as tf.Tensor2D, counts: counts as tf.Tensor1D };
}
