import * as tf from '@tensorflow/tfjs';
import { plantedWOL } from '../../../tools/data/planted_wol.cjs';
import { describeBackends, expectNoLeak, preferredBackend, useBackend } from '../../../tools/testing/backends';
import { LSHSoftmax } from '@hashlayers/lsh-softmax';
import { lshSoftmaxInternals } from '@hashlayers/lsh-softmax/internal';
import { LSSHashTrainer, convertToLSS } from '../src';

/** A model of one Dense softmax layer with the given kernel [dim, units] and bias. */
function denseWith(kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Sequential {
  const dense = tf.layers.dense({ units: kernel.shape[1], inputShape: [kernel.shape[0]], activation: 'softmax' });
  const model = tf.sequential({ layers: [dense] });
  dense.setWeights([kernel, bias]);
  return model;
}

/** Codes recomputed here from the stored projections: sign bits of [w; b]·P_label per label and [h; 1]·P_query per query. */
function referenceCodes(layer: LSHSoftmax, h: tf.Tensor2D): { labels: number[][]; queries: number[][] } {
  const state = lshSoftmaxInternals(layer).family.state;
  const Pq = state.query_projection.arraySync() as number[][];
  const Pl = (state.label_projection ?? state.query_projection).arraySync() as number[][];
  const [wT, b] = layer.getWeights().filter((w) => w.dtype === 'float32' && (w.rank === 1 || w.shape[0] === layer.units));
  const W = wT.arraySync() as number[][]; // [units, dim]
  const B = b.arraySync() as number[];
  const L = layer.tables;
  const K = layer.bits;
  const codes = (v: number[], P: number[][]) =>
    Array.from({ length: L }, (_, t) => {
      let c = 0;
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let d = 0; d < v.length; d++) s += v[d] * P[d][t * K + k];
        if (s > 0) c |= 1 << k;
      }
      return c;
    });
  return { labels: W.map((w, c) => codes([...w, B[c]], Pl)), queries: h.arraySync().map((q) => codes([...q, 1], Pq)) };
}

/**
 * Independent reference of correct-label recall: candidates = labels sharing a bucket with the query in
 * any table, ranked by the number of shared tables (ties by id), the first `budget` kept.
 */
function referenceRecall(layer: LSHSoftmax, h: tf.Tensor2D, y: Int32Array, budget: number): number {
  const { labels, queries } = referenceCodes(layer, h);
  let hit = 0;
  for (let i = 0; i < queries.length; i++) {
    const q = queries[i];
    const hits = labels.map((lc) => lc.filter((code, t) => code === q[t]).length);
    const order = hits.map((n, c) => [n, c]).filter(([n]) => n > 0).sort((a, z) => z[0] - a[0] || a[1] - z[1]);
    if (order.slice(0, budget).some(([, c]) => c === y[i])) hit++;
  }
  return hit / queries.length;
}

/** Hash training runs on one backend (tfjs-node when present, else wasm); the errors and leaks on every backend. */
function suite(title: string, body: () => void): void {
  if (process.env.LSS_VALIDATION_ALL_BACKENDS === '1') describeBackends(title, body);
  else
    describe(`${title} [${preferredBackend()}]`, () => {
      beforeAll(() => useBackend(preferredBackend()));
      body();
    });
}

suite('LSSHashTrainer keeps the best projections on held-out queries', () => {
  // a planted problem small enough for the reference; a learning rate far too high, so that training
  // (almost surely) moves the projections somewhere worse
  const P = plantedWOL({ units: 300, train: 1200, test: 300, seed: 8 });
  const budget = 20;
  let dense: tf.Sequential;
  let xr: tf.Tensor2D;
  let yr: tf.Tensor1D;
  let xv: tf.Tensor2D;
  let yv: tf.Tensor1D;
  beforeAll(() => {
    dense = denseWith(tf.tensor2d(P.kernel, [P.dim, P.units]), tf.tensor1d(P.bias));
    xr = tf.tensor2d(P.train.x, [P.train.n, P.dim]);
    yr = tf.tensor1d(P.train.y, 'int32');
    xv = tf.tensor2d(P.test.x, [P.test.n, P.dim]);
    yv = tf.tensor1d(P.test.y, 'int32');
  });
  afterAll(() => {
    tf.dispose([xr, yr, xv, yv]);
    dense.dispose();
  });
  const layerOf = async () => (await convertToLSS(dense, { tables: 6, bits: 6, maxCandidates: budget, seed: 5 })).layers[0];
  const harmful = { learningRate: 3, temperature: 0.05, hardNegatives: 8, randomNegatives: 0, seed: 2 };

  it('without validation, a harmful setting lowers held-out recall (so the next test can fail)', async () => {
    const layer = await layerOf();
    const start = referenceRecall(layer, xv, P.test.y, budget);
    const trainer = new LSSHashTrainer(layer, { ...harmful, validationSplit: 0 });
    const report = trainer.fit(xr, yr, { epochs: 2 });
    trainer.dispose();
    expect(report.validation).toBeNull();
    expect(referenceRecall(layer, xv, P.test.y, budget)).toBeLessThan(start - 0.02);
    layer.dispose();
  });

  it('with validationData, fit never ends below the start: recall (reference) >= start; report matches the reference', async () => {
    const layer = await layerOf();
    const start = referenceRecall(layer, xv, P.test.y, budget);
    const trainer = new LSSHashTrainer(layer, harmful);
    const report = trainer.fit(xr, yr, { epochs: 2, validationData: [xv, yv] });
    trainer.dispose();
    const end = referenceRecall(layer, xv, P.test.y, budget);
    const v = report.validation as NonNullable<typeof report.validation>;
    expect(v.queries).toBe(P.test.n);
    expect(v.recall).toHaveLength(3);
    expect(v.recall[0]).toBeCloseTo(start, 6);
    expect(end).toBeGreaterThanOrEqual(start);
    expect(end).toBeCloseTo(v.bestRecall, 6);
    expect(v.bestRecall).toBe(Math.max(...v.recall));
    expect(v.recall[v.bestEpoch]).toBe(v.bestRecall);
    layer.dispose();
  });

  it('a good setting is kept when it helps: held-out recall rises; the default split holds out 10%', async () => {
    const layer = await layerOf();
    const start = referenceRecall(layer, xv, P.test.y, budget);
    const trainer = new LSSHashTrainer(layer, { seed: 3 });
    const report = trainer.fit(xr, yr, { epochs: 2 });
    trainer.dispose();
    expect(report.validation?.queries).toBe(120);
    expect(report.validation?.bestEpoch).toBeGreaterThan(0);
    expect(referenceRecall(layer, xv, P.test.y, budget)).toBeGreaterThan(start + 0.1);
    layer.dispose();
  });

  it('no leaks; bad validationData or options are clear errors that leave the projections untouched', async () => {
    const layer = await layerOf();
    const trainer = new LSSHashTrainer(layer, { seed: 1, batchNegatives: 2, loss: 'softmax', spread: 1 });
    const xs = tf.slice(xr, [0, 0], [200, P.dim]) as tf.Tensor2D;
    const ys = tf.slice(yr, [0], [200]) as tf.Tensor1D;
    trainer.fit(xs, ys); // creates the optimizer slots once
    expectNoLeak(() => trainer.fit(xs, ys, { epochs: 2 }), 0);
    const query = lshSoftmaxInternals(layer).family.state.query_projection;
    const before = query.dataSync().slice();
    expect(() => trainer.fit(xs, ys, { validationData: [tf.zeros([3, P.dim + 1]), tf.zeros([3], 'int32')] as [tf.Tensor, tf.Tensor] })).toThrow(/validationData\[0\]: expected a live \[m, 64\] tensor, got shape \[3, 65\]/);
    expect(() => trainer.fit(xs, ys, { validationData: [xv, tf.fill([P.test.n], P.units, 'int32')] })).toThrow(/labels.*class ids in \[0, 300\)/);
    expect(() => trainer.fit(xs, ys, { epoch: 2 } as unknown as { epochs: number })).toThrow(/epoch/);
    expect(Array.from(query.dataSync())).toEqual(Array.from(before));
    expect(() => new LSSHashTrainer(layer, { validationSplit: 1 })).toThrow(/validationSplit/);
    expect(() => new LSSHashTrainer(layer, { loss: 'hinge' as 'softmax' })).toThrow(/loss: expected 'pairwise' or 'softmax'/);
    expect(() => new LSSHashTrainer(layer, { rankScale: 0 })).toThrow(/rankScale/);
    expect(() => new LSSHashTrainer(layer, { batchNegatives: -1 })).toThrow(/batchNegatives/);
    expect(() => new LSSHashTrainer(layer, { spread: -1 })).toThrow(/spread: expected a finite number ≥ 0, got -1/);
    trainer.dispose();
    tf.dispose([xs, ys]);
    layer.dispose();
  });
});
