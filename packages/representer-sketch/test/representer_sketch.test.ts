import * as tf from '@tensorflow/tfjs';
import { SimHash } from '@hashlayers/hashing';
import { srpKernel } from '@hashlayers/hashing/internal';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { roundTrip, saveArtifacts } from '../../../tools/testing/artifacts';
import { RepresenterSketch, autoRows, convertToRepresenterSketch, headCost, representerSketch, sizing, sketchCost } from '../src';
// the layer's lookup op, tested directly (not public; registered by importing '../src')
import { sketchLookup } from '../src/ops/sketch_lookup';
import { referenceOutput, referenceProjection, values, weightIndex } from './reference';

/** Independent dense reference of the lookup: Σ_r w_r · onehot(codes[:, r]) · counts[r]. */
function denseLookup(codes: tf.Tensor2D, counts: tf.Tensor3D, w: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    const [rows, cells] = counts.shape;
    let out: tf.Tensor2D | null = null;
    for (let r = 0; r < rows; r++) {
      const col = tf.reshape(tf.slice(codes, [0, r], [-1, 1]), [-1]) as tf.Tensor1D;
      const onehot = tf.oneHot(col, cells);
      const cr = tf.reshape(tf.slice(counts, [r, 0, 0], [1, -1, -1]), [cells, -1]) as tf.Tensor2D;
      const term = tf.mul(tf.matMul(onehot, cr), tf.slice(w, [r], [1]));
      out = (out == null ? term : tf.add(out, term)) as tf.Tensor2D;
    }
    return out as tf.Tensor2D;
  });
}


describeBackends('sketchLookup op', () => {
  const rows = 5;
  const cells = 8;
  const outputs = 3;
  const batch = 7;
  const make = () => {
    const codesV = Int32Array.from(values(batch * rows, 3, 0, cells), Math.floor);
    return {
      codes: tf.tensor2d(codesV, [batch, rows], 'int32'),
      counts: tf.tensor3d(values(rows * cells * outputs, 4), [rows, cells, outputs]),
      w: tf.tensor1d(values(rows, 5, 0.1, 1)),
    };
  };

  it('importing the package registered its kernels on this backend and the lookup gradient (no call needed)', () => {
    for (const k of ['HashlayersSketchLookup', 'HashlayersSketchScatter', 'HashlayersSketchRowGrad']) {
      expect(tf.getKernel(k, tf.getBackend())).toBeDefined();
    }
    expect(tf.getGradient('HashlayersSketchLookup')).toBeDefined();
  });

  it('matches the dense one-hot reference', () => {
    const { codes, counts, w } = make();
    const out = expectNoLeak(() => sketchLookup(codes, counts, w), 1);
    const ref = denseLookup(codes, counts, w);
    expect(out.shape).toEqual([batch, outputs]);
    const a = out.dataSync();
    const b = ref.dataSync();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    tf.dispose([codes, counts, w, out, ref]);
  });

  it('gradients in counts (scatter-add) and row weights match the dense reference', () => {
    const { codes, counts, w } = make();
    const dy = tf.tensor2d(values(batch * outputs, 6), [batch, outputs]);
    const loss = (f: (c: tf.Tensor3D, ww: tf.Tensor1D) => tf.Tensor2D) => (c: tf.Tensor, ww: tf.Tensor) =>
      tf.sum(tf.mul(f(c as tf.Tensor3D, ww as tf.Tensor1D), dy)) as tf.Scalar;
    const before = tf.memory().numTensors;
    const got = tf.grads(loss((c, ww) => sketchLookup(codes, c, ww)))([counts, w]);
    expect(tf.memory().numTensors - before).toBe(2);
    const want = tf.grads(loss((c, ww) => denseLookup(codes, c, ww)))([counts, w]);
    for (let k = 0; k < 2; k++) {
      expect(got[k].shape).toEqual(want[k].shape);
      const a = got[k].dataSync();
      const b = want[k].dataSync();
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 4);
    }
    tf.dispose([codes, counts, w, dy, ...got, ...want]);
  });

  it('rejects bad codes, counts and weights with clear errors', () => {
    const { codes, counts, w } = make();
    const bad = tf.tensor2d(new Int32Array(batch * rows).fill(cells), [batch, rows], 'int32');
    const before = tf.memory().numTensors;
    expect(() => sketchLookup(bad, counts, w)).toThrow(/codes: expected bucket ids in \[0, 8\)/);
    expect(tf.memory().numTensors).toBe(before);
    const f = tf.cast(codes, 'float32') as tf.Tensor2D;
    expect(() => sketchLookup(f, counts, w)).toThrow(/codes: expected dtype int32/);
    const w2 = tf.ones([rows + 1]) as tf.Tensor1D;
    expect(() => sketchLookup(codes, counts, w2)).toThrow(/rowWeights: expected a float32 tensor \[5\]/);
    expect(() => sketchLookup(codes, tf.zeros([rows, cells]) as unknown as tf.Tensor3D, w)).toThrow(/counts: expected a float32 tensor \[rows, cells, outputs\]/);
    tf.dispose([codes, counts, w, bad, f, w2]);
  });
});

describeBackends('RepresenterSketch: RACE estimate against the closed form', () => {
  it('the mean over rows is an unbiased estimate of Σ α_i k(x_i, q), k = (1 − θ/π)^K', () => {
    // Each row's cell value Y_r = Σ_i α_i·[h_r(x_i) = h_r(q)] lies in an interval of width Σ_i |α_i|,
    // and rows are independent, so by Hoeffding |mean − E| < t with t = width·sqrt(ln(2/δ)/(2N)),
    // δ = 1e-6 per comparison, N = rows·seeds. E = Σ α_i k(x_i, q) (srpKernel, the closed form).
    const dim = 8;
    const n = 12;
    const bits = 2;
    const rows = 4096;
    const seeds = [11, 12, 13, 14];
    const N = rows * seeds.length;
    const xv = values(n * dim, 21);
    const qv = values(3 * dim, 22);
    // column 0 positive weights, column 1 mixed signs
    const av = new Float32Array(n * 2);
    const pos = values(n, 23, 0.5, 1);
    const mixed = values(n, 24, -1, 1);
    for (let i = 0; i < n; i++) {
      av[2 * i] = pos[i];
      av[2 * i + 1] = mixed[i];
    }
    const x = tf.tensor2d(xv, [n, dim]);
    const q = tf.tensor2d(qv, [3, dim]);
    const alpha = tf.tensor2d(av, [n, 2]);
    const sum = new Float64Array(3 * 2);
    for (const seed of seeds) {
      const layer = new RepresenterSketch({ outputs: 2, rows, bits, seed, projection: 'gaussian' });
      layer.build([null, dim]);
      layer.insert(x, alpha);
      const est = expectNoLeak(() => layer.apply(q) as tf.Tensor2D, 1);
      est.dataSync().forEach((v, i) => (sum[i] += v / seeds.length));
      est.dispose();
      layer.dispose();
    }
    const delta = 1e-6;
    for (let o = 0; o < 2; o++) {
      let width = 0;
      for (let i = 0; i < n; i++) width += Math.abs(av[2 * i + o]);
      const t = width * Math.sqrt(Math.log(2 / delta) / (2 * N));
      for (let j = 0; j < 3; j++) {
        const closed = (k: number) => {
          let s = 0;
          for (let i = 0; i < n; i++) s += av[2 * i + o] * srpKernel(xv.subarray(i * dim, (i + 1) * dim), qv.subarray(j * dim, (j + 1) * dim), k);
          return s;
        };
        expect(Math.abs(sum[j * 2 + o] - closed(bits))).toBeLessThan(t);
        // the tolerance discriminates: the kernel of K + 1 bits is rejected (positive weights)
        if (o === 0) expect(Math.abs(sum[j * 2 + o] - closed(bits + 1))).toBeGreaterThan(t);
      }
    }
    tf.dispose([x, q, alpha]);
  });
});

describeBackends('RepresenterSketch layer', () => {
  const dim = 6;

  it('hashes like the hashing package SimHash with the same seed (x − center)', () => {
    const layer = new RepresenterSketch({ outputs: 2, rows: 7, bits: 5, seed: 9, projection: 'sparse' });
    layer.build([null, dim]);
    const c = tf.tensor1d(values(dim, 2));
    layer.setCenter(c);
    const x = tf.tensor2d(values(10 * dim, 3), [10, dim]);
    const codes = expectNoLeak(() => layer.codes(x), 1);
    const family = new SimHash({ inputDim: dim, tables: 7, bits: 5, seed: 9, projection: 'sparse' });
    const xc = tf.sub(x, c) as tf.Tensor2D;
    const ref = family.hash(xc);
    expect(Array.from(codes.dataSync())).toEqual(Array.from(ref.dataSync()));
    family.dispose();
    tf.dispose([c, x, codes, xc, ref]);
    layer.dispose();
  });

  it('codes and output against the float64 reference, for every projection kind and count width', () => {
    const rows = 9;
    const bits = 3;
    const outputs = 4;
    const batch = 12;
    for (const projection of ['gaussian', 'sign', 'sparse'] as const) {
      for (const aggregation of ['mean', 'weighted'] as const) {
        const layer = new RepresenterSketch({ outputs, rows, bits, seed: 3, projection, aggregation });
        layer.build([null, dim]);
        const at = weightIndex(layer);
        const w = layer.getWeights();
        const cv = values(rows * 8 * outputs, 5);
        w[at('center')] = tf.tensor1d(values(dim, 6, -0.2, 0.2));
        w[at('counts')] = tf.tensor3d(cv, [rows, 8, outputs]);
        if (aggregation === 'weighted') w[at('row_weights')] = tf.tensor1d(values(rows, 7, 0, 0.3));
        layer.setWeights(w);
        const made = [w[at('center')], w[at('counts')], ...(aggregation === 'weighted' ? [w[at('row_weights')]] : [])];
        const xv = values(batch * dim, 8);
        const x = tf.tensor2d(xv, [batch, dim]);
        const p = referenceProjection(dim, rows, bits, 3, projection);
        const wv = layer.aggregationWeights();
        const ref = referenceOutput(xv, batch, dim, w[at('center')].dataSync(), p, rows, bits, cv, outputs, wv.dataSync());
        const codes = expectNoLeak(() => layer.codes(x), 1);
        const cd = codes.dataSync();
        for (let i = 0; i < cd.length; i++) if (!ref.ambiguous[Math.floor(i / rows)]) expect(cd[i]).toBe(ref.codes[i]);
        const check = (l: RepresenterSketch, bound: number) => {
          const y = expectNoLeak(() => l.apply(x) as tf.Tensor, 1);
          const yv = y.dataSync();
          for (let b = 0; b < batch; b++) {
            if (ref.ambiguous[b]) continue;
            for (let o = 0; o < outputs; o++) expect(Math.abs(yv[b * outputs + o] - ref.out[b * outputs + o])).toBeLessThanOrEqual(bound + 1e-5);
          }
          y.dispose();
          return yv;
        };
        check(layer, 0);
        let wAbs = 0;
        wv.dataSync().forEach((v) => (wAbs += Math.abs(v)));
        let min = Infinity;
        let max = -Infinity;
        cv.forEach((v) => ((min = Math.min(min, v)), (max = Math.max(max, v))));
        for (const countBits of [16, 8, 4] as const) {
          const q = layer.quantize(countBits);
          q.build([null, dim]);
          // the documented bound: every output within Σ|w_r| · scale/2, scale = (max − min) / (2^bits − 1)
          const scale = (max - min) / (2 ** countBits - 1);
          const yq = check(q, (wAbs * scale) / 2);
          // and quantizing does change the output at 4 bits (the check above can fail)
          if (countBits === 4) expect(Array.from(yq).some((v, i) => Math.abs(v - ref.out[i]) > scale / 100)).toBe(true);
          q.dispose();
        }
        tf.dispose([x, codes, wv, ...made]);
        layer.dispose();
      }
    }
  });

  it('hashes with additions only: a ±1 projection is stored as index lists, none as a weight', () => {
    const layer = new RepresenterSketch({ outputs: 2, rows: 16, bits: 4, seed: 1, projection: 'sparse', density: 0.25 });
    layer.build([null, 64]);
    expect(layer.weights.map((v) => v.originalName.split('/').pop()).sort()).toEqual(['center', 'counts']);
    const p = referenceProjection(64, 16, 4, 1, 'sparse', 0.25);
    expect(layer.projectionNonzeros).toBe(p.filter((v) => v !== 0).length);
    expect(layer.projectionNonzeros / (64 * 64)).toBeGreaterThan(0.2);
    expect(layer.projectionNonzeros / (64 * 64)).toBeLessThan(0.3);
    const cost = sketchCost(layer);
    expect(cost.multiplies).toBe(2); // the final 1/R scale per output; none in the hash
    layer.dispose();
    // default density 1/√d (at most 1/3)
    const auto = new RepresenterSketch({ outputs: 2, rows: 16, bits: 4 });
    auto.build([null, 64]);
    expect(auto.density).toBe(1 / 8);
    expect(auto.getConfig().density).toBeNull();
    const nz = referenceProjection(64, 16, 4, 0, 'sparse', 1 / 8).filter((v) => v !== 0).length;
    expect(auto.projectionNonzeros).toBe(nz);
    auto.dispose();
  });

  it('codes have a zero gradient, so a model with trainable layers before the sketch trains', async () => {
    const x = tf.tensor2d(values(8 * dim, 41), [8, dim]);
    const layer = new RepresenterSketch({ outputs: 2, rows: 4, bits: 3 });
    layer.build([null, dim]);
    layer.insert(x);
    const g = tf.grad((xi: tf.Tensor) => tf.sum(layer.apply(xi) as tf.Tensor))(x);
    expect(g.shape).toEqual([8, dim]);
    expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
    layer.dispose();
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [dim], units: 5 }), representerSketch({ outputs: 2, rows: 4, bits: 3 })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const h = await model.fit(x, tf.ones([8, 2]), { epochs: 2, verbose: 0 });
    expect((h.history.loss as number[])[1]).toBeLessThan((h.history.loss as number[])[0]);
    tf.dispose([x, g]);
    model.dispose();
  });

  it('fitCellMeans: each cell holds the mean target of its points, empty cells the global mean', () => {
    const layer = new RepresenterSketch({ outputs: 2, rows: 3, bits: 3, seed: 1 });
    layer.build([null, dim]);
    const n = 40;
    const x = tf.tensor2d(values(n * dim, 7), [n, dim]);
    const yv = values(n * 2, 8);
    const y = tf.tensor2d(yv, [n, 2]);
    const fill = expectNoLeak(() => layer.fitCellMeans(x, y));
    const codes = layer.codes(x).dataSync();
    const counts = (layer.counts as NonNullable<typeof layer.counts>).read().dataSync();
    const gm = [0, 1].map((o) => Array.from({ length: n }, (_, i) => yv[2 * i + o]).reduce((a, b) => a + b, 0) / n);
    let occupied = 0;
    for (let r = 0; r < 3; r++) {
      for (let cell = 0; cell < 8; cell++) {
        const members = Array.from({ length: n }, (_, i) => i).filter((i) => codes[i * 3 + r] === cell);
        if (members.length > 0) occupied++;
        for (let o = 0; o < 2; o++) {
          const want = members.length > 0 ? members.reduce((a, i) => a + yv[2 * i + o], 0) / members.length : gm[o];
          expect(counts[(r * 8 + cell) * 2 + o]).toBeCloseTo(want, 5);
        }
      }
    }
    expect(fill).toEqual({ points: n, occupiedFraction: occupied / 24 });
    tf.dispose([x, y]);
    layer.dispose();
  });

  it('trains its counts and row weights with model.fit and round-trips save → load exactly', async () => {
    const input = tf.input({ shape: [dim] });
    const sketch = representerSketch({ outputs: 3, rows: 8, bits: 3, seed: 5, aggregation: 'weighted', projection: 'sparse' });
    const model = tf.model({ inputs: input, outputs: sketch.apply(input) as tf.SymbolicTensor });
    const x = tf.tensor2d(values(64 * dim, 31), [64, dim]);
    const y = tf.tensor2d(values(64 * 3, 32), [64, 3]);
    const c = tf.tensor1d(values(dim, 33, -0.1, 0.1));
    sketch.setCenter(c);
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
    const h = await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0, shuffle: false });
    const losses = h.history.loss as number[];
    expect(losses[4]).toBeLessThan(losses[0]);
    const rw = (sketch.rowWeights as NonNullable<typeof sketch.rowWeights>).read().dataSync();
    expect(Array.from(rw).some((v) => Math.abs(v - 1 / 8) > 1e-3)).toBe(true);
    const loaded = await roundTrip(model);
    const l2 = loaded.layers[1] as RepresenterSketch;
    expect(l2).toBeInstanceOf(RepresenterSketch);
    expect(l2.getConfig()).toEqual(sketch.getConfig());
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, y, c, a, b]);
    model.optimizer.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('rejects bad arguments and bad input, leaving the layer untouched', () => {
    expect(() => new RepresenterSketch({ outputs: 0 })).toThrow(/outputs: expected an integer in \[1/);
    expect(() => new RepresenterSketch({ outputs: 2, rows: 0 })).toThrow(/rows: expected an integer in \[1, 4096\], got 0/);
    expect(() => new RepresenterSketch({ outputs: 2, bits: 21 })).toThrow(/bits: expected an integer in \[1, 20\], got 21/);
    expect(() => new RepresenterSketch({ outputs: 2, aggregation: 'max' as 'mean' })).toThrow(/aggregation: expected one of 'mean', 'weighted', got 'max'/);
    expect(() => new RepresenterSketch({ outputs: 2, projection: 'dense' as 'gaussian' })).toThrow(/projection: expected one of 'gaussian', 'sign', 'sparse'/);
    expect(() => new RepresenterSketch({ outputs: 1000, rows: 4096, bits: 20 })).toThrow(/at most 2\^28 count cells/);
    const unbuilt = new RepresenterSketch({ outputs: 2 });
    expect(() => unbuilt.insert(tf.zeros([1, 3]) as tf.Tensor2D)).toThrow(/a built layer/);
    const layer = new RepresenterSketch({ outputs: 2, rows: 4, bits: 3 });
    layer.build([null, dim]);
    const x = tf.tensor2d(values(5 * dim, 1), [5, dim]);
    const counts = () => Array.from((layer.counts as NonNullable<typeof layer.counts>).read().dataSync());
    layer.insert(x);
    const before = counts();
    const nTensors = tf.memory().numTensors;
    expect(() => layer.apply(tf.zeros([5, dim + 1]))).toThrow(/features: expected 6 columns, got shape \[5, 7\]/);
    expect(() => layer.insert(x, tf.ones([5, 3]) as tf.Tensor2D)).toThrow(/weights: expected 2 columns/);
    expect(() => layer.insert(x, tf.ones([4, 2]) as tf.Tensor2D)).toThrow(/weights: expected 5 rows/);
    const nan = tf.tensor2d([1, NaN, 1, 1, 1, 1, 1, 1, 1, 1], [5, 2]);
    expect(() => layer.insert(x, nan)).toThrow(/weights: expected finite values, got NaN at flat index 1/);
    expect(() => layer.fitCellMeans(x, nan)).toThrow(/weights: expected finite values/);
    expect(() => layer.setCenter(tf.zeros([dim + 1]) as tf.Tensor1D)).toThrow(/center: expected a float32 tensor \[6\]/);
    const nanX = tf.tensor2d(new Float32Array(5 * dim).fill(NaN), [5, dim]);
    expect(() => layer.insert(nanX)).toThrow(/finite values/);
    expect(counts()).toEqual(before);
    tf.dispose([x, nan, nanX]);
    // the temporary zeros / ones tensors above are the only new tensors
    expect(tf.memory().numTensors - nTensors).toBeLessThanOrEqual(5);
    layer.dispose();
  });

  it('leaks no tensors in apply, insert, fitCellMeans and training gradients', () => {
    const layer = new RepresenterSketch({ outputs: 3, rows: 4, bits: 4, aggregation: 'weighted' });
    layer.build([null, dim]);
    const x = tf.tensor2d(values(9 * dim, 4), [9, dim]);
    const y = tf.tensor2d(values(9 * 3, 5), [9, 3]);
    expectNoLeak(() => layer.insert(x, y));
    expectNoLeak(() => layer.fitCellMeans(x, y));
    const out = expectNoLeak(() => layer.apply(x) as tf.Tensor, 1);
    const vars = [layer.counts, layer.rowWeights].map((v) => (v as NonNullable<typeof v>).read() as tf.Variable);
    const g = expectNoLeak(() => tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar, vars), 3);
    expect(Object.keys(g.grads)).toHaveLength(2);
    tf.dispose([x, y, out, g.value, ...Object.values(g.grads)]);
    layer.dispose();
  });

  it('sizing: operations against a Dense head; bytes are what a saved model holds', async () => {
    const head = tf.sequential({ layers: [tf.layers.dense({ inputShape: [32], units: 256, activation: 'relu' }), tf.layers.dense({ units: 10 })] });
    const hc = headCost(head.layers);
    expect(hc.parameters).toBe(32 * 256 + 256 + 256 * 10 + 10);
    expect(hc.multiplyAdds).toBe(hc.parameters);
    expect(hc.weightBytes).toBe(4 * hc.parameters);
    for (const [projection, countBits, aggregation] of [['gaussian', 32, 'mean'], ['sparse', 8, 'mean'], ['sign', 4, 'weighted'], ['sparse', 16, 'weighted']] as const) {
      const input = tf.input({ shape: [32] });
      const float = new RepresenterSketch({ outputs: 10, rows: 16, bits: 6, projection, aggregation, name: 'f' });
      tf.model({ inputs: input, outputs: float.apply(input) as tf.SymbolicTensor });
      const layer = countBits === 32 ? float : float.quantize(countBits, 'q');
      const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
      const cost = sketchCost(layer);
      const n = 16 * 64 * 10;
      expect(cost.countsBytes).toBe(countBits === 32 ? 4 * n : (n * countBits) / 8 + 8);
      expect(cost.hashOps).toBe(projection === 'sparse' ? layer.projectionNonzeros : 32 * 96);
      expect(cost.multiplyAdds).toBe(cost.hashOps + 96 + 16 * 10 + 10);
      // the saved weights file holds exactly weightBytes, and the layer's saved config about configBytes
      const a = await saveArtifacts(model);
      expect((a.weightData as ArrayBuffer).byteLength).toBe(cost.weightBytes);
      const topo = a.modelTopology as { config: { layers: { class_name: string; config: object }[] } };
      const saved = JSON.stringify(topo.config.layers.find((l) => l.class_name === 'RepresenterSketch'));
      expect(Math.abs(saved.length - cost.configBytes) / cost.configBytes).toBeLessThan(0.3);
      const rep = sizing(layer, head.layers);
      expect(rep.storageReduction).toBeCloseTo(hc.bytes / cost.bytes, 10);
      expect(rep.computeReduction).toBeCloseTo(hc.multiplyAdds / cost.multiplyAdds, 10);
      model.dispose();
      if (layer !== float) float.dispose();
    }
    head.dispose();
  });

  it('autoRows: the largest R whose real sketch is ≥ 50x smaller and ≥ 20x cheaper than the head', () => {
    const head = tf.sequential({ layers: [tf.layers.dense({ inputShape: [64], units: 512 }), tf.layers.dense({ units: 512 }), tf.layers.dense({ units: 10 })] });
    const hc = headCost(head.layers);
    const real = (rows: number) => {
      const f = new RepresenterSketch({ outputs: 10, rows, bits: 4, name: 'f' });
      const input = tf.input({ shape: [64] });
      tf.model({ inputs: input, outputs: f.apply(input) as tf.SymbolicTensor });
      const q = f.quantize(8);
      q.build([null, 64]);
      const s = sizing(q, hc);
      q.dispose();
      f.dispose();
      return s;
    };
    const rows = autoRows(hc, { dim: 64, outputs: 10, bits: 4, countBits: 8, projection: 'sparse', density: null });
    expect(rows).toBe(128);
    const fits = real(rows);
    expect(fits.storageReduction).toBeGreaterThanOrEqual(50);
    expect(fits.computeReduction).toBeGreaterThanOrEqual(20);
    expect(real(2 * rows).storageReduction).toBeLessThan(50);
    // a small head gets the minimum
    expect(autoRows({ ...hc, bytes: 1000, multiplyAdds: 1000 }, { dim: 64, outputs: 10, bits: 4, countBits: 8, projection: 'sparse', density: null })).toBe(8);
    head.dispose();
  });

  it('a quantized sketch round-trips save → load exactly and its packed counts are validated', async () => {
    const input = tf.input({ shape: [dim] });
    const float = new RepresenterSketch({ outputs: 3, rows: 8, bits: 3, seed: 2 });
    tf.model({ inputs: input, outputs: float.apply(input) as tf.SymbolicTensor });
    const x = tf.tensor2d(values(20 * dim, 51), [20, dim]);
    float.fitCellMeans(x, tf.tensor2d(values(20 * 3, 52), [20, 3]));
    const q = float.quantize(8, 'q8');
    const model = tf.model({ inputs: input, outputs: q.apply(input) as tf.SymbolicTensor });
    const loaded = await roundTrip(model);
    expect(loaded.layers[1].getConfig()).toEqual(q.getConfig());
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    const at = weightIndex(q);
    const w = q.getWeights(); // the variables themselves: not disposed here
    const bad = tf.tensor1d([-1, 0]);
    const before = Array.from(w[at('counts_packed')].dataSync());
    expect(() => q.setWeights(w.map((t, i) => (i === at('counts_range') ? bad : t)))).toThrow(/q8\/counts_range: expected a scale ≥ 0 \(first value\), got -1/);
    expect(Array.from((q.counts as NonNullable<typeof q.counts>).read().dataSync())).toEqual(before);
    expect(() => q.insert(x)).toThrow(/insert: expected a sketch with float counts \(countBits 32/);
    expect(() => new RepresenterSketch({ outputs: 2, countBits: 12 as 8 })).toThrow(/countBits: expected one of 32, 16, 8, 4, got 12/);
    tf.dispose([x, a, b, bad]);
    model.dispose();
    loaded.dispose();
    float.dispose();
  });
});

describeBackends('convertToRepresenterSketch', () => {
  it('converts the layers after headFrom; KDE insertion stores Σ α_i / n in every row', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [5], units: 4, name: 'feat', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      ],
    });
    const data = tf.tensor2d(values(30 * 5, 9), [30, 5]);
    const before = tf.memory().numTensors;
    const r = await convertToRepresenterSketch(model, { headFrom: 'feat', data, rows: 64, bits: 3, seed: 4, insertion: 'kde', center: false, countBits: 32, projection: 'gaussian' });
    expect(r.layers).toHaveLength(1);
    expect(r.reports).toHaveLength(1);
    const [sketch] = r.layers;
    const [report] = r.reports;
    expect(sketch).toBeInstanceOf(RepresenterSketch);
    expect(r.model.layers.at(-1)).toBe(sketch);
    expect(sketch.weights.map((v) => v.originalName.split('/').pop()).sort()).toEqual(['center', 'counts']);
    expect(r.model.outputs[0].shape).toEqual([null, 3]);
    expect(report.sizing.head.layers).toEqual(['Dense', 'Dense']);
    expect(report.sizing.head.parameters).toBe(4 * 16 + 16 + 16 * 3 + 3);
    expect(report.fill.points).toBe(30);
    expect(report.refineLoss).toEqual([]);
    // counts hold Σ_i α_i/n per cell: summed over a row's cells they give Σ_i α_i / n for every row
    const alpha = model.predict(data) as tf.Tensor;
    const meanT = tf.mean(alpha, 0);
    const colMean = meanT.dataSync();
    meanT.dispose();
    const counts = sketch.counts?.read().dataSync() as Float32Array;
    for (let row = 0; row < 64; row += 21) {
      for (let o = 0; o < 3; o++) {
        let s = 0;
        for (let c = 0; c < 8; c++) s += counts[(row * 8 + c) * 3 + o];
        expect(s).toBeCloseTo(colMean[o], 4);
      }
    }
    alpha.dispose();
    // the sketch's weights (center, counts) and its projection's tensors (index lists, dense columns,
    // mean weights, a unit range; thresholds of the center): data, features, targets freed
    expect(tf.memory().numTensors - before).toBe(2 + 5);
    const loaded = await roundTrip(r.model);
    const a = r.model.predict(data) as tf.Tensor;
    const b = loaded.predict(data) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([data, a, b]);
    loaded.dispose();
    model.dispose();
  });

  it('rejects bad headFrom, data, targets and labels', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [5], units: 4, name: 'a' }), tf.layers.dense({ units: 3, name: 'b' })] });
    const data = tf.zeros([10, 5]);
    const before = tf.memory().numTensors;
    await expect(convertToRepresenterSketch(model, { headFrom: 'nope', data })).rejects.toThrow(/headFrom: expected one of the model's layer names \('a', 'b'\), got 'nope'/);
    await expect(convertToRepresenterSketch(model, { headFrom: 1, data })).rejects.toThrow(/headFrom: expected a layer before the last one/);
    await expect(convertToRepresenterSketch(model, { headFrom: 5, data })).rejects.toThrow(/headFrom: expected an integer in \[0, 1\], got 5/);
    const wrong = tf.zeros([10, 6]);
    await expect(convertToRepresenterSketch(model, { headFrom: 0, data: wrong })).rejects.toThrow(/data: expected a non-empty tensor of shape \[n, 5\], got a float32 tensor of shape \[10, 6\]/);
    const t = tf.zeros([9, 3]) as tf.Tensor2D;
    await expect(convertToRepresenterSketch(model, { headFrom: 0, data, targets: t })).rejects.toThrow(/targets: expected 10 rows/);
    const labels = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 0, 1, 2], 'int32');
    await expect(convertToRepresenterSketch(model, { headFrom: 0, data, refine: { epochs: 1, target: 'labels', labels } })).rejects.toThrow(/refine.labels: expected integer class ids in \[0, 3\), got 3 at 3/);
    await expect(convertToRepresenterSketch(model, { headFrom: 0, data, bits: 0 })).rejects.toThrow(/bits: expected an integer in \[1, 20\], got 0/);
    tf.dispose([wrong, t, labels]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(data);
    model.dispose();
  });
});
