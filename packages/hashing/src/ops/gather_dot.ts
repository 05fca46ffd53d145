import * as tf from '@tensorflow/tfjs-core';
import {
  checkCandidates,
  gatherDotKernel,
  gatherWeightedSumKernel,
  scatterOuterAddKernel,
} from '../kernels/gather_dot.js';
import { assertMatrix, assertOneOf, runKernel } from '@hashlayers/core/internal';

/** Rows gathered per chunk of the native path (bounds the [rows, dim] temporary to ~16 MB). */
const CHUNK_FLOATS = 1 << 22;

export type GatherDotPath = 'auto' | 'kernel' | 'native';

/**
 * Exact scores for retrieved candidates only: scores[i, j] =
 * queries[i] · items[candidates[i, j]], 0 for padding (-1). Differentiable
 * with respect to queries and items on every backend (our own scatter-add
 * gradient kernel: the wasm backend has no UnsortedSegmentSum).
 *
 * Two implementations, equal up to float rounding:
 * - 'kernel': one typed-array loop (HashlayersGatherDot) that reads the
 *   backend's memory in place; the default on cpu and wasm.
 * - 'native': the backend's own gather, multiply and sum, chunked over the
 *   batch; the default on tensorflow (2.2x faster than the loop there for
 *   1000 queries × 607 candidates × 256 dims; 20x slower on wasm, whose
 *   gather is slow, and 70x slower on cpu: see docs/hashing.md).
 *
 * @param queries [batch, dim] float32
 * @param items [numItems, dim] float32 (e.g. the transposed output kernel)
 * @param candidates [batch, width] int32 item ids, -1 for padding
 */
export function gatherDot(
  queries: tf.Tensor2D,
  items: tf.Tensor2D,
  candidates: tf.Tensor2D,
  opts: { path?: GatherDotPath } = {},
): tf.Tensor2D {
  assertMatrix('items', items);
  assertMatrix('queries', queries, { cols: items.shape[1] });
  assertMatrix('candidates', candidates, { dtype: 'int32', rows: queries.shape[0], allowEmpty: true });
  const path = assertOneOf('path', opts.path ?? 'auto', ['auto', 'kernel', 'native']);
  const native = path === 'native' || (path === 'auto' && tf.getBackend() === 'tensorflow');
  if (!native) return runKernel(gatherDotKernel, { queries, items, candidates }, {})[0] as tf.Tensor2D;
  checkCandidates(candidates.dataSync(), candidates.shape[1], items.shape[0]);
  return nativeGatherDot(queries, items, candidates);
}

/**
 * Scores by the backend's gather and batched matMul, chunked over the batch;
 * also returns the gathered rows of each chunk ([size, width, dim]), which the
 * backward pass reuses instead of gathering them again.
 */
function nativeScores(queries: tf.Tensor2D, items: tf.Tensor2D, candidates: tf.Tensor2D): { scores: tf.Tensor2D; rows: tf.Tensor3D[] } {
  const [batch, width] = candidates.shape;
  const dim = items.shape[1];
  const step = Math.max(1, Math.floor(CHUNK_FLOATS / Math.max(1, width * dim)));
  const parts: tf.Tensor2D[] = [];
  const rows: tf.Tensor3D[] = [];
  for (let start = 0; start < batch; start += step) {
    const size = Math.min(step, batch - start);
    const [s, r] = tf.tidy(() => {
      const c = size === batch ? candidates : tf.slice(candidates, [start, 0], [size, width]);
      const q = size === batch ? queries : tf.slice(queries, [start, 0], [size, dim]);
      const g = tf.reshape(tf.gather(items, tf.reshape(tf.maximum(c, tf.scalar(0, 'int32')), [-1])), [size, width, dim]) as tf.Tensor3D;
      // batched matMul [size, width, dim] × [size, dim, 1]: no [size, width, dim] product temporary
      const sc = tf.reshape(tf.matMul(g, tf.reshape(q, [size, dim, 1]) as tf.Tensor3D), [size, width]) as tf.Tensor2D;
      return [tf.where(tf.greaterEqual(c, 0), sc, tf.zerosLike(sc)) as tf.Tensor2D, g] as [tf.Tensor2D, tf.Tensor3D];
    });
    parts.push(s);
    rows.push(r);
  }
  if (parts.length === 1) return { scores: parts[0], rows };
  const scores = tf.concat(parts, 0) as tf.Tensor2D;
  tf.dispose(parts);
  return { scores, rows };
}

/**
 * Native backward pass: d/dqueries = Σ_j dy_ij · items[c_ij] from the rows
 * the forward pass gathered, and d/ditems = unsortedSegmentSum(dy_ij ·
 * queries_i, c_ij), all in backend ops, so the item matrix never leaves the
 * backend (tfjs-node would otherwise copy it into JavaScript and back at
 * every step). On tfjs-node this beat the JavaScript scatter kernel (98
 * against 149 ms for 256 × 320 rows into 100k × 128: JavaScript loops do not
 * vectorise).
 */
function nativeGrads(dy: tf.Tensor2D, q: tf.Tensor2D, items: tf.Tensor2D, c: tf.Tensor2D, rows: tf.Tensor3D[]): tf.Tensor[] {
  return tf.tidy(() => {
    const [batch, width] = c.shape;
    const dim = items.shape[1];
    const flat = tf.reshape(tf.maximum(c, tf.scalar(0, 'int32')), [-1]) as tf.Tensor1D;
    const g = tf.where(tf.greaterEqual(c, 0), dy, tf.zerosLike(dy));
    // [size, 1, width] × [size, width, dim] per forward chunk
    const dqParts: tf.Tensor2D[] = [];
    let start = 0;
    for (const r of rows) {
      const size = r.shape[0];
      const gc = rows.length === 1 ? g : tf.slice(g, [start, 0], [size, width]);
      dqParts.push(tf.reshape(tf.matMul(tf.reshape(gc, [size, 1, width]) as tf.Tensor3D, r), [size, dim]) as tf.Tensor2D);
      start += size;
    }
    const dq = dqParts.length === 1 ? dqParts[0] : tf.concat(dqParts, 0);
    // outer products [batch, width, 1] × [batch, 1, dim], summed into the item rows
    const contrib = tf.reshape(tf.matMul(tf.reshape(g, [batch, width, 1]) as tf.Tensor3D, tf.reshape(q, [batch, 1, dim]) as tf.Tensor3D), [batch * width, dim]);
    const dItems = tf.unsortedSegmentSum(contrib, flat, items.shape[0]);
    return [dq, dItems, tf.zeros(c.shape)]; // ids have no gradient; tfjs wants float32 gradients
  });
}

function nativeGatherDot(queries: tf.Tensor2D, items: tf.Tensor2D, candidates: tf.Tensor2D): tf.Tensor2D {
  // candidates go in as an input (not a closure) so the tape keeps them alive until backprop
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [q, it, c, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const { scores, rows } = nativeScores(q as tf.Tensor2D, it as tf.Tensor2D, c as tf.Tensor2D);
    // saved only while a gradient tape records (as kept clones); ours are freed either way
    save([q, it, c, ...rows]);
    tf.dispose(rows);
    return {
      value: scores,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sit, sc, ...srows] = saved as tf.Tensor[];
        if (tf.getBackend() === 'tensorflow') return nativeGrads(dy as tf.Tensor2D, sq as tf.Tensor2D, sit as tf.Tensor2D, sc as tf.Tensor2D, srows as tf.Tensor3D[]);
        return [
          runKernel(gatherWeightedSumKernel, { weights: dy, items: sit, candidates: sc }, {})[0],
          runKernel(scatterOuterAddKernel, { weights: dy, queries: sq, candidates: sc }, { numItems: sit.shape[0] })[0],
          tf.zeros(sc.shape), // ids have no gradient; tfjs wants float32 gradients
        ];
      },
    };
  });
  return f(queries, items, candidates) as tf.Tensor2D;
}
