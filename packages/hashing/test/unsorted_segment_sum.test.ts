import * as tf from '@tensorflow/tfjs';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import '../src';

describeBackends('UnsortedSegmentSum (wasm polyfill) and embedding gradients', () => {
  it('sums rows into segments like the definition', () => {
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const ids = tf.tensor1d([2, 0, 2, 1], 'int32');
    const out = tf.unsortedSegmentSum(x, ids, 3);
    expect(out.arraySync()).toEqual([[3, 4], [7, 8], [6, 8]]);
    tf.dispose([x, ids, out]);
  });

  it('makes the gradient of tf.gather (an embedding) work and match the one-hot reference', () => {
    const table = tf.randomNormal([6, 3], 0, 1, 'float32', 1);
    const idx = tf.tensor1d([1, 4, 1, 0], 'int32');
    const w = tf.randomNormal([4, 3], 0, 1, 'float32', 2);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), w)))(table);
    const ref = tf.matMul(tf.oneHot(idx, 6).toFloat(), w, true, false);
    expect(tf.max(tf.abs(tf.sub(g, ref))).dataSync()[0]).toBeLessThan(1e-6);
    expectNoLeak(() => tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, idx)))(table).dispose());
    tf.dispose([table, idx, w, g, ref]);
  });
});
