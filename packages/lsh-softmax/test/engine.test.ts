import * as tf from '@tensorflow/tfjs';
import { describeBackends } from '../../../tools/testing/backends';
import { roundTrip } from '../../../tools/testing/artifacts';
import { LSHSoftmax, RehashCallback, lshSoftmax, lshSoftmaxLoss, predictTopK, trainingModel } from '../src';
import { largestIds } from '../src/candidates';
import { lshSoftmaxInternals } from '../src/internal';
import { HashIndex } from '@hashlayers/hashing';

const dim = 10;
const units = 30;
const adam = { learningRate: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** Dense softmax cross-entropy, its gradients and Adam, in float64: the reference of the engine's training step. */
class DenseReference {
  m: Float64Array;
  v: Float64Array;
  mb: Float64Array;
  vb: Float64Array;
  t = 0;
  constructor(
    public w: Float64Array,
    public b: Float64Array,
  ) {
    this.m = new Float64Array(w.length);
    this.v = new Float64Array(w.length);
    this.mb = new Float64Array(b.length);
    this.vb = new Float64Array(b.length);
  }
  /** Mean loss over the batch, d mean-loss / dh, then one Adam step on every row (every class is a candidate). */
  step(h: Float32Array, y: Int32Array): { loss: number; dh: Float64Array } {
    const batch = y.length;
    const gw = new Float64Array(this.w.length);
    const gb = new Float64Array(units);
    const dh = new Float64Array(batch * dim);
    let loss = 0;
    for (let i = 0; i < batch; i++) {
      const z = new Float64Array(units);
      for (let c = 0; c < units; c++) {
        let s = this.b[c];
        for (let e = 0; e < dim; e++) s += h[i * dim + e] * this.w[c * dim + e];
        z[c] = s;
      }
      const max = Math.max(...z);
      let sum = 0;
      for (let c = 0; c < units; c++) sum += Math.exp(z[c] - max);
      loss += (max + Math.log(sum) - z[y[i]]) / batch;
      for (let c = 0; c < units; c++) {
        const dz = (Math.exp(z[c] - max) / sum - (c === y[i] ? 1 : 0)) / batch;
        gb[c] += dz;
        for (let e = 0; e < dim; e++) {
          gw[c * dim + e] += dz * h[i * dim + e];
          dh[i * dim + e] += dz * this.w[c * dim + e];
        }
      }
    }
    this.t++;
    const c1 = 1 - Math.pow(adam.beta1, this.t);
    const c2 = 1 - Math.pow(adam.beta2, this.t);
    const upd = (x: Float64Array, m: Float64Array, v: Float64Array, g: Float64Array) => {
      for (let i = 0; i < x.length; i++) {
        m[i] = adam.beta1 * m[i] + (1 - adam.beta1) * g[i];
        v[i] = adam.beta2 * v[i] + (1 - adam.beta2) * g[i] * g[i];
        x[i] -= (adam.learningRate * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + adam.epsilon);
      }
    };
    upd(this.w, this.m, this.v, gw);
    upd(this.b, this.mb, this.vb, gb);
    return { loss, dh };
  }
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function engineLayer(args: Partial<ConstructorParameters<typeof LSHSoftmax>[0]> = {}): LSHSoftmax {
  return lshSoftmax({ units, seed: 3, biasInitializer: 'randomNormal', classOptimizer: adam, ...args });
}

describeBackends('LSHSoftmax with classOptimizer (the sparse engine)', () => {
  it('with every class a candidate: loss and d/dh equal full softmax, and model.fit steps equal dense Adam (float64 reference); kernel and bias are not the compiled optimizer’s', async () => {
    const layer = engineLayer({ trainExactBelow: units + 1 });
    const input = tf.input({ shape: [dim] });
    // features straight from the input: no other trainable weight, the engine still gets its gradient
    const { train } = trainingModel(input, input, layer);
    expect(layer.trainableWeights.map((w) => w.originalName.split('/').pop())).toEqual(['sparse_anchor']);
    const [w0, b0] = [layer.kernel!.read().dataSync(), layer.bias!.read().dataSync()];
    const ref = new DenseReference(Float64Array.from(w0), Float64Array.from(b0));
    // an optimizer that would wreck kernel and bias if it saw them
    train.compile({ optimizer: tf.train.sgd(1e6), loss: lshSoftmaxLoss });
    const batch = 8;
    for (let s = 0; s < 3; s++) {
      const x = tf.randomNormal([batch, dim], 0, 1, 'float32', 20 + s);
      const y = tf.tensor2d(Array.from({ length: batch }, (_, i) => (i * 7 + s * 3) % units), [batch, 1]);
      const hv = x.dataSync() as Float32Array;
      const yv = Int32Array.from(y.dataSync());
      if (s === 0) {
        // d/dh through the layer (this backward pass is also the first step)
        const [loss, dh] = tf.tidy(() => {
          const f = (a: tf.Tensor) => tf.mean(layer.apply([a, y]) as tf.Tensor) as tf.Scalar;
          const { value, grad } = tf.valueAndGrad(f)(x);
          return [value.dataSync()[0], grad.dataSync()];
        });
        const r = ref.step(hv, yv);
        expect(Math.abs(loss - r.loss)).toBeLessThan(1e-5);
        expect(maxAbs(dh, r.dh)).toBeLessThan(1e-5);
      } else {
        const h = await train.fit([x, y], tf.zeros([batch, 1]), { batchSize: batch, epochs: 1, verbose: 0, shuffle: false });
        const r = ref.step(hv, yv);
        expect(Math.abs(h.history.loss[0] as number - r.loss)).toBeLessThan(1e-4);
      }
      // step size ~ lr = 0.05: float32 against float64
      expect(maxAbs(layer.kernel!.read().dataSync(), ref.w)).toBeLessThan(2e-4);
      expect(maxAbs(layer.bias!.read().dataSync(), ref.b)).toBeLessThan(2e-4);
      tf.dispose([x, y]);
    }
    expect(layer.getWeights().find((w) => w.shape.length === 0)!.dataSync()[0]).toBe(0);
    train.dispose();
  });

  it('trains a network on a planted problem through model.fit (the compiled optimizer trains the rest), leaks nothing, and saves → loads exactly', async () => {
    const n = 960;
    const centres = tf.randomNormal([units, dim], 0, 1, 'float32', 1);
    const ys = tf.randomUniform([n], 0, units, 'int32', 2);
    const xs = tf.add(tf.gather(centres, ys), tf.randomNormal([n, dim], 0, 0.4, 'float32', 3));
    const input = tf.input({ shape: [dim] });
    const dense = tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) });
    const hidden = dense.apply(input) as tf.SymbolicTensor;
    const layer = engineLayer({ tables: 8, window: 4, band: 2, maxCandidates: 10, uniformSamples: 4, headClasses: 2, classOptimizer: { learningRate: 0.02 } });
    const { train, infer } = trainingModel(input, hidden, layer);
    train.compile({ optimizer: tf.train.adam(0.02), loss: lshSoftmaxLoss });
    const rehash = new RehashCallback({ layer, everyBatches: 5, minChangedFraction: 0 });
    const zeros = tf.zeros([n, 1]);
    const d0 = dense.getWeights()[0].dataSync().slice();
    await train.fit([xs, ys], zeros, { epochs: 1, batchSize: 64, verbose: 0, callbacks: [rehash] });
    const before = tf.memory().numTensors;
    await train.fit([xs, ys], zeros, { epochs: 5, batchSize: 64, verbose: 0, callbacks: [rehash] });
    const top = predictTopK(train, [xs], 1);
    const acc = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.reshape(top.indices, [-1]), ys), 'float32')).dataSync()[0]);
    tf.dispose([top.indices, top.values]);
    expect(tf.memory().numTensors).toBe(before);
    expect(acc).toBeGreaterThan(0.8);
    expect(maxAbs(dense.getWeights()[0].dataSync(), d0)).toBeGreaterThan(1e-3);
    expect(layer.lastTrainingStats!.meanSetSize).toBeLessThan(units);
    // one more step after the last rehash, so the saved kernel differs from what the codes were hashed from
    await train.fit([xs.slice(0, 64), ys.slice(0, 64)], zeros.slice(0, 64), { epochs: 1, batchSize: 64, verbose: 0 });
    const probe = xs.slice(0, 50);
    const loaded = await roundTrip(infer);
    const twin = loaded.layers[loaded.layers.length - 1] as LSHSoftmax;
    expect(twin.classOptimizer).toEqual(layer.classOptimizer);
    layer.getWeights().forEach((w, i) => expect(Array.from(twin.getWeights()[i].dataSync())).toEqual(Array.from(w.dataSync())));
    const h = (dense.apply(probe) as tf.Tensor2D);
    const theirs = twin.topK(h, 3);
    const ours = layer.topK(h, 3);
    expect(Array.from(theirs.indices.dataSync())).toEqual(Array.from(ours.indices.dataSync()));
    expect(Array.from(theirs.values.dataSync())).toEqual(Array.from(ours.values.dataSync()));
    tf.dispose([centres, ys, xs, zeros, probe, h, theirs.indices, theirs.values, ours.indices, ours.values]);
    loaded.dispose();
    train.dispose();
  });

  it('setWeights after training wins over the engine, and the next step starts from the written values; a frozen layer does not step', async () => {
    const layer = engineLayer({ trainExactBelow: units + 1 });
    const input = tf.input({ shape: [dim] });
    const hidden = tf.layers.dense({ units: dim, kernelInitializer: tf.initializers.identity({}) }).apply(input) as tf.SymbolicTensor;
    const { train } = trainingModel(input, hidden, layer);
    train.compile({ optimizer: tf.train.sgd(0.1), loss: lshSoftmaxLoss });
    const x = tf.randomNormal([8, dim], 0, 1, 'float32', 5);
    const y = tf.tensor2d([0, 1, 2, 3, 4, 5, 6, 7], [8, 1]);
    const z = tf.zeros([8, 1]);
    await train.fit([x, y], z, { epochs: 1, batchSize: 8, verbose: 0 });
    const written = layer.getWeights().map((w) => tf.mul(w, w.dtype === 'float32' ? 0.5 : 1).cast(w.dtype) as tf.Tensor);
    layer.setWeights(written);
    layer.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(written[i].dataSync())));
    const k = layer.kernel!.read().dataSync().slice();
    await train.fit([x, y], z, { epochs: 1, batchSize: 8, verbose: 0 });
    const moved = maxAbs(layer.kernel!.read().dataSync(), k);
    expect(moved).toBeGreaterThan(0);
    // one lazy-Adam step moves each entry by at most ~lr (bias-corrected moments), from the written values
    expect(moved).toBeLessThan(3 * adam.learningRate);
    // frozen: no step
    layer.trainable = false;
    const frozen = layer.kernel!.read().dataSync().slice();
    await train.fit([x, y], z, { epochs: 1, batchSize: 8, verbose: 0 });
    expect(Array.from(layer.kernel!.read().dataSync())).toEqual(Array.from(frozen));
    tf.dispose([x, y, z, ...written]);
    train.dispose();
  });

  it('rehash is incremental: only the rows the engine changed are re-hashed, and the tables equal a fresh build of the trained weights', async () => {
    for (const hash of ['wta', 'dwta'] as const) {
      const layer = engineLayer({ hash, tables: 6, window: 4, band: 2, maxCandidates: 4, uniformSamples: 0, headClasses: 0 });
      const input = tf.input({ shape: [dim] });
      const { train } = trainingModel(input, input, layer);
      train.compile({ optimizer: tf.train.sgd(0.1), loss: lshSoftmaxLoss });
      // labels from the first 8 classes only: the candidate sets (labels + ≤ 4 retrieved) leave most rows untouched
      const x = tf.randomNormal([16, dim], 0, 1, 'float32', 7);
      const y = tf.tensor2d(Array.from({ length: 16 }, (_, i) => i % 8), [16, 1]);
      const z = tf.zeros([16, 1]);
      const internals = lshSoftmaxInternals(layer);
      await train.fit([x, y], z, { epochs: 1, batchSize: 16, verbose: 0 });
      layer.rehash(); // the first: every row (the engine loaded them)
      const w0 = layer.kernel!.read().dataSync().slice();
      const b0 = layer.bias!.read().dataSync().slice();
      await train.fit([x, y], z, { epochs: 2, batchSize: 8, verbose: 0 });
      const w1 = layer.kernel!.read().dataSync();
      const b1 = layer.bias!.read().dataSync();
      let moved = 0;
      for (let c = 0; c < units; c++) {
        let diff = b1[c] !== b0[c];
        for (let e = 0; e < dim; e++) diff ||= w1[c * dim + e] !== w0[c * dim + e];
        if (diff) moved++;
      }
      expect(moved).toBeGreaterThan(0);
      expect(moved).toBeLessThan(units);
      const r = layer.rehash({ minChangedFraction: 0.5 }) as ReturnType<LSHSoftmax['rehash']> & { rehashedItems: number };
      expect(r.rehashedItems).toBe(moved);
      // independent: a fresh index of the trained weights, built from scratch
      const fresh = new HashIndex(internals.family, { foldBias: true, storeItems: false });
      fresh.build(layer.kernel!.read() as tf.Tensor2D, layer.bias!.read() as tf.Tensor1D);
      expect(Array.from(internals.index().codes())).toEqual(Array.from(fresh.codes()));
      const [a, b] = [internals.index().bucketTables(), fresh.bucketTables()];
      for (const key of ['keyStart', 'keys', 'offsets', 'ids'] as const) expect(Array.from(a[key])).toEqual(Array.from(b[key]));
      // the codes weight follows (what model.save writes)
      const codesWeight = layer.weights.findIndex((v) => v.originalName.endsWith('hash_codes'));
      expect(Array.from(layer.getWeights()[codesWeight].dataSync())).toEqual(Array.from(fresh.codes()));
      // nothing changed since: nothing to re-hash
      expect((layer.rehash() as typeof r).rehashedItems).toBe(0);
      tf.dispose([x, y, z]);
      train.dispose();
    }
  });

  it('rejects bad classOptimizer options naming them, and mode full with it', async () => {
    expect(() => engineLayer({ classOptimizer: { learningRate: -1 } })).toThrow(/classOptimizer\.learningRate/);
    expect(() => engineLayer({ classOptimizer: { beta1: 1 } })).toThrow(/classOptimizer\.beta1/);
    expect(() => engineLayer({ classOptimizer: { epsilon: NaN } })).toThrow(/classOptimizer\.epsilon/);
    expect(() => engineLayer({ classOptimizer: { lr: 0.1 } as never })).toThrow(/classOptimizer.*lr/);
    expect(() => engineLayer({ classOptimizer: { type: 'sgd' } as never })).toThrow(/classOptimizer\.type/);
    const layer = engineLayer({ mode: 'full' });
    const input = tf.input({ shape: [dim] });
    const { train } = trainingModel(input, input, layer);
    train.compile({ optimizer: tf.train.sgd(0.1), loss: lshSoftmaxLoss });
    const x = tf.randomNormal([4, dim]);
    const y = tf.zeros([4, 1]);
    await expect(train.fit([x, y], y, { epochs: 1, verbose: 0 })).rejects.toThrow(/mode/);
    tf.dispose([x, y]);
    train.dispose();
  });
});

describe('largestIds (the head of the largest biases)', () => {
  it('equals sorting every id by (value desc, id asc) and keeping k, with ties and k ≥ n', () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 300);
      // few distinct values: many ties, also at the cut
      const levels = 1 + Math.floor(rand() * 10);
      const values = Float32Array.from({ length: n }, () => Math.floor(rand() * levels) - levels / 2);
      const k = Math.floor(rand() * (n + 5));
      const ref = Array.from(values.keys()).sort((x, y) => values[y] - values[x] || x - y).slice(0, k);
      expect(Array.from(largestIds(values, k))).toEqual(ref);
    }
  });
});

describeBackends('LSHSoftmax engine retrieval', () => {
  it.each(['bias', 'random', 'id'] as const)("training candidates from the engine's WebAssembly union equal hashing's retrieve (tieBreak %s: cut inside tied groups), step after step", (tieBreak) => {
    const make = (engine: boolean) => {
      const layer = lshSoftmax({ units: 400, seed: 4, tables: 6, window: 4, band: 2, maxCandidates: 9, uniformSamples: 3, headClasses: 2, tieBreak, biasInitializer: 'randomNormal', ...(engine ? { classOptimizer: adam } : {}) });
      layer.build([null, dim]);
      return layer;
    };
    const withEngine = make(true);
    const without = make(false);
    expect(withEngine.getConfig().tieBreak).toBe(tieBreak);
    const h = tf.randomNormal([40, dim], 0, 1, 'float32', 21) as tf.Tensor2D;
    const labels = Int32Array.from({ length: 40 }, (_, i) => (i * 37) % 400);
    let cut = 0;
    for (let step = 0; step < 3; step++) {
      const a = lshSoftmaxInternals(withEngine).candidates(h, labels, 3);
      const b = lshSoftmaxInternals(without).candidates(h, labels, 3);
      expect(Array.from(a.ids)).toEqual(Array.from(b.ids));
      expect(Array.from(a.retrieved)).toEqual(Array.from(b.retrieved));
      cut += Array.from(a.retrieved).filter((n) => n === 9).length;
    }
    expect(cut).toBeGreaterThan(0); // maxCandidates cut some rows
    h.dispose();
    withEngine.dispose();
    without.dispose();
  });
});
