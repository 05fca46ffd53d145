import * as tf from '@tensorflow/tfjs-core';
import { fail } from '@hashlayers/core/internal';
import { LEAVES, NODES, TREE_DEPTH } from '../kernels/maddness_encode.js';

export function assertTensor(arg: string, x: unknown, rank: number, dtype: tf.DataType): tf.Tensor {
  if (!(x instanceof tf.Tensor)) fail(arg, 'a tf.Tensor', typeof x);
  const t = x as tf.Tensor;
  if (t.isDisposed) fail(arg, 'a live tensor', 'a disposed tensor');
  if (t.rank !== rank) fail(arg, `a rank-${rank} tensor`, `rank ${t.rank} (shape [${t.shape.join(', ')}])`);
  if (t.dtype !== dtype) fail(arg, `dtype ${dtype}`, t.dtype);
  return t;
}

/** Checks the tree parameters: splitDims [C, 4] int32 in [0, inputDim), thresholds [C, 15] float32. */
export function assertTrees(splitDims: unknown, thresholds: unknown, inputDim: number): { codebooks: number } {
  const s = assertTensor('splitDims', splitDims, 2, 'int32');
  const t = assertTensor('thresholds', thresholds, 2, 'float32');
  const c = s.shape[0];
  if (c < 1 || s.shape[1] !== TREE_DEPTH) fail('splitDims', `shape [C, ${TREE_DEPTH}] with C ≥ 1`, `shape [${s.shape.join(', ')}]`);
  if (t.shape[0] !== c || t.shape[1] !== NODES) fail('thresholds', `shape [${c}, ${NODES}]`, `shape [${t.shape.join(', ')}]`);
  const v = s.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (v[i] < 0 || v[i] >= inputDim) fail('splitDims', `dimensions in [0, ${inputDim})`, `${v[i]} at flat index ${i}`);
  }
  return { codebooks: c };
}

export function assertTables(tables: unknown, codebooks?: number): tf.Tensor3D {
  if (!(tables instanceof tf.Tensor)) fail('tables', 'a tf.Tensor', typeof tables);
  const t = tables as tf.Tensor;
  if (t.dtype !== 'float32' && t.dtype !== 'int32') fail('tables', 'dtype float32 (or int32 for quantised tables)', t.dtype);
  assertTensor('tables', t, 3, t.dtype);
  if (t.shape[1] !== LEAVES || (codebooks != null && t.shape[0] !== codebooks)) {
    fail('tables', `shape [${codebooks ?? 'C'}, ${LEAVES}, units]`, `shape [${t.shape.join(', ')}]`);
  }
  return t as tf.Tensor3D;
}
