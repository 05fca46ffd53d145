import * as tf from '@tensorflow/tfjs';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import * as api from '../src';
import { LSHSoftmax, RehashCallback, convertToLSHSoftmax, lshSoftmax, lshSoftmaxLoss, predictTopK, trainingModel } from '../src';
import { lshSoftmaxInternals } from '../src/internal';

const dim = 12;
const units = 40;

function refLoss(h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor1D {
  // −log softmax(h Wᵀ + b)[y], the dense definition
  const z = tf.add(tf.matMul(h, w, false, true), b);
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(z), tf.oneHot(y, units)), 1)) as tf.Tensor1D;
}

function built(args: Partial<ConstructorParameters<typeof LSHSoftmax>[0]> = {}): LSHSoftmax {
  const layer = lshSoftmax({ units, seed: 3, kernelInitializer: 'glorotNormal', biasInitializer: 'randomNormal', ...args });
  layer.build([null, dim]);
  return layer;
}

describeBackends('LSHSoftmax', (backend) => {
  const h = () => tf.randomNormal([8, dim], 0, 1, 'float32', 5) as tf.Tensor2D;
  const y = () => tf.tensor1d([0, 5, 9, 39, 17, 17, 2, 30], 'int32');

  it('with every class a candidate, loss and gradients equal full softmax cross-entropy', () => {
    const layer = built({ exactBelow: units + 1, trainExactBelow: units + 1 });
    const [x, labels] = [h(), y()];
    const [w, b] = [layer.kernel!.read() as tf.Tensor2D, layer.bias!.read() as tf.Tensor1D];
    const ours = (hh: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
      layer.kernel!.write(ww);
      layer.bias!.write(bb);
      return tf.sum(layer.call([hh, labels], {}) as tf.Tensor);
    };
    const w0 = w.clone();
    const b0 = b.clone();
    const lossOurs = layer.call([x, labels], {}) as tf.Tensor;
    const lossRef = refLoss(x, w0, b0, labels);
    expect(lossOurs.shape).toEqual([8, 1]);
    const d = Array.from(lossOurs.dataSync()).map((v, i) => Math.abs(v - lossRef.dataSync()[i]));
    expect(Math.max(...d)).toBeLessThan(1e-5);
    // gradients with respect to features, kernel and bias
    const gRef = tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => tf.sum(refLoss(a as tf.Tensor2D, c as tf.Tensor2D, e as tf.Tensor1D, labels)))([x, w0, b0]);
    const { grads } = tf.variableGrads(() => tf.sum(layer.call([x, labels], {}) as tf.Tensor) as tf.Scalar, [layer.kernel!.read() as tf.Variable, layer.bias!.read() as tf.Variable]);
    const gH = tf.grad((a: tf.Tensor) => ours(a, w0, b0))(x);
    const maxDiff = (a: tf.Tensor, c: tf.Tensor) => tf.max(tf.abs(tf.sub(a, c))).dataSync()[0];
    expect(maxDiff(gH, gRef[0])).toBeLessThan(1e-5);
    expect(maxDiff(grads[(layer.kernel!.read() as tf.Variable).name], gRef[1])).toBeLessThan(1e-5);
    expect(maxDiff(grads[(layer.bias!.read() as tf.Variable).name], gRef[2])).toBeLessThan(1e-5);
    tf.dispose([x, labels, w0, b0, lossOurs, lossRef, gH, ...gRef, ...Object.values(grads)]);
    layer.dispose();
  });

  it('with every class a candidate, inference equals dense top-k', () => {
    const layer = built({ exactBelow: units + 1, trainExactBelow: units + 1 });
    const x = h();
    const dense = tf.topk(tf.softmax(tf.add(tf.matMul(x, layer.kernel!.read() as tf.Tensor2D, false, true), layer.bias!.read())), 5);
    const ours = layer.topK(x, 5);
    expect(Array.from(ours.indices.dataSync())).toEqual(Array.from(dense.indices.dataSync()));
    Array.from(ours.values.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(dense.values.dataSync()[i], 5));
    const full = layer.call(x, {}) as tf.Tensor;
    expect(full.shape).toEqual([8, units]);
    tf.dispose([x, dense.indices, dense.values, ours.indices, ours.values, full]);
    layer.dispose();
  });

  it('topK in one engine call equals a float64 reference over its candidates (wta, dwta, simhash; head; exact fallback) and follows setWeights', () => {
    const x = tf.randomNormal([9, dim], 0, 1, 'float32', 11) as tf.Tensor2D;
    const xv = x.dataSync();
    const cases: Partial<ConstructorParameters<typeof LSHSoftmax>[0]>[] = [
      { hash: 'wta', tables: 4, window: 4, band: 2, maxCandidates: 12 },
      { hash: 'dwta', tables: 4, window: 4, band: 2, maxCandidates: 12, headClasses: 3 },
      { hash: 'simhash', tables: 4, bits: 3, maxCandidates: 12, exactBelow: 6 },
      { hash: 'wta', tables: 2, window: 4, band: 3, maxCandidates: 5, exactBelow: 4, headClasses: 2 },
    ];
    for (const args of cases) {
      const layer = built(args);
      const check = () => {
        const w = layer.kernel!.read().dataSync();
        const b = layer.bias!.read().dataSync();
        const found = lshSoftmaxInternals(layer).retrieve(x);
        const head = Array.from(layer.headClassIds());
        const k = 4;
        const r = expectNoLeak(() => layer.topK(x, k), 2);
        const ids = r.indices.dataSync();
        const values = r.values.dataSync();
        for (let i = 0; i < 9; i++) {
          const got = Array.from(found.ids.subarray(found.offsets[i], found.offsets[i + 1]));
          expect(r.candidatesPerQuery[i]).toBe(got.length);
          const exact = got.length < layer.exactBelow;
          const cand = exact ? Array.from({ length: units }, (_, c) => c) : [...new Set([...got, ...head])];
          const score = (c: number) => {
            let s = b[c];
            for (let e = 0; e < dim; e++) s += xv[i * dim + e] * w[c * dim + e];
            return s;
          };
          const scored = cand.map((c) => ({ c, s: score(c) })).sort((p, q) => q.s - p.s || p.c - q.c);
          const max = scored[0].s;
          const logZ = max + Math.log(scored.reduce((a, p) => a + Math.exp(p.s - max), 0));
          for (let j = 0; j < k; j++) {
            if (j < scored.length) {
              expect(ids[i * k + j]).toBe(scored[j].c);
              expect(Math.abs(values[i * k + j] - Math.exp(scored[j].s - logZ))).toBeLessThan(1e-5);
            } else {
              expect(ids[i * k + j]).toBe(-1);
              expect(values[i * k + j]).toBe(0);
            }
          }
        }
        tf.dispose([r.indices, r.values]);
      };
      check();
      // written weights (a load, setWeights) replace the engine's copy of the class rows on the next call
      const [kernel, bias, ...rest] = layer.getWeights();
      const written = [tf.neg(kernel), tf.mul(bias, 0.5)];
      layer.setWeights([...written, ...rest]);
      check();
      tf.dispose(written);
      layer.dispose();
    }
    x.dispose();
  });

  it('retrieves fewer classes than units and trains only candidate rows', () => {
    // retrieval alone (no head, no tail samples: the defaults add both from 40 classes on)
    const layer = built({ tables: 4, window: 4, band: 2, maxCandidates: 10, headClasses: 0, uniformSamples: 0 });
    const x = h();
    const labels = y();
    const { grads } = tf.variableGrads(() => tf.sum(layer.call([x, labels], {}) as tf.Tensor) as tf.Scalar, [layer.kernel!.read() as tf.Variable]);
    const g = grads[(layer.kernel!.read() as tf.Variable).name].arraySync() as number[][];
    const touched = g.filter((row) => row.some((v) => v !== 0)).length;
    const stats = layer.lastTrainingStats!;
    expect(stats.meanSetSize).toBeLessThanOrEqual(11);
    expect(touched).toBeLessThan(units);
    expect(touched).toBeGreaterThanOrEqual(new Set(labels.dataSync()).size);
    tf.dispose([x, labels, ...Object.values(grads)]);
    layer.dispose();
  });

  it('fits with model.fit on a planted problem close to full softmax, rehashes, and leaks nothing', async () => {
    // planted classes: x = centre[y] + noise
    const n = 1200;
    const centres = tf.randomNormal([units, dim], 0, 1, 'float32', 1);
    const ys = tf.randomUniform([n], 0, units, 'int32', 2);
    const xs = tf.add(tf.gather(centres, ys), tf.randomNormal([n, dim], 0, 0.5, 'float32', 3));
    const accuracy = async (mode: 'lsh' | 'full') => {
      const input = tf.input({ shape: [dim] });
      const hidden = tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(input) as tf.SymbolicTensor;
      const layer = lshSoftmax({ units, mode, seed: 7, tables: 8, window: 4, band: 2, maxCandidates: 12, uniformSamples: 4 });
      const { train } = trainingModel(input, hidden, layer);
      train.compile({ optimizer: tf.train.adam(0.02), loss: lshSoftmaxLoss });
      const rehash = new RehashCallback({ layer, everyBatches: 5, minChangedFraction: 0 });
      const zeros = tf.zeros([n, 1]);
      const callbacks = mode === 'lsh' ? [rehash] : [];
      // the first epoch creates the optimizer's slots; after it, fit and predict must not add tensors
      await train.fit([xs, ys], zeros, { epochs: 1, batchSize: 64, verbose: 0, callbacks });
      const before = tf.memory().numTensors;
      await train.fit([xs, ys], zeros, { epochs: 5, batchSize: 64, verbose: 0, callbacks });
      const top = predictTopK(train, [xs], 1);
      const acc = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.reshape(top.indices, [-1]), ys), 'float32')).dataSync()[0]);
      tf.dispose([top.indices, top.values]);
      expect(tf.memory().numTensors).toBe(before);
      zeros.dispose();
      if (mode === 'lsh') {
        expect(rehash.events.length).toBeGreaterThan(5);
        expect(rehash.events.some((e) => e.changedCodes > 0 && e.rebuilt)).toBe(true);
      }
      return acc;
    };
    const full = await accuracy('full');
    const lsh = await accuracy('lsh');
    expect(full).toBeGreaterThan(0.8);
    expect(lsh).toBeGreaterThanOrEqual(0.95 * full);
    tf.dispose([centres, ys, xs]);
  });

  it('save → load restores kernel, bias and index and gives identical predictions', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [6], units: dim, activation: 'tanh' }), lshSoftmax({ units, seed: 9, tables: 6, window: 4, band: 2 })] });
    const x = tf.randomNormal([10, 6], 0, 1, 'float32', 11);
    const lsh = model.layers[1] as LSHSoftmax;
    // move the weights and rehash so the stored codes differ from a fresh hash of the initial weights
    lsh.kernel!.write(tf.mul(lsh.kernel!.read(), -1.5));
    lsh.rehash();
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const lsh2 = loaded.layers[1] as LSHSoftmax;
    expect(lsh2).toBeInstanceOf(LSHSoftmax);
    expect(lsh2.getConfig()).toEqual(lsh.getConfig());
    expect(Array.from(lsh2.codes!.read().dataSync())).toEqual(Array.from(lsh.codes!.read().dataSync()));
    expect(lsh2.codes!.read().dtype).toBe('int32');
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    const ta = predictTopK(model, x, 3);
    const tb = predictTopK(loaded, x, 3);
    expect(Array.from(tb.indices.dataSync())).toEqual(Array.from(ta.indices.dataSync()));
    tf.dispose([x, a, b, ta.indices, ta.values, tb.indices, tb.values]);
  });

  (backend === 'tensorflow' ? it : it.skip)('save → load through file:// (tfjs-node) gives identical predictions', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'lsh-softmax-'));
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [6], units: dim }), lshSoftmax({ units, seed: 4, tables: 6, window: 4, band: 2 })] });
    const x = tf.randomNormal([10, 6], 0, 1, 'float32', 13);
    await model.save(`file://${dir}`);
    const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
    const a = predictTopK(model, x, 3);
    const b = predictTopK(loaded, x, 3);
    expect(Array.from(b.indices.dataSync())).toEqual(Array.from(a.indices.dataSync()));
    expect(Array.from((loaded.layers[1] as LSHSoftmax).codes!.read().dataSync())).toEqual(Array.from((model.layers[1] as LSHSoftmax).codes!.read().dataSync()));
    tf.dispose([x, a.indices, a.values, b.indices, b.values]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('converts a trained Dense softmax model with the same weights', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [6], units: dim, activation: 'relu' }), tf.layers.dense({ units, activation: 'softmax', name: 'out' })] });
    const { model: converted, layers, reports } = await convertToLSHSoftmax(model, { exactBelow: units + 1, seed: 1, tables: 5 });
    const [layer] = layers;
    expect(layer).toBeInstanceOf(LSHSoftmax);
    expect(reports).toEqual([expect.objectContaining({ replaced: 'out', classes: units, tables: 5, hash: 'wta', items: units })]);
    expect(converted.layers).toContain(model.layers[0]); // the layers before it are shared
    const x = tf.randomNormal([7, 6], 0, 1, 'float32', 12);
    const p1 = model.predict(x) as tf.Tensor;
    const p2 = converted.predict(x) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(p1, p2))).dataSync()[0]).toBeLessThan(1e-5);
    const top = predictTopK(converted, x, 2);
    expect(Array.from(top.indices.dataSync())).toEqual(Array.from(tf.topk(p1, 2).indices.dataSync()));
    const dw = model.layers[1].getWeights()[0];
    expect(tf.max(tf.abs(tf.sub(tf.transpose(dw), layer.kernel!.read()))).dataSync()[0]).toBe(0);
    // the layer to replace by name or index; it must be a softmax/linear Dense and an output of the model
    const byName = await convertToLSHSoftmax(model, { layer: 'out', seed: 1 });
    expect(byName.reports[0].replaced).toBe('out');
    await expect(convertToLSHSoftmax(model, { layer: 0 })).rejects.toThrow(/dense.activation: expected 'softmax' or 'linear', got 'relu'/);
    await expect(convertToLSHSoftmax(model, { layer: 'nope' })).rejects.toThrow(/options.layer: expected a layer name or an index in \[0, 2\), got 'nope'/);
    const linear = tf.sequential({ layers: [tf.layers.dense({ inputShape: [6], units: dim, name: 'hidden' }), tf.layers.dense({ units, activation: 'softmax' })] });
    await expect(convertToLSHSoftmax(linear, { layer: 'hidden' })).rejects.toThrow(/options.layer: expected an output layer of the model \(LSHSoftmax is an output layer\), got 'hidden'/);
    tf.dispose([x, p1, p2, top.indices, top.values]);
    [layer, byName.layers[0]].forEach((l) => l.dispose());
  });

  it('takes tfjs-layers initializers: names (seeded) and objects, the kernel the transpose of the Dense one', () => {
    // an initializer object: the kernel equals tf.layers.dense's with the same initializer (fan-in = features)
    for (const make of [() => tf.initializers.heUniform({ seed: 5 }), () => tf.initializers.glorotNormal({ seed: 6 })]) {
      const dense = tf.layers.dense({ units, kernelInitializer: make() });
      dense.build([null, dim]);
      const layer = lshSoftmax({ units, kernelInitializer: make(), biasInitializer: tf.initializers.constant({ value: 0.5 }) });
      layer.build([null, dim]);
      const ref = tf.transpose(dense.getWeights()[0]);
      expect(Array.from(layer.kernel!.read().dataSync())).toEqual(Array.from(ref.dataSync()));
      expect(Array.from(layer.bias!.read().dataSync())).toEqual(new Array(units).fill(0.5));
      ref.dispose();
      layer.dispose();
    }
    // a name ('heUniform' included) is seeded with the layer's seed: same seed, same weights; scale by fan-in
    const a = built({ kernelInitializer: 'heUniform', seed: 3 });
    const b = built({ kernelInitializer: 'heUniform', seed: 3 });
    const c = built({ kernelInitializer: 'heUniform', seed: 4 });
    const w = a.kernel!.read().dataSync();
    expect(Array.from(b.kernel!.read().dataSync())).toEqual(Array.from(w));
    expect(Array.from(c.kernel!.read().dataSync())).not.toEqual(Array.from(w));
    const limit = Math.sqrt(6 / dim);
    expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...Array.from(w, Math.abs))).toBeGreaterThan(0.9 * limit);
    // getConfig serializes them as tf.layers.dense does
    const cfg = a.getConfig();
    expect(cfg.kernelInitializer).toEqual({ className: 'VarianceScaling', config: { scale: 2, mode: 'fanIn', distribution: 'uniform', seed: 3 } });
    expect(cfg.biasInitializer).toEqual(tf.layers.dense({ units: 1, biasInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.05, seed: 3 }) }).getConfig().biasInitializer);
    expect(() => lshSoftmax({ units, kernelInitializer: 'md5' as 'zeros' })).toThrow(/kernelInitializer: expected a tfjs-layers initializer \(a name such as 'glorotUniform' or 'heUniform', an initializer object, or its config\), got 'md5'/);
    [a, b, c].forEach((l) => l.dispose());
  });

  it('loads a saved model whose config names its initializers (the format before tfjs-layers initializers)', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [6], units: dim }), lshSoftmax({ units, seed: 9, tables: 6, window: 4, band: 2 })] });
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const art = saved! as tf.io.ModelArtifacts;
    const topology = JSON.parse(JSON.stringify(art.modelTopology)) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    const cfg = topology.config.layers.find((l) => l.class_name === 'LSHSoftmax')!.config;
    expect(cfg.kernel_initializer).toEqual(expect.objectContaining({ class_name: 'VarianceScaling' }));
    // what the previous release wrote
    cfg.kernel_initializer = 'glorot_uniform';
    cfg.bias_initializer = 'zeros';
    delete cfg.asymmetric;
    // nor the checksums of the current format
    delete cfg.config_checksum;
    delete cfg.hash_fingerprint;
    delete cfg.codes_checksum;
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({ ...art, modelTopology: topology }));
    const x = tf.randomNormal([5, 6], 0, 1, 'float32', 3);
    const pa = predictTopK(model, x, 3);
    const pb = predictTopK(loaded, x, 3);
    expect(Array.from(pb.indices.dataSync())).toEqual(Array.from(pa.indices.dataSync()));
    expect((loaded.layers[1] as LSHSoftmax).getConfig().kernelInitializer).toEqual({ className: 'VarianceScaling', config: { scale: 1, mode: 'fanAvg', distribution: 'uniform', seed: 9 } });
    tf.dispose([x, pa.indices, pa.values, pb.indices, pb.values]);
  });

  it("hash 'learned': the projections are non-trainable weights, save → load is exact", async () => {
    for (const asymmetric of [false, true]) {
      const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [6], units: dim, activation: 'tanh' }), lshSoftmax({ units, seed: 2, hash: 'learned', tables: 4, bits: 3, asymmetric })] });
      const lsh = model.layers[1] as LSHSoftmax;
      const names = lsh.weights.map((w) => w.originalName.split('/').pop());
      // trainable weights first, then the non-trainable ones in the order the pre-composition LSSLayer had
      expect(names).toEqual(['kernel', 'bias', ...(asymmetric ? ['query_projection', 'label_projection'] : ['query_projection']), 'hash_codes']);
      expect(lsh.trainableWeights.map((w) => w.originalName.split('/').pop())).toEqual(['kernel', 'bias']);
      // move the projections (as a hash trainer would) and re-hash the classes
      const { family } = lshSoftmaxInternals(lsh);
      for (const v of Object.values(family.state)) v.assign(tf.randomNormal(v.shape, 0, 1, 'float32', 7 + v.shape.length));
      lsh.rehash();
      let saved: tf.io.ModelArtifacts | null = null;
      await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
      const lsh2 = loaded.layers[1] as LSHSoftmax;
      expect(lsh2.getConfig()).toEqual(lsh.getConfig());
      const state2 = lshSoftmaxInternals(lsh2).family.state;
      for (const [name, v] of Object.entries(family.state)) expect(Array.from(state2[name].dataSync())).toEqual(Array.from(v.dataSync()));
      const x = tf.randomNormal([10, 6], 0, 1, 'float32', 11);
      const ta = predictTopK(model, x, 3);
      const tb = predictTopK(loaded, x, 3);
      expect(Array.from(tb.indices.dataSync())).toEqual(Array.from(ta.indices.dataSync()));
      expect(Array.from(tb.candidatesPerQuery)).toEqual(Array.from(ta.candidatesPerQuery));
      tf.dispose([x, ta.indices, ta.values, tb.indices, tb.values]);
      model.dispose();
      loaded.dispose();
    }
  });

  it('rejects bad labels and features with clear errors, changing nothing', () => {
    const layer = built();
    const x = h();
    const kernel = Array.from(layer.kernel!.read().dataSync());
    const before = tf.memory().numTensors;
    const cases: [tf.Tensor, RegExp][] = [
      [tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 40], 'int32'), /labels: expected class ids in \[0, 40\), got 40 at row 7/],
      [tf.tensor1d([0, 1, 2, 3, 4, 5, 6, -1], 'int32'), /labels: expected class ids in \[0, 40\), got -1 at row 7/],
      [tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 1.5]), /labels: expected integer class ids, got 1.5 at row 7/],
      [tf.zeros([8, 2], 'int32'), /labels: expected shape \[8\] or \[8, 1\], got shape \[8, 2\]/],
      [tf.zeros([5], 'int32'), /labels: expected shape \[8\] or \[8, 1\], got shape \[5\]/],
    ];
    for (const [labels, re] of cases) {
      expect(() => layer.call([x, labels], {})).toThrow(re);
      labels.dispose();
    }
    const wrong = tf.zeros([3, dim + 1]);
    expect(() => layer.topK(wrong as tf.Tensor2D, 2)).toThrow(/features: expected a \[batch, 12\] tensor, got shape \[3, 13\]/);
    expect(() => lshSoftmax({ units: 1 })).toThrow(/units: expected an integer in \[2, /);
    expect(() => lshSoftmax({ units, hash: 'md5' as 'wta' })).toThrow(/hash: expected one of 'wta', 'dwta', 'simhash', 'learned', got 'md5'/);
    expect(() => lshSoftmax({ units, asymmetric: true })).toThrow(/asymmetric: expected false unless hash is 'learned', got true with hash 'wta'/);
    wrong.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(layer.kernel!.read().dataSync())).toEqual(kernel);
    expectNoLeak(() => {
      const r = layer.topK(x, 3);
      tf.dispose([r.indices, r.values]);
    });
    x.dispose();
    layer.dispose();
  });
});

describe('the public surface', () => {
  it('exports what a user calls, not the machinery', () => {
    expect(Object.keys(api).sort()).toEqual(['LSHSoftmax', 'RehashCallback', 'convertToLSHSoftmax', 'featureModel', 'lshSoftmax', 'lshSoftmaxLoss', 'predictTopK', 'trainingModel']);
    expect((LSHSoftmax as unknown as Record<string, unknown>).fromDense).toBeUndefined();
  });
});

describe('defaults', () => {
  it('adds an exact head and tail samples of min(100, ⌊units / 20⌋) unless told otherwise, and keeps a saved 0', () => {
    const make = (args: Partial<ConstructorParameters<typeof LSHSoftmax>[0]>) => lshSoftmax({ units: 40, ...args });
    for (const [n, want] of [[40, 2], [1999, 99], [2000, 100], [500000, 100], [19, 0]] as const) {
      const layer = make({ units: n });
      expect([layer.headClasses, layer.uniformSamples]).toEqual([want, want]);
    }
    const off = make({ units: 5000, headClasses: 0, uniformSamples: 0 });
    expect([off.headClasses, off.uniformSamples]).toEqual([0, 0]);
    // a saved config carries its values: a layer saved with 0 loads with 0, not the default
    const config = off.getConfig();
    expect([config.headClasses, config.uniformSamples]).toEqual([0, 0]);
    const back = LSHSoftmax.fromConfig(LSHSoftmax, config) as LSHSoftmax;
    expect([back.headClasses, back.uniformSamples]).toEqual([0, 0]);
    // the training tie-break: 'bias' by default, kept by the config, a bad value named
    expect(make({}).tieBreak).toBe('bias');
    expect((LSHSoftmax.fromConfig(LSHSoftmax, make({ tieBreak: 'id' }).getConfig()) as LSHSoftmax).tieBreak).toBe('id');
    expect(() => make({ tieBreak: 'first' as never })).toThrow(/tieBreak: expected one of/);
  });
});
