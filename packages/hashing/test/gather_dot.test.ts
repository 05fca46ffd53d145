import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { gatherDot } from '../src';
import { SeededRandom } from '@hashlayers/core/internal';
import { randn } from './helpers';

describeBackends('gatherDot', () => {
  const rng = new SeededRandom(13);
  const [batch, dim, numItems, width] = [5, 7, 20, 6];
  const qv = randn(rng, batch * dim);
  const iv = randn(rng, numItems * dim);
  const cv = Int32Array.from({ length: batch * width }, (_, k) => (k % 5 === 4 ? -1 : rng.int(numItems)));
  const dyv = randn(rng, batch * width);

  // independent reference in plain JavaScript (float64)
  const ref = () => {
    const scores = new Float64Array(batch * width);
    const dq = new Float64Array(batch * dim);
    const di = new Float64Array(numItems * dim);
    for (let i = 0; i < batch; i++) {
      for (let j = 0; j < width; j++) {
        const c = cv[i * width + j];
        if (c < 0) continue;
        let s = 0;
        for (let k = 0; k < dim; k++) {
          s += qv[i * dim + k] * iv[c * dim + k];
          dq[i * dim + k] += dyv[i * width + j] * iv[c * dim + k];
          di[c * dim + k] += dyv[i * width + j] * qv[i * dim + k];
        }
        scores[i * width + j] = s;
      }
    }
    return { scores, dq, di };
  };

  it.each(['kernel', 'native'] as const)('equals the exact scores and their gradients (%s path)', (path) => {
    const q = tf.tensor2d(qv, [batch, dim]);
    const it_ = tf.tensor2d(iv, [numItems, dim]);
    const c = tf.tensor2d(cv, [batch, width], 'int32');
    const dy = tf.tensor2d(dyv, [batch, width]);
    const r = ref();
    const scores = gatherDot(q, it_, c, { path });
    expect(Array.from(scores.dataSync())).toEqual(Array.from(r.scores).map((v) => expect.closeTo(v, 4)));
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => gatherDot(a as tf.Tensor2D, b as tf.Tensor2D, c, { path }));
    const [gq, gi] = g([q, it_], dy);
    expect(Array.from(gq.dataSync())).toEqual(Array.from(r.dq).map((v) => expect.closeTo(v, 4)));
    expect(Array.from(gi.dataSync())).toEqual(Array.from(r.di).map((v) => expect.closeTo(v, 4)));
    // rows never retrieved get exactly zero gradient
    const used = new Set(Array.from(cv).filter((v) => v >= 0));
    const giv = gi.arraySync() as number[][];
    for (let n = 0; n < numItems; n++) if (!used.has(n)) expect(giv[n].every((v) => v === 0)).toBe(true);
    tf.dispose([q, it_, c, dy, scores, gq, gi]);
  });

  it('matches matMul-then-gather when every item is a candidate', () => {
    const q = tf.tensor2d(qv, [batch, dim]);
    const it_ = tf.tensor2d(iv, [numItems, dim]);
    const all = tf.tile(tf.range(0, numItems, 1, 'int32').reshape([1, numItems]), [batch, 1]) as tf.Tensor2D;
    const dense = tf.matMul(q, it_, false, true);
    const ours = gatherDot(q, it_, all);
    const diff = tf.max(tf.abs(tf.sub(dense, ours))).dataSync()[0];
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([q, it_, all, dense, ours]);
  });

  it('leaks nothing in forward and backward', () => {
    const q = tf.tensor2d(qv, [batch, dim]);
    const it_ = tf.tensor2d(iv, [numItems, dim]);
    const c = tf.tensor2d(cv, [batch, width], 'int32');
    expectNoLeak(() => gatherDot(q, it_, c).dispose());
    expectNoLeak(() => gatherDot(q, it_, c, { path: 'native' }).dispose());
    expectNoLeak(() => {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(gatherDot(a as tf.Tensor2D, b as tf.Tensor2D, c)))([q, it_]);
      tf.dispose(grads);
    });
    tf.dispose([q, it_, c]);
  });

  it('rejects bad candidates and shapes', () => {
    const q = tf.tensor2d(qv, [batch, dim]);
    const it_ = tf.tensor2d(iv, [numItems, dim]);
    const bad = tf.fill([batch, 2], numItems, 'int32') as tf.Tensor2D;
    const float = tf.zeros([batch, 2]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    expect(() => gatherDot(q, it_, bad)).toThrow(/candidates: expected item ids in \[0, 20\) or -1 for padding, got 20 at \[0, 0\]/);
    expect(() => gatherDot(q, it_, bad, { path: 'native' })).toThrow(/candidates: expected item ids in \[0, 20\) or -1 for padding, got 20 at \[0, 0\]/);
    expect(() => gatherDot(q, it_, float)).toThrow(/candidates: expected dtype int32, got float32/);
    const wide = tf.zeros([batch, dim + 1]) as tf.Tensor2D;
    expect(() => gatherDot(wide, it_, bad)).toThrow(/queries: expected 7 columns, got shape \[5, 8\]/);
    wide.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, it_, bad, float]);
  });
});
