import * as tf from '@tensorflow/tfjs';
import { describeBackends, expectNoLeak, preferredBackend, useBackend } from '../../../tools/testing/backends';
import { plantedWOL } from '../../../tools/data/planted_wol.cjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LSHSoftmax, convertToLSHSoftmax, lshSoftmax, lshSoftmaxLoss, trainingModel } from '@hashlayers/lsh-softmax';
import { lshSoftmaxInternals } from '@hashlayers/lsh-softmax/internal';
import * as api from '../src';
import { LSSHashCallback, LSSHashTrainer, convertToLSS, lss } from '../src';

/** A model of one Dense softmax layer with the given kernel [dim, units] and bias. */
function denseWith(kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Sequential {
  const dense = tf.layers.dense({ units: kernel.shape[1], inputShape: [kernel.shape[0]], activation: 'softmax' });
  const model = tf.sequential({ layers: [dense] });
  dense.setWeights([kernel, bias]);
  return model;
}

/** The new output layer of a conversion. */
async function converted(p: Promise<{ layers: LSHSoftmax[] }>): Promise<LSHSoftmax> {
  return (await p).layers[0];
}

function top1Accuracy(pred: tf.Tensor, y: Int32Array): number {
  const p = pred.dataSync();
  let hit = 0;
  for (let i = 0; i < y.length; i++) if (p[i] === y[i]) hit++;
  return hit / y.length;
}

describeBackends('LSS (an LSHSoftmax with the learned hash)', () => {
  const dim = 12;
  const units = 60;
  let kernel: tf.Tensor2D;
  let bias: tf.Tensor1D;
  let x: tf.Tensor2D;
  beforeAll(() => {
    kernel = tf.randomNormal([dim, units], 0, 1, 'float32', 3) as tf.Tensor2D;
    bias = tf.randomNormal([units], 0, 1, 'float32', 4) as tf.Tensor1D;
    x = tf.randomNormal([9, dim], 0, 1, 'float32', 5) as tf.Tensor2D;
  });
  afterAll(() => tf.dispose([kernel, bias, x]));

  it('with every label a candidate, topK equals dense softmax top-k exactly', async () => {
    const layer = await converted(convertToLSS(denseWith(kernel, bias), { tables: 4, bits: 6, seed: 1 }));
    expect(layer.getConfig()).toEqual(expect.objectContaining({ hash: 'learned', tables: 4, bits: 6, asymmetric: true }));
    // zero projections: every query and label gets the same code, so every label is retrieved
    const zero = tf.zeros([dim + 1, 4 * 6]);
    const ws = layer.getWeights();
    layer.setWeights(ws.map((w) => (w.shape.length === 2 && w.shape[0] === dim + 1 ? zero : w)));
    layer.rehash(); // the stored codes still come from the old projection: re-hash the labels
    const ref = tf.tidy(() => tf.topk(tf.softmax(tf.add(tf.matMul(x, kernel), bias)), 5));
    const got = expectNoLeak(() => layer.topK(x, 5), 2);
    expect(Array.from(got.candidatesPerQuery)).toEqual(new Array(9).fill(units));
    expect(Array.from(got.indices.dataSync())).toEqual(Array.from(ref.indices.dataSync()));
    const a = got.values.dataSync();
    const b = ref.values.dataSync();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    tf.dispose([zero, ref.indices, ref.values, got.indices, got.values]);
    layer.dispose();
  });

  it('an untrained LSS layer retrieves like SimHash over [w; b] and [h; 1] (sign bits of the same seeded projection)', async () => {
    const layer = await converted(convertToLSS(denseWith(kernel, bias), { tables: 3, bits: 5, seed: 9, asymmetric: true }));
    const internals = lshSoftmaxInternals(layer);
    // independent reference: codes from the stored projection, recomputed here
    const P = internals.family.state.query_projection.arraySync() as number[][];
    expect(internals.family.state.label_projection.arraySync()).toEqual(P);
    const xv = x.arraySync();
    const wv = kernel.arraySync();
    const bv = bias.arraySync();
    const code = (v: number[], t: number) => {
      let c = 0;
      for (let k = 0; k < 5; k++) {
        let s = 0;
        for (let d = 0; d < v.length; d++) s += v[d] * P[d][t * 5 + k];
        if (s > 0) c |= 1 << k;
      }
      return c;
    };
    const found = internals.retrieve(x);
    for (let i = 0; i < 9; i++) {
      const q = [...xv[i], 1];
      const expected: number[] = [];
      for (let c = 0; c < units; c++) {
        const lv = [...wv.map((row) => row[c]), bv[c]];
        if ([0, 1, 2].some((t) => code(q, t) === code(lv, t))) expected.push(c);
      }
      const got = Array.from(found.ids.subarray(found.offsets[i], found.offsets[i + 1])).sort((p, r) => p - r);
      expect(got).toEqual(expected);
    }
    expect(internals.family.bitsPerTable).toBe(5);
    layer.dispose();
  });

  it('save → load restores projections, codes and predictions', async () => {
    const input = tf.input({ shape: [dim] });
    const layer = lss({ units, tables: 4, bits: 4, seed: 2, maxCandidates: 30, asymmetric: true });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    const trainer = new LSSHashTrainer(layer, { seed: 3 });
    const y = tf.tensor1d(Array.from({ length: 9 }, (_, i) => (i * 7) % units), 'int32');
    trainer.fit(x, y, { epochs: 2 });
    trainer.dispose();
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    const copy = loaded.layers[1] as LSHSoftmax;
    expect(copy).toBeInstanceOf(LSHSoftmax);
    expect(copy.hash).toBe('learned');
    expect(copy.asymmetric).toBe(true);
    const a = layer.topK(x, 3);
    const b = copy.topK(x, 3);
    expect(Array.from(b.indices.dataSync())).toEqual(Array.from(a.indices.dataSync()));
    expect(Array.from(b.values.dataSync())).toEqual(Array.from(a.values.dataSync()));
    expect(Array.from(b.candidatesPerQuery)).toEqual(Array.from(a.candidatesPerQuery));
    tf.dispose([a.indices, a.values, b.indices, b.values, y]);
    model.dispose();
    loaded.dispose();
  });

  it('hash training leaks no tensors; bad labels give a clear error and leave the projections untouched', async () => {
    const layer = await converted(convertToLSS(denseWith(kernel, bias), { tables: 4, bits: 4, seed: 2 }));
    const trainer = new LSSHashTrainer(layer, { seed: 1 });
    const y = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9], 'int32');
    trainer.step(x, y); // creates the optimizer slots once
    expectNoLeak(() => trainer.step(x, y));
    const query = lshSoftmaxInternals(layer).family.state.query_projection;
    const before = query.dataSync().slice();
    const bad = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, units], 'int32');
    expect(() => trainer.step(x, bad)).toThrow(/labels.*\[0, 60\).*60 at row 8/);
    expect(() => trainer.step(x, tf.tensor1d([0.5, 1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/integer class ids/);
    expect(() => trainer.fit(tf.zeros([9, dim + 1]) as tf.Tensor2D, y)).toThrow(/features.*\[n, 12\]/);
    expect(Array.from(query.dataSync())).toEqual(Array.from(before));
    expect(() => lss({ units, asymmetric: 'yes' as unknown as boolean })).toThrow(/asymmetric/);
    expect(() => lss({ units: 1 })).toThrow(/units/);
    expect(() => new LSSHashTrainer(lss({ units }))).toThrow(/built/);
    const wta = lshSoftmax({ units });
    wta.build([null, dim]);
    expect(() => new LSSHashTrainer(wta)).toThrow(/layer: expected an LSS layer \(an LSHSoftmax with hash 'learned': lss\(\) or convertToLSS\), got an LSHSoftmax with hash 'wta'/);
    wta.dispose();
    expect(() => new LSSHashTrainer(layer, { hardNegatives: 0, randomNegatives: 0, batchNegatives: 0 })).toThrow(/hardNegatives \+ randomNegatives \+ batchNegatives: expected at least 1/);
    tf.dispose([y, bad]);
    trainer.dispose();
    layer.dispose();
  });
});

/** A model saved by the pre-composition LSSLayer (test/fixtures/README.md), as tf.io.fromMemory artifacts. */
function fixture(name: string): { artifacts: tf.io.ModelArtifacts; expected: Record<string, number[]> } {
  const dir = join(__dirname, 'fixtures');
  const json = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  const bin = readFileSync(join(dir, `${name}.weights.bin`));
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  const artifacts = { modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData };
  return { artifacts, expected: JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8')) };
}

describeBackends('saved models of the earlier LSSLayer class', () => {
  it.each(['lss_asymmetric', 'lss_symmetric'])('%s loads into the composed layer with identical retrieval and predictions', async (name) => {
    const { artifacts, expected } = fixture(name);
    expect((artifacts.modelTopology as { config: { layers: { class_name: string }[] } }).config.layers[2].class_name).toBe('LSSLayer');
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const layer = model.layers[2] as LSHSoftmax;
    expect(layer).toBeInstanceOf(LSHSoftmax);
    expect(layer.getConfig()).toEqual(expect.objectContaining({ hash: 'learned', units: 50, tables: 4, bits: 4, seed: 2, maxCandidates: 20, asymmetric: name === 'lss_asymmetric' }));
    expect(Array.from(layer.codes!.read().dataSync())).toEqual(expected.codes);
    const x = tf.tensor2d(expected.x, expected.shape as [number, number]);
    const h = model.layers[1].apply(x) as tf.Tensor2D;
    const found = lshSoftmaxInternals(layer).retrieve(h);
    expect(Array.from(found.offsets)).toEqual(expected.retrievedOffsets);
    expect(Array.from(found.ids)).toEqual(expected.retrievedIds);
    const top = layer.topK(h, 3);
    expect(Array.from(top.indices.dataSync())).toEqual(expected.topIndices);
    expect(Array.from(top.candidatesPerQuery)).toEqual(expected.candidatesPerQuery);
    Array.from(top.values.dataSync()).forEach((v, i) => expect(Math.abs(v - expected.topValues[i])).toBeLessThan(1e-6));
    const probs = model.predict(x) as tf.Tensor;
    Array.from(probs.dataSync()).forEach((v, i) => expect(Math.abs(v - expected.probabilities[i])).toBeLessThan(1e-6));
    // saved again, it is an LSHSoftmax with the same weight names and the same answers
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    expect(saved!.weightSpecs!.map((w) => w.name).sort()).toEqual(artifacts.weightSpecs!.map((w) => w.name).sort());
    const again = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(again.layers[2].getClassName()).toBe('LSHSoftmax');
    const top2 = (again.layers[2] as LSHSoftmax).topK(h, 3);
    expect(Array.from(top2.indices.dataSync())).toEqual(expected.topIndices);
    tf.dispose([x, h, probs, top.indices, top.values, top2.indices, top2.values]);
    model.dispose();
    again.dispose();
  });
});

describe('the public surface', () => {
  it('exports the factory, the trainer, the callback and the conversion', () => {
    expect(Object.keys(api).sort()).toEqual(['LSSHashCallback', 'LSSHashTrainer', 'convertToLSS', 'lss']);
  });
});

/**
 * The planted problem (tools/data/planted_wol.cjs): a shared nuisance
 * direction lifts wrong labels above the correct one, so top-logit retrieval
 * misses it. Runs on one backend (tfjs-node when present, else wasm).
 */
describe('LSS on a planted problem where correct labels have moderate inner products', () => {
  const backend = preferredBackend();

  it(`retrieves the correct label more often than SimHash and WTA at the same budget, P@1 >= 99% of full [${backend}]`, async () => {
    await useBackend(backend);
    const P = plantedWOL({ units: 2000, train: 6000, test: 1000, seed: 4 });
    const dense = denseWith(tf.tensor2d(P.kernel, [P.dim, P.units]), tf.tensor1d(P.bias));
    const xr = tf.tensor2d(P.train.x, [P.train.n, P.dim]);
    const yr = tf.tensor1d(P.train.y, 'int32');
    const xt = tf.tensor2d(P.test.x, [P.test.n, P.dim]);
    const yt = tf.tensor1d(P.test.y, 'int32');
    const full = top1Accuracy(tf.tidy(() => tf.argMax(dense.apply(xt) as tf.Tensor, 1)), P.test.y);
    const budget = 100;
    // every method's union of buckets exceeds the budget, so each returns `budget` classes per query
    const sim = await converted(convertToLSHSoftmax(dense, { hash: 'simhash', tables: 16, bits: 5, maxCandidates: budget, seed: 1 }));
    const wta = await converted(convertToLSHSoftmax(dense, { hash: 'wta', tables: 16, window: 8, band: 2, maxCandidates: budget, seed: 1 }));
    const layer = await converted(convertToLSS(dense, { tables: 16, bits: 6, maxCandidates: budget, seed: 1 }));
    const before = layer.labelRecall(xt, yt);
    const trainer = new LSSHashTrainer(layer, { seed: 2 });
    const fit = trainer.fit(xr, yr, { epochs: 2 });
    trainer.dispose();
    const r = { lss: layer.labelRecall(xt, yt), simhash: sim.labelRecall(xt, yt), wta: wta.labelRecall(xt, yt) };
    const top = layer.topK(xt, 1);
    const p1 = top1Accuracy(top.indices, P.test.y);
    console.log(
      `planted 2000 labels, budget ${budget}: full P@1 ${full.toFixed(3)}, LSS P@1 ${p1.toFixed(3)}; correct-label recall ` +
        `LSS ${r.lss.recall.toFixed(3)} (untrained ${before.recall.toFixed(3)}) / SimHash ${r.simhash.recall.toFixed(3)} / WTA ${r.wta.recall.toFixed(3)} ` +
        `at ${r.lss.meanCandidates.toFixed(1)} / ${r.simhash.meanCandidates.toFixed(1)} / ${r.wta.meanCandidates.toFixed(1)} candidates; hash loss ${fit.losses.map((l) => l.toFixed(3)).join(' → ')}`,
    );
    for (const other of [r.simhash, r.wta]) {
      expect(r.lss.meanCandidates).toBeLessThanOrEqual(other.meanCandidates + 1);
      expect(r.lss.recall).toBeGreaterThan(other.recall + 0.05);
    }
    expect(p1).toBeGreaterThanOrEqual(0.99 * full);
    expect(fit.losses[1]).toBeLessThan(fit.losses[0]);
    tf.dispose([top.indices, top.values, xr, yr, xt, yt]);
    [sim, wta, layer].forEach((l) => l.dispose());
  });

  it(`joint workflow: model.fit trains the network through the LSS layer while LSSHashCallback trains the hash [${backend}]`, async () => {
    await useBackend(backend);
    const P = plantedWOL({ units: 500, train: 3000, test: 500, seed: 6 });
    const x = tf.tensor2d(P.train.x, [P.train.n, P.dim]);
    const y = tf.tensor1d(P.train.y, 'int32');
    const input = tf.input({ shape: [P.dim] });
    const hidden = tf.layers.dense({ units: 32, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
    const layer = lss({ units: P.units, tables: 8, bits: 5, maxCandidates: 100, uniformSamples: 20, seed: 3 });
    const { train } = trainingModel(input, hidden, layer);
    train.compile({ optimizer: tf.train.adam(0.01), loss: lshSoftmaxLoss });
    const cb = new LSSHashCallback({ layer, x, y, samples: 2000, seed: 1 });
    const start = tf.memory().numTensors;
    const h = await train.fit([x, y], tf.zeros([P.train.n, 1]), { epochs: 3, batchSize: 128, verbose: 0, callbacks: [cb] });
    const losses = h.history.loss as number[];
    expect(losses[2]).toBeLessThan(losses[0]);
    expect(cb.events.map((e) => e.epoch)).toEqual([0, 1, 2]);
    for (const e of cb.events) expect(Number.isFinite(e.loss)).toBe(true);
    // tensors left by fit: the optimizer's slots only (Adam: 2 per trainable weight) and the zeros label tensor
    expect(tf.memory().numTensors - start).toBeLessThanOrEqual(2 * train.trainableWeights.length + 2);
    tf.dispose([x, y]);
    train.dispose();
  });
});
