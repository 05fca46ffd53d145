import type { KernelSpec, TypedArray } from '@hashlayers/core/internal';

/** Depth of every MADDNESS tree: 4 levels of splits, 16 leaves. */
export const TREE_DEPTH = 4;
/** Leaves (prototypes) per codebook. */
export const LEAVES = 1 << TREE_DEPTH;
/** Split nodes per tree, stored level by level: level l, node b at (2^l − 1) + b. */
export const NODES = LEAVES - 1;

/**
 * The encoding rule shared by fitting and encoding: a value goes right when
 * it is strictly greater than the node's threshold, so a value equal to the
 * threshold goes left in both.
 */
export function goesRight(value: number, threshold: number): boolean {
  return value > threshold;
}

/**
 * The leaf in [0, 16) of codebook j for the row of x starting at `row`:
 * the balanced tree walked level by level (level l, node b at (2^l − 1) + b),
 * unrolled, going right when the value is greater than the threshold (goesRight).
 */
export function leafOf(x: ArrayLike<number>, row: number, dims: ArrayLike<number>, thr: ArrayLike<number>, j: number): number {
  const dj = j * TREE_DEPTH;
  const tj = j * NODES;
  let b = x[row + dims[dj]] > thr[tj] ? 1 : 0;
  b = 2 * b + (x[row + dims[dj + 1]] > thr[tj + 1 + b] ? 1 : 0);
  b = 2 * b + (x[row + dims[dj + 2]] > thr[tj + 3 + b] ? 1 : 0);
  return 2 * b + (x[row + dims[dj + 3]] > thr[tj + 7 + b] ? 1 : 0);
}

/**
 * MADDNESS encoding: for every row and codebook, walk the balanced tree
 * (one split dimension per level, one threshold per node) to a leaf in
 * [0, 16). Inputs x [N, D] float32, splitDims [C, 4] int32, thresholds
 * [C, 15] float32; output codes [N, C] int32.
 */
export const maddnessEncodeKernel: KernelSpec<Record<string, never>> = {
  kernelName: 'HashlayersMaddnessEncode',
  inputNames: ['x', 'splitDims', 'thresholds'],
  outputs(shapes) {
    return [{ shape: [shapes.x[0], shapes.splitDims[0]], dtype: 'int32' }];
  },
  compute(inputs: Record<string, TypedArray>, outputs: TypedArray[], shapes: Record<string, number[]>) {
    const x = inputs.x;
    const dims = inputs.splitDims;
    const thr = inputs.thresholds;
    const codes = outputs[0];
    const [n, d] = shapes.x;
    const c = shapes.splitDims[0];
    for (let i = 0; i < n; i++) {
      const row = i * d;
      const out = i * c;
      for (let j = 0; j < c; j++) codes[out + j] = leafOf(x, row, dims, thr, j);
    }
  },
};
