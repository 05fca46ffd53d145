import * as tf from '@tensorflow/tfjs-core';
import { LEAVES } from '../kernels/maddness_encode.js';
import { maddnessEncodeUnchecked } from './maddness_encode.js';

/**
 * Squared distances of the rows of x [N, D] to the prototypes [C, 16, D] within each
 * codebook's subspace (mask [C, D], 1 on the codebook's dimensions): [N, C, 16].
 * ‖x_S − p‖² = Σ_S x² − 2 x·p + ‖p‖² with p masked, so the work is two matMuls (the
 * backend's fastest op) and the gradient reaches x, the prototypes and nothing outside a subspace.
 */
export function subspaceDistances(x: tf.Tensor2D, prototypes: tf.Tensor, mask: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [c, , d] = prototypes.shape;
    const n = x.shape[0];
    const pm = tf.mul(prototypes, tf.expandDims(mask, 1)) as tf.Tensor3D;
    const xsq = tf.matMul(tf.square(x), mask, false, true); // [N, C]
    const cross = tf.reshape(tf.matMul(x, tf.reshape(pm, [c * LEAVES, d]) as tf.Tensor2D, false, true), [n, c, LEAVES]);
    const psq = tf.sum(tf.square(pm), 2); // [C, 16]
    return tf.add(tf.sub(tf.expandDims(xsq, 2), tf.mul(cross, 2)), psq) as tf.Tensor3D;
  });
}

/** One-hot [N, C, 16] of the nearest prototype per codebook (ties: the lowest index). */
export function nearestPrototype(dist: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.argMin(dist, 2), LEAVES), 'float32') as tf.Tensor3D);
}

/**
 * LUT-NN's differentiable look-up (Tang et al. 2023, arXiv 2302.03213): per codebook c the soft
 * assignment a = softmax(−‖x_c − P_ck‖² / (t · scale_c)) over its 16 prototypes, and the output
 * Σ_c Σ_k a_ck · tables[c, k, :], [N, M] (no bias). t = 0 is the hard limit: the nearest
 * prototype's table row (not differentiable). `scale` [C] makes t relative to each codebook's
 * typical squared distance, so one temperature schedule suits every layer and data set.
 */
export function softLutMatMul(x: tf.Tensor2D, prototypes: tf.Tensor, mask: tf.Tensor2D, scale: tf.Tensor, temperature: number, tables: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const [c, , m] = tables.shape;
    const n = x.shape[0];
    const dist = subspaceDistances(x, prototypes, mask);
    const a = temperature === 0 ? nearestPrototype(dist) : tf.softmax(tf.div(tf.neg(dist), tf.mul(tf.reshape(scale, [c, 1]), temperature)));
    return tf.matMul(tf.reshape(a, [n, c * LEAVES]) as tf.Tensor2D, tf.reshape(tables, [c * LEAVES, m]) as tf.Tensor2D);
  });
}

/** The [C, D] 0/1 mask of a partition given as the codebook of each input dimension. */
export function subspaceMask(codebookOfDim: tf.Tensor, c: number): tf.Tensor2D {
  // (not oneHot: it needs depth ≥ 2, and C = 1 is a valid layer)
  return tf.tidy(() => tf.cast(tf.equal(tf.expandDims(tf.range(0, c, 1, 'int32'), 1), tf.expandDims(tf.cast(codebookOfDim, 'int32'), 0)), 'float32') as tf.Tensor2D);
}

/** For level l and leaf k: the node on the leaf's path (2^l − 1 + (k >> (4 − l))) and the side taken (+1 right, −1 left). */
const PATH_NODE = Int32Array.from({ length: 4 * LEAVES }, (_, i) => {
  const l = i >> 4;
  return (1 << l) - 1 + ((i & 15) >> (4 - l));
});
const PATH_SIGN = Float32Array.from({ length: 4 * LEAVES }, (_, i) => (((i & 15) >> (3 - (i >> 4))) & 1 ? 1 : -1));

/**
 * The tree encoder made soft: at each node a row goes right with probability
 * σ((x[dim] − threshold) / (t · scale_c)), so leaf k of codebook c gets the product of the four
 * probabilities on its path, and the output is Σ_c Σ_k p_ck · tables[c, k, :], [N, M] (no bias):
 * differentiable in x, the thresholds and the tables. t → 0 is the tree itself (x > threshold goes
 * right), which t = 0 computes exactly with the encoding kernel.
 */
export function softTreeLutMatMul(x: tf.Tensor2D, splitDims: tf.Tensor, thresholds: tf.Tensor, scale: tf.Tensor, temperature: number, tables: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const [c, , m] = tables.shape;
    const n = x.shape[0];
    let p: tf.Tensor;
    if (temperature === 0) {
      p = tf.oneHot(maddnessEncodeUnchecked(x, splitDims, thresholds), LEAVES);
      p = tf.cast(p, 'float32');
    } else {
      // the selections as products with one-hot matrices, not gather: gather's gradient (UnsortedSegmentSum) has no wasm kernel
      const d = x.shape[1];
      const pick = tf.equal(tf.expandDims(tf.range(0, d, 1, 'int32'), 1), tf.reshape(tf.cast(splitDims, 'int32'), [1, -1])); // [D, C·4] (oneHot needs depth ≥ 2)
      const xs = tf.reshape(tf.matMul(x, tf.cast(pick, 'float32') as tf.Tensor2D), [n, c, 4, 1]);
      const path = tf.cast(tf.transpose(tf.oneHot(tf.tensor1d(PATH_NODE, 'int32'), 15)), 'float32') as tf.Tensor2D; // [15, 4·16]
      const th = tf.reshape(tf.matMul(tf.reshape(thresholds, [c, 15]) as tf.Tensor2D, path), [1, c, 4, LEAVES]);
      const denom = tf.mul(tf.reshape(scale, [1, c, 1, 1]), temperature);
      const z = tf.mul(tf.reshape(tf.tensor1d(PATH_SIGN), [1, 1, 4, LEAVES]), tf.div(tf.sub(xs, th), denom));
      // log σ(z) = −softplus(−z) (tf.logSigmoid's gradient fails inside tidy: its saved input is disposed)
      p = tf.exp(tf.neg(tf.sum(tf.softplus(tf.neg(z)), 2)));
    }
    return tf.matMul(tf.reshape(p, [n, c * LEAVES]) as tf.Tensor2D, tf.reshape(tables, [c * LEAVES, m]) as tf.Tensor2D);
  });
}
