import * as tf from '@tensorflow/tfjs-core';
import { assertFiniteTensor, assertMatrix, fail, runKernel } from '@hashlayers/core/internal';
import { maddnessEncodeKernel, NODES, TREE_DEPTH } from '../kernels/maddness_encode.js';

/**
 * Checks the tree parameters of C codebooks: splitDims [C, 4] int32 with
 * dimensions in [0, inputDim), thresholds [C, 15] float32. Rank and dtype
 * through core's assertMatrix; the shapes are MADDNESS's own (a tree of
 * depth 4), so their messages name the [C, 4] / [C, 15] layout.
 */
export function assertTrees(splitDims: unknown, thresholds: unknown, inputDim: number): { codebooks: number } {
  const s = assertMatrix('splitDims', splitDims, { dtype: 'int32', allowEmpty: true });
  const t = assertMatrix('thresholds', thresholds, { dtype: 'float32', allowEmpty: true });
  const c = s.shape[0];
  if (c < 1 || s.shape[1] !== TREE_DEPTH) fail('splitDims', `shape [C, ${TREE_DEPTH}] with C ≥ 1`, `shape [${s.shape.join(', ')}]`);
  if (t.shape[0] !== c || t.shape[1] !== NODES) fail('thresholds', `shape [${c}, ${NODES}]`, `shape [${t.shape.join(', ')}]`);
  assertFiniteTensor('thresholds', t);
  const v = s.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (v[i] < 0 || v[i] >= inputDim) fail('splitDims', `dimensions in [0, ${inputDim})`, `${v[i]} at flat index ${i}`);
  }
  return { codebooks: c };
}

/**
 * MADDNESS encoding of the rows of x [N, D]: one leaf index in [0, 16) per
 * codebook, [N, C] int32. A value equal to a node's threshold goes left
 * (the same rule as in fitting). Not differentiable (integer output).
 *
 * With a fitted layer's parameters: `const { splitDims, thresholds } = layer`
 * (weights [C, 4] int32 and [C, 15]), or `layer.encode(x)`.
 */
export function maddnessEncode(x: tf.Tensor2D, splitDims: tf.Tensor2D, thresholds: tf.Tensor2D): tf.Tensor2D {
  const xx = assertMatrix('x', x, { allowEmpty: true });
  assertTrees(splitDims, thresholds, xx.shape[1]);
  assertFiniteTensor('x', xx); // a NaN row has no leaf (it would be encoded like a −∞ row)
  return runKernel(maddnessEncodeKernel, { x: xx, splitDims, thresholds }, {})[0] as tf.Tensor2D;
}

/** Encoding without validation, for the layer's hot path (parameters already checked). */
export function maddnessEncodeUnchecked(x: tf.Tensor2D, splitDims: tf.Tensor, thresholds: tf.Tensor): tf.Tensor2D {
  return runKernel(maddnessEncodeKernel, { x, splitDims, thresholds }, {})[0] as tf.Tensor2D;
}
