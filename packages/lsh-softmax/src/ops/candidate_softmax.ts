import * as tf from '@tensorflow/tfjs-core';
import { gatherDot } from '@hashlayers/hashing';

/**
 * Logits of the given candidate classes only: h · W[c] + b[c] (+ logWeights),
 * [batch, width]; padding (-1) gives logWeights' value (use a large negative
 * number there). Differentiable in h, W and b through gatherDot, whose
 * gradient kernels scatter into candidate rows only.
 *
 * @param h [batch, dim]; kernel [units, dim] (one row per class); bias [units] or null
 */
export function candidateLogits(
  h: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  candidates: tf.Tensor2D,
  logWeights?: tf.Tensor2D,
): tf.Tensor2D {
  return tf.tidy(() => {
    let z = gatherDot(h, kernel, candidates);
    if (bias != null) {
      // a plain gather (its gradient is a [units] segment sum); padding gets 0
      const b = tf.gather(bias, tf.maximum(candidates, tf.scalar(0, 'int32')));
      z = tf.add(z, tf.where(tf.greaterEqual(candidates, 0), b, tf.zerosLike(b)));
    }
    return (logWeights != null ? tf.add(z, logWeights) : z) as tf.Tensor2D;
  });
}

/**
 * Softmax cross-entropy over each row's candidate set, the true label in
 * column 0: loss_i = logsumexp_j(z_ij) − z_i0, [batch, 1].
 */
export function candidateSoftmaxLoss(logits: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const lse = tf.logSumExp(logits, 1, true);
    return tf.sub(lse, tf.slice(logits, [0, 0], [logits.shape[0], 1])) as tf.Tensor2D;
  });
}
