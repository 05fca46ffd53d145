import * as tf from '@tensorflow/tfjs';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { randomDense } from '../../../tools/data/models.cjs';
import { relErr } from '../../../tools/data/metrics.cjs';
import { roundTrip } from '../../../tools/testing/artifacts';
import { SeededRandom } from '@hashlayers/core/internal';
import { LUTDense, lutDense } from '../src';
// the per-layer fit behind convertToLUTDense and the partitions, tested directly (not public)
import { fitLUTDense } from '../src/fit/fit_lut';
import { contiguousPartition, correlationPartition } from '../src/fit/partition';

/** A built Dense layer, glorotNormal kernel (seed) and N(0, 0.05²) bias (seed + 1). */
const denseLayer = (d: number, m: number, activation: 'linear' | 'relu' | 'softmax' = 'linear', seed = 1): tf.layers.Layer =>
  randomDense(d, m, { activation, seed });

/** The exact reference: activation(x·W + b) with the Dense layer's own weights. */
function exact(dense: tf.layers.Layer, x: tf.Tensor): Float32Array {
  return tf.tidy(() => dense.apply(x) as tf.Tensor).dataSync() as Float32Array;
}

/** Inputs with low-dimensional structure (as activations have): x = z·A + noise. */
function structured(n: number, d: number, seed: number, rank = 6): Float32Array {
  const rng = new SeededRandom(seed);
  const a = Float32Array.from({ length: rank * d }, () => rng.gaussian());
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: rank }, () => rng.gaussian());
    for (let j = 0; j < d; j++) {
      let s = 0.1 * rng.gaussian();
      for (let r = 0; r < rank; r++) s += z[r] * a[r * d + j];
      out[i * d + j] = s;
    }
  }
  return out;
}


describeBackends('LUTDense and its per-layer fit', () => {
  const d = 32;
  const m = 8;
  const nTrain = 2000;
  const nTest = 500;
  let xTrain: tf.Tensor2D;
  let xTest: tf.Tensor2D;
  let dense: tf.layers.Layer;
  let yTest: Float32Array;
  beforeAll(() => {
    // one distribution, split into fitting rows and held-out rows
    const all = structured(nTrain + nTest, d, 11);
    xTrain = tf.tensor2d(all.subarray(0, nTrain * d), [nTrain, d]);
    xTest = tf.tensor2d(all.subarray(nTrain * d), [nTest, d]);
    dense = denseLayer(d, m);
    yTest = exact(dense, xTest);
  });

  afterAll(() => tf.dispose([xTrain, xTest]));

  it('output converges to the exact x·W + b as C grows', () => {
    const errs: number[] = [];
    for (const c of [1, 2, 4, 8, 16, 32]) {
      const layer = fitLUTDense(dense, xTrain, { codebooks: c });
      const y = tf.tidy(() => layer.apply(xTest) as tf.Tensor);
      errs.push(relErr(y.dataSync(), yTest));
      y.dispose();
      layer.dispose();
    }
    console.log(`relative error by C = 1, 2, 4, 8, 16, 32: ${errs.map((e) => e.toFixed(3)).join(', ')}`);
    for (let i = 1; i < errs.length; i++) expect(errs[i]).toBeLessThan(errs[i - 1] * 1.05);
    expect(errs[errs.length - 1]).toBeLessThan(0.1);
    expect(errs[errs.length - 1]).toBeLessThan(errs[0] / 4);
  });

  it('reproduces x·W + b exactly when each codebook sees at most 16 distinct input patterns', () => {
    // each dimension takes one of two arbitrary values, 4 dimensions per codebook: 16 patterns per codebook
    const rng = new SeededRandom(5);
    const c = 8;
    const levels = Array.from({ length: d }, () => [rng.gaussian(), rng.gaussian() + 3]);
    const make = (n: number) => tf.tensor2d(Float32Array.from({ length: n * d }, (_, k) => levels[k % d][rng.int(2)]), [n, d]);
    const xs = make(2000);
    const xt = make(300);
    const ref = exact(dense, xt);
    for (const opts of [{ refine: false }, { lambda: 1e-6 }]) {
      const layer = fitLUTDense(dense, xs, { codebooks: c, ...opts });
      const y = tf.tidy(() => layer.apply(xt) as tf.Tensor).dataSync();
      const tol = opts.refine === false ? 1e-4 : 1e-3;
      for (let i = 0; i < ref.length; i++) expect(Math.abs(y[i] - ref[i])).toBeLessThan(tol * (1 + Math.abs(ref[i])));
      // every used leaf holds one pattern: 16 leaves per codebook are all populated
      const counts = (layer.fitReport as { leafCounts: Int32Array }).leafCounts;
      expect(Array.from(counts).filter((v) => v > 0).length).toBe(c * 16);
      layer.dispose();
    }
    tf.dispose([xs, xt]);
  });

  it('fit assigns training rows with the encoding rule (ties included) and is deterministic', () => {
    // integer-valued inputs: thresholds often fall on, or next to, data values
    const rng = new SeededRandom(9);
    const xi = tf.tensor2d(Float32Array.from({ length: 1000 * d }, () => rng.int(4)), [1000, d]);
    const a = fitLUTDense(dense, xi, { codebooks: 4 });
    const b = fitLUTDense(dense, xi, { codebooks: 4 });
    expect(Array.from(a.getLUT().thresholds)).toEqual(Array.from(b.getLUT().thresholds));
    expect(Array.from(a.getLUT().tables)).toEqual(Array.from(b.getLUT().tables));
    const codes = a.encode(xi);
    const counts = new Int32Array(4 * 16);
    const cv = codes.dataSync();
    for (let i = 0; i < cv.length; i++) counts[(i % 4) * 16 + cv[i]]++;
    expect(Array.from(counts)).toEqual(Array.from((a.fitReport as { leafCounts: Int32Array }).leafCounts));
    tf.dispose([xi, codes]);
    a.dispose();
    b.dispose();
  });

  it('save → load gives identical predictions (float, quantized, ste)', async () => {
    for (const opts of [{}, { quantize: true }, { inputGradient: 'ste' as const }]) {
      const lut = fitLUTDense(denseLayer(d, m, 'relu', 3), xTrain, { codebooks: 8, ...opts });
      const input = tf.input({ shape: [d] });
      const model = tf.model({ inputs: input, outputs: lut.apply(input) as tf.SymbolicTensor });
      const loaded = await roundTrip(model);
      const restored = loaded.layers[1] as LUTDense;
      expect(restored).toBeInstanceOf(LUTDense);
      expect(restored.getConfig()).toEqual(lut.getConfig());
      const p1 = tf.tidy(() => model.predict(xTest) as tf.Tensor).dataSync();
      const p2 = tf.tidy(() => loaded.predict(xTest) as tf.Tensor).dataSync();
      expect(Array.from(p2)).toEqual(Array.from(p1));
      model.dispose();
      loaded.dispose();
    }
  });

  it('8-bit tables stay within their stated error bound', () => {
    const c = 8;
    const f = fitLUTDense(dense, xTrain, { codebooks: c });
    const q = fitLUTDense(dense, xTrain, { codebooks: c, quantize: true });
    expect(q.getLUT().tables).toBeInstanceOf(Int32Array);
    const qt = q.getLUT().tables;
    expect(Math.min(...qt)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...qt)).toBeLessThanOrEqual(255);
    const bound = q.fitReport?.quantizationErrorBound as Float32Array;
    const yf = tf.tidy(() => f.apply(xTest) as tf.Tensor).dataSync();
    const yq = tf.tidy(() => q.apply(xTest) as tf.Tensor).dataSync();
    let worst = 0;
    for (let i = 0; i < yf.length; i++) {
      const e = Math.abs(yq[i] - yf[i]);
      expect(e).toBeLessThanOrEqual(bound[i % m] * (1 + 1e-4) + 1e-5);
      worst = Math.max(worst, e / bound[i % m]);
    }
    expect(worst).toBeGreaterThan(0); // it is a real (lossy) quantisation
    f.dispose();
    q.dispose();
  });

  it('a quantized layer trains its bias in model.fit: d/dbias = Σ dy, no gradient to its inputs (the encoding is piecewise constant)', async () => {
    const q = fitLUTDense(dense, xTrain, { codebooks: 8, quantize: true });
    const bias = q.getWeights().find((_, i) => q.weights[i].originalName.endsWith('bias')) as tf.Tensor;
    expect(bias).toBeDefined();
    // gradients against their definition: loss = Σ y (linear activation) → d/dbias = number of rows
    const n = xTest.shape[0];
    const { grads } = tf.variableGrads(() => tf.sum(q.apply(xTest) as tf.Tensor) as tf.Scalar, q.trainableWeights.map((w) => w.read() as tf.Variable));
    const g = Object.values(grads);
    expect(g.length).toBe(1);
    expect(Array.from(g[0].dataSync())).toEqual(Array(m).fill(n));
    tf.dispose(g);
    // and model.fit runs with a trainable Dense before it (which receives no signal through the look-ups) and after it
    const input = tf.input({ shape: [d] });
    const pre = tf.layers.dense({ units: d, kernelInitializer: 'identity', useBias: false });
    const post = tf.layers.dense({ units: 2 });
    const out = post.apply(q.apply(pre.apply(input))) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
    const preBefore = pre.getWeights()[0].dataSync().slice();
    const biasBefore = bias.dataSync().slice();
    const ys = tf.ones([n, 2]);
    await model.fit(xTest, ys, { epochs: 1, batchSize: n, verbose: 0, shuffle: false });
    expect(Array.from(pre.getWeights()[0].dataSync())).toEqual(Array.from(preBefore));
    const biasAfter = q.getWeights().find((_, i) => q.weights[i].originalName.endsWith('bias')) as tf.Tensor;
    expect(Array.from(biasAfter.dataSync())).not.toEqual(Array.from(biasBefore));
    ys.dispose();
    q.dispose();
  });

  it("'mse' equals 'reconstruct' on the layer's own inputs; with targetInputs it absorbs upstream error", () => {
    const a = fitLUTDense(dense, xTrain, { codebooks: 8 });
    const b = fitLUTDense(dense, xTrain, { codebooks: 8, objective: 'mse' });
    const ta = a.getLUT().tables;
    const tb = b.getLUT().tables;
    for (let i = 0; i < ta.length; i++) expect(Math.abs(ta[i] - tb[i])).toBeLessThan(1e-3 * (1 + Math.abs(ta[i])));
    a.dispose();
    b.dispose();
    // upstream error: the layer sees a distorted copy of its inputs (as behind an earlier LUT layer)
    const distort = (x: tf.Tensor) => tf.tidy(() => tf.add(tf.mul(x, 0.7), 0.5));
    const cur = distort(xTrain) as tf.Tensor2D;
    const curTest = distort(xTest);
    const r = fitLUTDense(dense, cur, { codebooks: 8 });
    const s = fitLUTDense(dense, cur, { codebooks: 8, objective: 'mse', targetInputs: xTrain });
    const er = relErr(tf.tidy(() => r.apply(curTest) as tf.Tensor).dataSync(), yTest);
    const es = relErr(tf.tidy(() => s.apply(curTest) as tf.Tensor).dataSync(), yTest);
    expect(es).toBeLessThan(0.8 * er);
    tf.dispose([cur, curTest]);
    r.dispose();
    s.dispose();
  });

  it("'kl' fits a softmax layer's probabilities better than 'mse'", () => {
    const sm = denseLayer(d, m, 'softmax', 4);
    const pTest = exact(sm, xTest);
    const kl = (q: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < pTest.length; i++) if (pTest[i] > 0) s += pTest[i] * Math.log(pTest[i] / Math.max(q[i], 1e-12));
      return s / nTest;
    };
    const a = fitLUTDense(sm, xTrain, { codebooks: 4, objective: 'mse' });
    const b = fitLUTDense(sm, xTrain, { codebooks: 4, objective: 'kl', klSteps: 100 });
    const ka = kl(tf.tidy(() => a.apply(xTest) as tf.Tensor).dataSync());
    const kb = kl(tf.tidy(() => b.apply(xTest) as tf.Tensor).dataSync());
    console.log(`softmax layer, C = 4: KL to the exact probabilities: mse ${ka.toFixed(4)}, kl ${kb.toFixed(4)}`);
    expect(kb).toBeLessThan(ka);
    a.dispose();
    b.dispose();
    expect(() => fitLUTDense(dense, xTrain, { codebooks: 4, objective: 'kl' })).toThrow(/objective: expected 'kl' only for a softmax layer, got activation 'linear'/);
  });

  it("'correlation' partition groups correlated columns and beats 'contiguous' when they are interleaved", () => {
    // 4 independent factors, each copied (with noise) to 8 columns, the copies interleaved: column j belongs to factor j % 4
    const rng = new SeededRandom(21);
    const gen = (n: number) => {
      const v = new Float32Array(n * d);
      for (let i = 0; i < n; i++) {
        const z = [0, 1, 2, 3].map(() => rng.gaussian());
        for (let j = 0; j < d; j++) v[i * d + j] = z[j % 4] * (1 + (j % 3)) + 0.05 * rng.gaussian();
      }
      return v;
    };
    const xv = gen(2000);
    const parts = correlationPartition(xv, 2000, d, 4);
    expect(parts.map((p) => p.length)).toEqual([8, 8, 8, 8]);
    expect(Array.from(new Set(parts.flatMap((p) => Array.from(p)))).sort((a, b) => a - b)).toEqual(Array.from({ length: d }, (_, j) => j));
    for (const p of parts) expect(new Set(Array.from(p, (j) => j % 4)).size).toBe(1);
    expect(contiguousPartition(10, 3).map((p) => Array.from(p))).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]);
    const xs = tf.tensor2d(xv, [2000, d]);
    const xt = tf.tensor2d(gen(300), [300, d]);
    const ref = exact(dense, xt);
    const a = fitLUTDense(dense, xs, { codebooks: 4, partition: 'contiguous' });
    const b = fitLUTDense(dense, xs, { codebooks: 4, partition: 'correlation' });
    const ea = relErr(tf.tidy(() => a.apply(xt) as tf.Tensor).dataSync(), ref);
    const eb = relErr(tf.tidy(() => b.apply(xt) as tf.Tensor).dataSync(), ref);
    console.log(`interleaved factors, C = 4: relative error contiguous ${ea.toFixed(3)}, correlation ${eb.toFixed(3)}`);
    expect(eb).toBeLessThan(0.8 * ea);
    tf.dispose([xs, xt]);
    a.dispose();
    b.dispose();
  });

  it('clear errors on bad input, layer untouched, no tensor leaks', () => {
    const layer = fitLUTDense(dense, xTrain, { codebooks: 4 });
    const before = layer.getLUT();
    expect(() => fitLUTDense(tf.layers.flatten() as tf.layers.Layer, xTrain, { codebooks: 4 })).toThrow(/dense: expected a tf.layers.dense layer, got Flatten/);
    expect(() => fitLUTDense(dense, xTrain, { codebooks: 0 })).toThrow(/codebooks: expected an integer in \[1, 32\], got 0/);
    expect(() => fitLUTDense(dense, xTrain, { codebooks: 4, partition: 'random' as 'contiguous' })).toThrow(/partition: expected one of 'contiguous', 'correlation', got 'random'/);
    expect(() => fitLUTDense(dense, tf.zeros([5, d + 1]) as tf.Tensor2D, { codebooks: 4 })).toThrow(/inputs: expected a float32 tensor \[N, 32\]/);
    const nan = tf.tensor2d(Float32Array.from({ length: 4 * d }, (_, i) => (i === 5 ? NaN : 0)), [4, d]);
    expect(() => layer.fitTables(nan, { kernel: dense.getWeights()[0] as tf.Tensor2D })).toThrow(/inputs: expected finite values, got NaN at flat index 5/);
    expect(() => layer.apply(tf.zeros([3, d - 1]))).toThrow(/expected .*32/);
    expect(() => new LUTDense({ units: 4, codebooks: 2, activation: 'nope' as 'relu' })).toThrow(/activation: expected a tfjs-layers activation name .*, got 'nope'/);
    expect(Array.from(layer.getLUT().tables)).toEqual(Array.from(before.tables));
    nan.dispose();
    const y = expectNoLeak(() => layer.apply(xTest) as tf.Tensor, 1);
    y.dispose();
    const nt = tf.memory().numTensors;
    const extra = fitLUTDense(dense, xTrain, { codebooks: 4, objective: 'mse' });
    expect(tf.memory().numTensors - nt).toBe(extra.weights.length);
    extra.dispose();
    expect(tf.memory().numTensors).toBe(nt);
    layer.dispose();
  });

  it('an unfitted LUTDense trains its tables with model.fit (rank-3 inputs too)', async () => {
    const layer = lutDense({ units: 3, codebooks: 4, seed: 2 });
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [d] }), layer] });
    const target = tf.tidy(() => tf.matMul(xTrain.slice([0, 0], [512, d]), tf.randomNormal([d, 3], 0, 0.3, 'float32', 8)));
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
    const h = await model.fit(xTrain.slice([0, 0], [512, d]), target, { epochs: 8, batchSize: 64, verbose: 0 });
    const losses = h.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(0.7 * losses[0]);
    const y3 = tf.tidy(() => layer.apply(tf.reshape(xTest.slice([0, 0], [6, d]), [2, 3, d])) as tf.Tensor);
    const y2 = tf.tidy(() => layer.apply(xTest.slice([0, 0], [6, d])) as tf.Tensor);
    expect(y3.shape).toEqual([2, 3, 3]);
    expect(Array.from(y3.dataSync())).toEqual(Array.from(y2.dataSync()));
    tf.dispose([target, y3, y2]);
    model.dispose();
  });
});
