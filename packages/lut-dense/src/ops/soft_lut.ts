import * as tf from '@tensorflow/tfjs-core';
import { LEAVES } from '../kernels/maddness_encode.js';

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
