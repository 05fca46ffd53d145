import * as tf from '@tensorflow/tfjs';
import { describeBackends } from '../../../tools/testing/backends';
import { convertToLUTDense, LUTDense, ProgressiveLUTReplacement } from '../src';

function mlp(seed: number): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [20], units: 24, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }), name: `h1_${seed}` }),
      tf.layers.dense({ units: 12, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), name: `h2_${seed}` }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }), name: `out_${seed}` }),
    ],
  });
}

function values(t: tf.Tensor | tf.Tensor[]): Float32Array {
  const v = (t as tf.Tensor).dataSync() as Float32Array;
  (t as tf.Tensor).dispose();
  return v;
}

describeBackends('convertToLUTDense and ProgressiveLUTReplacement', () => {
  let x: tf.Tensor2D;
  let y: tf.Tensor2D;
  beforeAll(() => {
    x = tf.randomNormal([400, 20], 0, 1, 'float32', 1) as tf.Tensor2D;
    // labels from a fixed random two-layer network
    y = tf.tidy(() => tf.oneHot(tf.argMax(tf.matMul(tf.relu(tf.matMul(x, tf.randomNormal([20, 8], 0, 1, 'float32', 2))), tf.randomNormal([8, 3], 0, 1, 'float32', 3)), 1), 3)) as tf.Tensor2D;
  });
  afterAll(() => tf.dispose([x, y]));

  it('replaces the chosen Dense layers; many codebooks approach the original model; the original is unchanged', async () => {
    const model = mlp(10);
    const before = values(model.predict(x));
    const { model: m4, layers: replaced, reports } = await convertToLUTDense(model, { layers: ['h1_10', 1], codebooks: [4, 4], data: x });
    const { model: m20 } = await convertToLUTDense(model, { layers: [0, 1], codebooks: [20, 12], data: x });
    expect(replaced.map((l) => l.name)).toEqual(['h1_10_lut', 'h2_10_lut']);
    // one FitReport per new layer, in the same order
    expect(reports.map((r) => r.codebooks)).toEqual([4, 4]);
    expect(reports.map((r) => r.subspaces.reduce((a, s) => a + s.length, 0))).toEqual([20, 24]);
    expect(m4.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'LUTDense', 'LUTDense', 'Dense']);
    expect(Array.from(values(model.predict(x)))).toEqual(Array.from(before));
    const err = (p: Float32Array) => {
      let s = 0;
      for (let i = 0; i < p.length; i++) s += Math.abs(p[i] - before[i]);
      return s / p.length;
    };
    // a model whose layers are shared with another model (here m4's output layer is model's) is still a chain
    const { model: m4b } = await convertToLUTDense(m4, { layers: [3], codebooks: 6, data: x, objective: 'kl', klSteps: 20 });
    expect(m4b.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'LUTDense', 'LUTDense', 'LUTDense']);
    m4b.dispose();
    // layers named out of model order: layers and reports follow the order of options.layers
    const rev = await convertToLUTDense(model, { layers: [1, 0], codebooks: [3, 5], data: x });
    expect(rev.layers.map((l) => l.name)).toEqual(['h2_10_lut', 'h1_10_lut']);
    expect(rev.reports.map((r) => [r.codebooks, r.subspaces.length])).toEqual([[3, 3], [5, 5]]);
    rev.model.dispose();
    const e4 = err(values(m4.predict(x)));
    const e20 = err(values(m20.predict(x)));
    expect(e20).toBeLessThan(e4);
    expect(e20).toBeLessThan(0.05);
    await expect(convertToLUTDense(model, { layers: ['nope'], codebooks: 4, data: x })).rejects.toThrow(/layers: expected names or indices of layers of the model, got 'nope'/);
    await expect(convertToLUTDense(model, { layers: [0, 1], codebooks: [4], data: x })).rejects.toThrow(/codebooks: expected one number, or 2/);
    await expect(convertToLUTDense(model, { layers: [0], codebooks: 21, data: x })).rejects.toThrow(/codebooks: expected an integer in \[1, 20\], got 21/);
    const input = tf.input({ shape: [20] });
    const a = tf.layers.dense({ units: 4 }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 4 }).apply(input) as tf.SymbolicTensor;
    const branchy = tf.model({ inputs: input, outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor });
    await expect(convertToLUTDense(branchy, { codebooks: 4, data: x })).rejects.toThrow(/model: expected a chain of layers/);
    [m4, m20, model, branchy].forEach((m) => m.dispose());
  });

  for (const trainTables of [false, true]) {
    it(`ProgressiveLUTReplacement replaces layers one at a time from the input side (trainTables ${trainTables})`, async () => {
      const model = mlp(20);
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
      await model.fit(x, y, { epochs: 2, batchSize: 100, verbose: 0 });
      const before = values(model.predict(x));
      const { model: prog, layers: replaced, reports } = await convertToLUTDense(model, { layers: [0, 1], codebooks: 5, data: x, fit: false });
      expect(reports).toEqual([]); // fitted later: the callback's events carry the reports
      // dense mode: exactly the original network until the callback replaces a layer
      expect(replaced.every((l) => l.mode === 'dense')).toBe(true);
      const same = values(prog.predict(x));
      for (let i = 0; i < same.length; i++) expect(same[i]).toBeCloseTo(before[i], 5);
      const cb = new ProgressiveLUTReplacement({ layers: replaced, data: x, epochsPerLayer: 2, trainTables });
      let snapshot: Float32Array | null = null;
      const probe = new tf.CustomCallback({
        onEpochBegin: async (epoch) => {
          if (epoch === 0) {
            expect(replaced.map((l) => l.mode)).toEqual(['lut', 'dense']);
            snapshot = replaced[0].getLUT().tables as Float32Array;
          }
          if (epoch === 2) expect(replaced.map((l) => l.mode)).toEqual(['lut', 'lut']);
        },
      });
      prog.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
      const h = await prog.fit(x, y, { epochs: 4, batchSize: 100, verbose: 0, callbacks: [cb, probe] });
      expect(cb.events.map((e) => [e.layer, e.epoch])).toEqual([[replaced[0].name, 0], [replaced[1].name, 2]]);
      const after = replaced[0].getLUT().tables;
      const changed = Array.from(after).some((v, i) => v !== (snapshot as Float32Array)[i]);
      expect(changed).toBe(trainTables);
      expect(replaced[0].trainable).toBe(trainTables);
      const losses = h.history.loss as number[];
      expect(losses[3]).toBeLessThan(losses[2] + 1e-3); // training after the last replacement lowers the loss
      expect(replaced.every((l) => l instanceof LUTDense && l.mode === 'lut')).toBe(true);
      prog.dispose();
      model.dispose();
    });
  }

  it("applies tfjs-layers' own activations: 'dense' mode equals the Dense model for any activation", async () => {
    // activations LUTDense had no switch case for ('gelu', 'mish') and ones whose formula is easy to get wrong
    const acts = ['gelu', 'hardSigmoid', 'swish', 'mish', 'selu'] as const;
    const model = tf.sequential({
      layers: acts.map((activation, i) =>
        tf.layers.dense({ ...(i === 0 ? { inputShape: [20] } : {}), units: 6, activation, kernelInitializer: tf.initializers.glorotUniform({ seed: 30 + i }) }),
      ),
    });
    const { model: same, layers } = await convertToLUTDense(model, { codebooks: 2, data: x, fit: false });
    expect(layers.map((l) => l.activation)).toEqual([...acts]);
    expect(layers.map((l) => l.getConfig().activation)).toEqual(model.layers.map((l) => l.getConfig().activation));
    const want = values(model.predict(x));
    const got = values(same.predict(x));
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    same.dispose();
    model.dispose();
  });

  it('ProgressiveLUTReplacement: clear errors', () => {
    expect(() => new ProgressiveLUTReplacement({ layers: [], data: x })).toThrow(/layers: expected a non-empty array of LUTDense layers/);
    const plain = new LUTDense({ units: 3, codebooks: 2 });
    expect(() => new ProgressiveLUTReplacement({ layers: [plain], data: x })).toThrow(/layers: expected LUTDense layers that keep their dense kernel/);
  });
});
