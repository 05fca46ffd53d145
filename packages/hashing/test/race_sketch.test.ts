import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { RaceSketch } from '../src';
import { raceInsert, srpKernel } from '../src/internal';
import { SeededRandom } from '@hashlayers/core/internal';
import { randn, rows } from './helpers';

describeBackends('RaceSketch', () => {
  const dim = 16;
  const rng = new SeededRandom(99);
  const points = Array.from({ length: 30 }, () => randn(rng, dim));
  const alphas = Array.from({ length: 30 }, () => [rng.next(), rng.next() * 2 - 1]);
  const queries = Array.from({ length: 4 }, () => randn(rng, dim));

  it('is unbiased for Σ α_i (1 − θ/π)^K (mean over seeds vs closed form)', () => {
    const bits = 3;
    const exact = queries.map((q) =>
      [0, 1].map((o) => points.reduce((s, x, i) => s + alphas[i][o] * srpKernel(x, q, bits), 0)),
    );
    const x = rows(points, dim);
    const w = tf.tensor2d(alphas);
    const q = rows(queries, dim);
    const seeds = 40;
    const mean = queries.map(() => [0, 0]);
    for (let s = 0; s < seeds; s++) {
      const sk = new RaceSketch({ inputDim: dim, rows: 50, bits, outputs: 2, seed: s });
      sk.insert(x, w);
      const est = sk.query(q);
      (est.arraySync() as number[][]).forEach((r, i) => r.forEach((v, o) => (mean[i][o] += v / seeds)));
      est.dispose();
      sk.dispose();
    }
    // 2000 rows in all; the per-row spread is below Σ|α| ≈ 30, so the standard error is < 0.7
    for (let i = 0; i < queries.length; i++) {
      for (let o = 0; o < 2; o++) expect(Math.abs(mean[i][o] - exact[i][o])).toBeLessThan(0.35);
    }
    tf.dispose([x, w, q]);
  });

  it('counts exactly: one point, one query equal to it', () => {
    const sk = new RaceSketch({ inputDim: dim, rows: 4, bits: 5, outputs: 1, seed: 1 });
    const x = rows([points[0]], dim);
    sk.insert(x, tf.tensor2d([[2.5]]));
    sk.insert(x);
    const est = sk.query(x, { estimator: 'median-of-means', groups: 2 });
    expect(est.dataSync()[0]).toBeCloseTo(3.5, 5);
    expect(sk.size).toBe(2);
    expect(sk.bytes).toBe(4 * 32 * 1 * 4);
    tf.dispose([x, est]);
    sk.dispose();
  });

  it('raceInsert adds each weight vector to its cell in every row (nested-array reference)', () => {
    const [n, rowsR, cells, outputs] = [7, 3, 4, 2];
    const codes = Int32Array.from({ length: n * rowsR }, () => Math.floor(rng.next() * cells));
    const w = Float32Array.from({ length: n * outputs }, () => rng.next() * 2 - 1);
    // reference: counts[r][cell][o] as nested arrays, one point at a time
    const ref = (weights: Float32Array | null) => {
      const c = Array.from({ length: rowsR }, () => Array.from({ length: cells }, () => new Array<number>(outputs).fill(0.5)));
      for (let i = 0; i < n; i++) for (let r = 0; r < rowsR; r++) for (let o = 0; o < outputs; o++) c[r][codes[i * rowsR + r]][o] += weights ? weights[i * outputs + o] : 1;
      return c.flat(2);
    };
    for (const weights of [w, null]) {
      const counts = new Float32Array(rowsR * cells * outputs).fill(0.5);
      raceInsert(counts, codes, weights, { rows: rowsR, cells, outputs });
      const want = ref(weights);
      for (let k = 0; k < counts.length; k++) expect(counts[k]).toBeCloseTo(want[k], 6);
    }
  });

  it('round-trips counts, leaks nothing, rejects bad input untouched', () => {
    const sk = new RaceSketch({ inputDim: dim, rows: 3, bits: 4, outputs: 2, seed: 2 });
    const x = rows(points.slice(0, 5), dim);
    sk.insert(x, tf.ones([5, 2]) as tf.Tensor2D);
    const saved = sk.toTensor();
    const other = new RaceSketch({ inputDim: dim, rows: 3, bits: 4, outputs: 2, seed: 2 });
    other.setCounts(saved);
    const a = sk.query(x);
    const b = other.query(x);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expectNoLeak(() => sk.query(x).dispose());
    const copy = sk.counts.slice();
    const badW = tf.ones([5, 3]) as tf.Tensor2D;
    expect(() => sk.insert(x, badW)).toThrow(/weights: expected 2 columns, got shape \[5, 3\]/);
    const nanW = tf.fill([5, 2], NaN) as tf.Tensor2D;
    expect(() => sk.insert(x, nanW)).toThrow(/weights: expected finite values, got NaN/);
    expect(sk.counts).toEqual(copy);
    expect(() => new RaceSketch({ inputDim: dim, rows: 3, bits: 25, outputs: 1 })).toThrow(/bits: expected an integer in \[1, 20\], got 25/);
    tf.dispose([x, saved, a, b, badW, nanW]);
  });
});
