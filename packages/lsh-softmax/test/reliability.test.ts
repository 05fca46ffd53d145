/**
 * Issue 17 (no silent wrong answers) for lsh-softmax: weights validated where
 * they enter, labels, configuration drift, exact save → load (head classes,
 * conversions), the load fuzz and a property test of topK against the exact
 * softmax.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { corrupt, expectErrorOrIdentical, loadArtifacts, saveArtifacts } from '../../../tools/testing/artifacts';
import { convertToLSHSoftmax, LSHSoftmax, lshSoftmax, lshSoftmaxLoss, trainingModel } from '../src';

const dim = 6;
const units = 24;

function lshModel(args: Partial<ConstructorParameters<typeof LSHSoftmax>[0]> = {}): { model: tf.LayersModel; layer: LSHSoftmax } {
  const input = tf.input({ shape: [dim] });
  const layer = lshSoftmax({ units, seed: 3, tables: 4, biasInitializer: 'randomNormal', name: 'lsh', ...args });
  const out = layer.apply(input) as tf.SymbolicTensor;
  return { model: tf.model({ inputs: input, outputs: out }), layer };
}

const topKOf = (layer: LSHSoftmax, h: tf.Tensor2D, k = 3): Int32Array => {
  const r = layer.topK(h, k);
  const ids = Int32Array.from(r.indices.dataSync());
  tf.dispose([r.indices, r.values]);
  return ids;
};

function findLSH(m: tf.LayersModel): LSHSoftmax {
  return m.layers.find((l) => l.getClassName() === 'LSHSoftmax') as LSHSoftmax;
}

describeBackends('lsh-softmax reliability', () => {
  const h = () => tf.randomNormal([16, dim], 0, 1, 'float32', 7) as tf.Tensor2D;

  test('class 4: NaN/Infinity kernel or bias, out-of-range codes: setWeights fails naming layer/weight, nothing changes', () => {
    const { model, layer } = lshModel();
    const before = layer.getWeights().map((w) => Array.from(w.dataSync()));
    const w = layer.getWeights();
    const names = layer.weights.map((v) => v.originalName.split('/').pop());
    const at = (n: string) => names.indexOf(n);
    const cases: [string, tf.Tensor, RegExp][] = [
      ['kernel', tf.fill([units, dim], NaN), /lsh\/kernel: expected finite values, got NaN/],
      ['bias', tf.tensor1d(Array.from({ length: units }, (_, i) => (i === 3 ? Infinity : 0))), /lsh\/bias: expected finite values, got Infinity at flat index 3/],
      ['hash_codes', tf.fill([units, 4], -1, 'int32'), /lsh\/hash_codes: expected values in \[0, /],
      ['kernel', tf.zeros([units, dim + 1]), /lsh\/kernel: expected shape \[24, 6\]/],
    ];
    for (const [name, value, msg] of cases) {
      const list = w.slice();
      list[at(name)] = value;
      expect(() => layer.setWeights(list)).toThrow(msg);
      value.dispose();
    }
    expect(() => layer.setWeights(w.slice(1))).toThrow(/lsh.setWeights\(weights\): expected an array of 3 tensors/);
    expect(layer.getWeights().map((x) => Array.from(x.dataSync()))).toEqual(before);
    model.dispose();
  });

  test('class 4: a saved model with a NaN bias or an Infinity kernel entry does not load', async () => {
    const { model } = lshModel();
    const a = await saveArtifacts(model);
    const specs = a.weightSpecs!;
    let off = 0;
    for (const s of specs) {
      const n = s.shape.reduce((p, q) => p * q, 1);
      if (s.dtype === 'float32') {
        const data = (a.weightData as ArrayBuffer).slice(0);
        new DataView(data).setFloat32(off + 4, NaN, true);
        await expect(loadArtifacts({ ...a, weightData: data })).rejects.toThrow(new RegExp(`lsh/${s.name.split('/').pop()}: expected finite values`));
      }
      off += 4 * n;
    }
    model.dispose();
  });

  test('class 3: trainingModel refuses float and NaN labels in model.fit (no truncation to int32)', async () => {
    const x = tf.input({ shape: [dim] });
    const layer = lshSoftmax({ units, seed: 1, tables: 4 });
    const { train } = trainingModel(x, x, layer);
    train.compile({ optimizer: tf.train.sgd(0.1), loss: lshSoftmaxLoss });
    const xs = tf.randomNormal([4, dim], 0, 1, 'float32', 1);
    const zeros = tf.zeros([4, 1]);
    const before = layer.getWeights().map((v) => Array.from(v.dataSync()));
    for (const bad of [[2.7, 1, 0, 3], [-0.5, 1, 2, 3], [NaN, 1, 2, 3]]) {
      const y = tf.tensor2d(bad, [4, 1]);
      await expect(train.fit([xs, y], zeros, { epochs: 1, batchSize: 4, verbose: 0 })).rejects.toThrow(/labels: expected (integer class ids|class ids in)/);
      y.dispose();
    }
    expect(layer.getWeights().map((v) => Array.from(v.dataSync()))).toEqual(before);
    // integer labels, as int32 or float32 tensors, still train
    const y = tf.tensor2d([2, 1, 0, 3], [4, 1], 'int32');
    const hist = await train.fit([xs, y], zeros, { epochs: 1, batchSize: 4, verbose: 0 });
    expect(Number.isFinite(hist.history.loss[0] as number)).toBe(true);
    tf.dispose([xs, zeros, y]);
    train.dispose();
  });

  test('class 8: with headClasses, save → load is exact after training moved the bias without a rehash', async () => {
    const { model, layer } = lshModel({ headClasses: 5, exactBelow: 0 });
    const b = layer.bias!.read() as tf.Variable;
    const moved = tf.tidy(() => tf.add(b, tf.randomNormal([units], 0, 3, 'float32', 11)));
    b.assign(moved); // as an optimizer does (no write, no rehash)
    moved.dispose();
    const q = h();
    const want = topKOf(layer, q);
    const loaded = await loadArtifacts(await saveArtifacts(model));
    expect(Array.from(topKOf(findLSH(loaded), q))).toEqual(Array.from(want));
    expect(Array.from(findLSH(loaded).headClassIds())).toEqual(Array.from(layer.headClassIds()));
    q.dispose();
    model.dispose();
    loaded.dispose();
  });

  test('class 9: a model converted with convertToLSHSoftmax saves and loads exactly', async () => {
    const input = tf.input({ shape: [dim] });
    const hidden = tf.layers.dense({ units: 8, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units, activation: 'softmax' }).apply(hidden) as tf.SymbolicTensor;
    const dense = tf.model({ inputs: input, outputs: out });
    const conv = await convertToLSHSoftmax(dense, { tables: 4, seed: 2 });
    const loaded = await loadArtifacts(await saveArtifacts(conv.model));
    const xs = h();
    const f1 = tf.model({ inputs: conv.model.inputs, outputs: conv.layers[0].input as tf.SymbolicTensor });
    const f2 = tf.model({ inputs: loaded.inputs, outputs: findLSH(loaded).input as tf.SymbolicTensor });
    const h1 = f1.predict(xs) as tf.Tensor2D;
    const h2 = f2.predict(xs) as tf.Tensor2D;
    expect(Array.from(topKOf(findLSH(loaded), h2))).toEqual(Array.from(topKOf(conv.layers[0], h1)));
    tf.dispose([xs, h1, h2]);
    loaded.dispose();
    conv.model.dispose();
  });

  test('class 11: changed seed or window, or zeroed codes, in a saved model fail to load; unknown keys and non-booleans fail', async () => {
    const { model } = lshModel({ window: 16 });
    const layer = findLSH(model);
    expect(layer.window).toBe(7); // clipped to the hashed width (6 + bias), and reported so
    expect(layer.getConfig().window).toBe(7);
    const a = await saveArtifacts(model);
    const cfgOf = (art: tf.io.ModelArtifacts) =>
      ((art.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers.find((l) => l.class_name === 'LSHSoftmax') as { config: Record<string, unknown> }).config;
    for (const [key, value] of [['seed', 4], ['window', 5], ['tables', 4]] as const) {
      const b = { ...a, modelTopology: JSON.parse(JSON.stringify(a.modelTopology)) };
      cfgOf(b)[key] = value;
      if (key === 'tables') cfgOf(b).band = 2;
      await expect(loadArtifacts(b)).rejects.toThrow(/lsh config: expected the values it was saved with \(configChecksum/);
      // without the config checksum, the fingerprint of the hash family still tells
      delete cfgOf(b).config_checksum;
      await expect(loadArtifacts(b)).rejects.toThrow(/lsh config: expected the hash family it was saved with/);
    }
    // behavioural options edited deliberately (config checksum removed) load
    const edited = { ...a, modelTopology: JSON.parse(JSON.stringify(a.modelTopology)) };
    cfgOf(edited).max_candidates = 5;
    delete cfgOf(edited).config_checksum;
    const m2 = await loadArtifacts(edited);
    expect(findLSH(m2).maxCandidates).toBe(5);
    m2.dispose();
    // zeroed codes
    const data = (a.weightData as ArrayBuffer).slice(0);
    let off = 0;
    for (const s of a.weightSpecs!) {
      const n = s.shape.reduce((p, q) => p * q, 1);
      if (s.name.endsWith('hash_codes')) new Int32Array(data, off, n).fill(0);
      off += 4 * n;
    }
    await expect(loadArtifacts({ ...a, weightData: data })).rejects.toThrow(/lsh\/hash_codes: expected the codes saved with this model/);
    const withKey = { ...a, modelTopology: JSON.parse(JSON.stringify(a.modelTopology)) };
    cfgOf(withKey).tabels = 8;
    await expect(loadArtifacts(withKey)).rejects.toThrow(/unknown option 'tabels'/);
    expect(() => lshSoftmax({ units, useBias: 'no' } as never)).toThrow(/useBias: expected a boolean, got 'no'/);
    expect(() => lshSoftmax({ units, unit: 3 } as never)).toThrow(/unknown option 'unit'/);
    model.dispose();
  });

  test('class 12: a missing options object, and LSHSoftmax in a sequential model with a standard loss, give clear errors', async () => {
    expect(() => lshSoftmax(undefined as never)).toThrow(/args: expected an object with units/);
    const { model: m0, layer: l0 } = lshModel();
    const gone = tf.zeros([2, dim]) as tf.Tensor2D;
    gone.dispose();
    expect(() => l0.topK(gone, 1)).toThrow(/features: expected a live tensor, got a disposed tensor/);
    m0.dispose();
    const seq = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [dim] }), lshSoftmax({ units, tables: 4 })] });
    seq.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const xs = tf.randomNormal([4, dim]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), units);
    await expect(seq.fit(xs, ys, { epochs: 1, verbose: 0 })).rejects.toThrow(/\[features, labels\] when training \(build the model with trainingModel/);
    tf.dispose([xs, ys]);
    seq.dispose();
  });

  test('load fuzz: 36 seeded corruptions of saved WTA and SimHash layers → a clear error or an identical model', async () => {
    for (const hash of ['wta', 'simhash'] as const) {
      const { model, layer } = lshModel({ hash });
      const a = await saveArtifacts(model);
      const q = h();
      const run = (m: tf.LayersModel): Int32Array => topKOf(findLSH(m), q, 4);
      const expected = topKOf(layer, q, 4);
      const tally = { error: 0, identical: 0 };
      for (let seed = 0; seed < 18; seed++) tally[await expectErrorOrIdentical(corrupt(a, 'LSHSoftmax', seed), expected, run)]++;
      expect(tally.error).toBeGreaterThan(0);
      q.dispose();
      model.dispose();
    }
  });

  test('property: with every class a candidate, topK equals the exact softmax top-k (ids and probabilities)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 30 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1e6 }), (u, d, n, seed) => {
        const layer = lshSoftmax({ units: u, seed, tables: 2, exactBelow: u + 1, biasInitializer: 'randomNormal' });
        layer.build([null, d]);
        const x = tf.randomNormal([n, d], 0, 1, 'float32', seed) as tf.Tensor2D;
        const k = 1 + (seed % u);
        const r = expectNoLeak(() => layer.topK(x, k), 2);
        const ref = tf.tidy(() => {
          const z = tf.add(tf.matMul(x, layer.kernel!.read() as tf.Tensor2D, false, true), layer.bias!.read());
          return tf.softmax(z).arraySync() as number[][];
        });
        const ids = r.indices.arraySync() as number[][];
        const vals = r.values.arraySync() as number[][];
        for (let i = 0; i < n; i++) {
          const sorted = ref[i].map((p, c) => [p, c]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
          for (let j = 0; j < k; j++) {
            // the probability of the returned class matches the exact one, and the returned order is the exact order up to ties
            expect(Math.abs(vals[i][j] - ref[i][ids[i][j]])).toBeLessThan(1e-4);
            expect(Math.abs(vals[i][j] - sorted[j][0])).toBeLessThan(1e-4);
          }
        }
        tf.dispose([x, r.indices, r.values]);
        layer.dispose();
      }),
      { numRuns: 25, seed: 17 },
    );
  });
});
