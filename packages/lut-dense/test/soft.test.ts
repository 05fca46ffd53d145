import * as tf from '@tensorflow/tfjs';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { roundTrip } from '../../../tools/testing/artifacts';
import { SeededRandom } from '@hashlayers/core/internal';
import { convertToLUTDense, hardenSoftLUT, LUTDense, quantizeLUTDense, SoftLUTAnnealing } from '../src';
// the soft look-up op behind 'soft' mode (not public), tested against a float64 reference
import { softLutMatMul, softTreeLutMatMul, subspaceMask } from '../src/ops/soft_lut';

const LEAVES = 16;

/**
 * Float64 reference of LUT-NN's soft look-up, written from its definition: per codebook c,
 * a_k = softmax_k(−Σ_{d∈S_c} (x_d − P[c,k,d])² / (t · scale_c)), y = Σ_c Σ_k a_k T[c,k,:].
 */
function softRef(x: ArrayLike<number>, n: number, d: number, p: ArrayLike<number>, owner: ArrayLike<number>, scale: ArrayLike<number>, t: number, tab: ArrayLike<number>, c: number, m: number): Float64Array {
  const y = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) {
      const dist = new Float64Array(LEAVES);
      for (let k = 0; k < LEAVES; k++) for (let q = 0; q < d; q++) if (owner[q] === j) dist[k] += (x[i * d + q] - p[(j * LEAVES + k) * d + q]) ** 2;
      const a = new Float64Array(LEAVES);
      if (t === 0) {
        let best = 0;
        for (let k = 1; k < LEAVES; k++) if (dist[k] < dist[best]) best = k;
        a[best] = 1;
      } else {
        const z = Array.from(dist, (v) => -v / (t * scale[j]));
        const mx = Math.max(...z);
        let s = 0;
        for (let k = 0; k < LEAVES; k++) s += a[k] = Math.exp(z[k] - mx);
        for (let k = 0; k < LEAVES; k++) a[k] /= s;
      }
      for (let k = 0; k < LEAVES; k++) for (let q = 0; q < m; q++) y[i * m + q] += a[k] * tab[(j * LEAVES + k) * m + q];
    }
  }
  return y;
}

/** Float64 reference of the soft tree: leaf k's probability = Π over its path of σ(±(x[dim_l] − θ[node]) / (t·scale_c)); t = 0 walks the tree (x > θ goes right). */
function softTreeRef(x: ArrayLike<number>, n: number, d: number, dims: ArrayLike<number>, th: ArrayLike<number>, scale: ArrayLike<number>, t: number, tab: ArrayLike<number>, c: number, m: number): Float64Array {
  const y = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) {
      for (let k = 0; k < LEAVES; k++) {
        let pr = 1;
        for (let l = 0; l < 4; l++) {
          const node = (1 << l) - 1 + (k >> (4 - l));
          const right = (k >> (3 - l)) & 1;
          const v = x[i * d + dims[j * 4 + l]] - th[j * 15 + node];
          pr *= t === 0 ? Number((v > 0) === (right === 1)) : 1 / (1 + Math.exp(-(right ? v : -v) / (t * scale[j])));
        }
        for (let q = 0; q < m; q++) y[i * m + q] += pr * tab[(j * LEAVES + k) * m + q];
      }
    }
  }
  return y;
}

const gauss = (rng: SeededRandom, len: number, s = 1) => Float32Array.from({ length: len }, () => s * rng.gaussian());

/** Central differences (h = 1e-5, float64) of f at v. */
function numGrad(v: Float32Array, f: (w: Float64Array) => number): Float64Array {
  return Float64Array.from(v, (_, i) => {
    const plus = Float64Array.from(v);
    const minus = Float64Array.from(v);
    plus[i] += 1e-5;
    minus[i] -= 1e-5;
    return (f(plus) - f(minus)) / 2e-5;
  });
}

/** Every entry within tol × the largest |want| (+1e-6). */
function expectClose(got: tf.Tensor, want: ArrayLike<number>, tol: number): void {
  const g = got.dataSync();
  const s0 = Math.max(...Array.from(want, Math.abs));
  for (let i = 0; i < want.length; i++) expect(Math.abs(g[i] - want[i])).toBeLessThan(tol * s0 + 1e-6);
}

/** A d → units (relu) → 3 (softmax) classifier, n gaussian rows and cyclic one-hot labels. */
function tinyClassifier(seed: number, n: number, d: number, units: number) {
  const rng = new SeededRandom(seed);
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [d], units, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }), tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) })] });
  const x = tf.tensor2d(gauss(rng, n * d), [n, d]);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i % 3), 'int32'), 3);
  return { model, x, y };
}

/** A built soft LUTDense [d → m] with C codebooks, its soft weights written directly. */
function softLayer(d: number, m: number, c: number, w: { owner: Int32Array; protos: Float32Array; scale: Float32Array; tables: Float32Array }, temperature = 1): LUTDense {
  const layer = new LUTDense({ units: m, codebooks: c, soft: true, mode: 'soft', useBias: false, temperature });
  tf.dispose(layer.apply(tf.zeros([1, d])) as tf.Tensor);
  (layer.prototypes as NonNullable<LUTDense['prototypes']>).write(tf.tensor3d(w.protos, [c, LEAVES, d]));
  (layer.subspace as NonNullable<LUTDense['subspace']>).write(tf.tensor1d(w.owner, 'int32'));
  (layer.softScale as NonNullable<LUTDense['softScale']>).write(tf.tensor1d(w.scale));
  (layer.tables as NonNullable<LUTDense['tables']>).write(tf.tensor3d(w.tables, [c, LEAVES, m]));
  return layer;
}

/**
 * Rows whose codebook subspaces are 4 two-valued dimensions (±1, plus noise 0.05) and one wide
 * dimension (uniform in [−10, 10]) that no prototype uses: the learned cells are the 16 sign
 * patterns, which a 4-level tree can reproduce exactly only by splitting on the ±1 dimensions.
 */
function patternData(n: number, c: number, rng: SeededRandom) {
  const d = 5 * c;
  const owner = Int32Array.from({ length: d }, (_, q) => Math.floor(q / 5));
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < d; q++) x[i * d + q] = q % 5 === 4 ? 20 * rng.next() - 10 : (rng.next() < 0.5 ? -1 : 1) + 0.05 * rng.gaussian();
  }
  // prototypes: the 16 sign patterns in a shuffled order, 0 on the wide dimension
  const protos = new Float32Array(c * LEAVES * d);
  for (let j = 0; j < c; j++) {
    const order = Array.from({ length: LEAVES }, (_, k) => k);
    for (let k = LEAVES - 1; k > 0; k--) {
      const r = rng.int(k + 1);
      [order[k], order[r]] = [order[r], order[k]];
    }
    for (let k = 0; k < LEAVES; k++) for (let b = 0; b < 4; b++) protos[(j * LEAVES + k) * d + 5 * j + b] = (order[k] >> b) & 1 ? 1 : -1;
  }
  return { d, owner, x, protos };
}

describeBackends('LUTDense soft assignment (LUT-NN)', () => {
  it('the soft look-up and its gradients (x, prototypes, tables) match a float64 reference and central differences', () => {
    const rng = new SeededRandom(3);
    const [n, d, m, c, t] = [4, 5, 3, 2, 0.7];
    const owner = Int32Array.from([0, 0, 1, 1, 1]);
    const x = gauss(rng, n * d);
    const protos = gauss(rng, c * LEAVES * d, 0.8);
    const scale = Float32Array.from([0.9, 1.6]);
    const tab = gauss(rng, c * LEAVES * m);
    const r = gauss(rng, n * m);
    const loss = (xv: ArrayLike<number>, pv: ArrayLike<number>, tv: ArrayLike<number>) => softRef(xv, n, d, pv, owner, scale, t, tv, c, m).reduce((s, v, i) => s + v * r[i], 0);
    const y = softRef(x, n, d, protos, owner, scale, t, tab, c, m);
    const gx = numGrad(x, (w) => loss(w, protos, tab));
    const gp = numGrad(protos, (w) => loss(x, w, tab));
    const gt = numGrad(tab, (w) => loss(x, protos, w));
    expectNoLeak(() => {
      const ownerT = tf.tensor1d(owner, 'int32');
      const mask = subspaceMask(ownerT, c);
      const [xt, pt, tt, st, rt] = [tf.tensor2d(x, [n, d]), tf.tensor3d(protos, [c, LEAVES, d]), tf.tensor3d(tab, [c, LEAVES, m]), tf.tensor1d(scale), tf.tensor2d(r, [n, m])];
      const out = softLutMatMul(xt, pt, mask, st, t, tt);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, e: tf.Tensor) => tf.sum(tf.mul(softLutMatMul(a as tf.Tensor2D, b, mask, st, t, e), rt)))([xt, pt, tt]);
      expectClose(out, y, 1e-4);
      expectClose(grads[0], gx, 2e-3);
      expectClose(grads[1], gp, 2e-3);
      expectClose(grads[2], gt, 2e-3);
      // a prototype coordinate outside its codebook's subspace gets no gradient
      const g1 = grads[1].dataSync();
      for (let j = 0; j < c; j++) for (let k = 0; k < LEAVES; k++) for (let q = 0; q < d; q++) if (owner[q] !== j) expect(Math.abs(g1[(j * LEAVES + k) * d + q])).toBe(0);
      tf.dispose([ownerT, mask, xt, pt, tt, st, rt, out, ...grads]);
    });
  });

  it('temperature → 0 gives the nearest prototype (= the reference at t = 0), and harden reproduces it with trees; encoder inputs does not', () => {
    const rng = new SeededRandom(5);
    const [n, c, m] = [600, 2, 4];
    const { d, owner, x, protos } = patternData(n, c, rng);
    const tables = gauss(rng, c * LEAVES * m);
    const w = { owner, protos, scale: Float32Array.from([1, 1]), tables };
    const xt = tf.tensor2d(x, [n, d]);
    const hard = softRef(x, n, d, protos, owner, w.scale, 0, tables, c, m);
    const results: Record<string, number> = {};
    for (const encoder of ['prototypes', 'inputs'] as const) {
      const layer = softLayer(d, m, c, w, 1e-3);
      const maxDiff = (a: ArrayLike<number>) => Math.max(...Array.from(hard, (v, i) => Math.abs(v - a[i])));
      // t = 1e-3 (relative to scale 1; neighbouring patterns differ by ≥ 4 in squared distance): the soft output is the hard one
      expect(maxDiff(tf.tidy(() => layer.apply(xt) as tf.Tensor).dataSync())).toBeLessThan(1e-4);
      layer.temperature = 0;
      expect(maxDiff(tf.tidy(() => layer.apply(xt) as tf.Tensor).dataSync())).toBeLessThan(1e-4);
      layer.temperature = 1e-3;
      const report = expectNoLeak(() => layer.harden(xt, { encoder, lambda: 1e-6 }));
      expect(layer.mode).toBe('lut');
      expect(report.nearestPrototypeMse).toBeLessThan(1e-8);
      results[encoder] = maxDiff(tf.tidy(() => layer.apply(xt) as tf.Tensor).dataSync());
      if (encoder === 'prototypes') expect(Array.from(layer.getLUT().splitDims).every((q) => q % 5 !== 4)).toBe(true);
      layer.dispose();
    }
    // trees fitted to the prototypes' cells split on the ±1 dimensions and reproduce the hard output;
    // MADDNESS's trees on x split the wide dimension first and cannot
    expect(results.prototypes).toBeLessThan(1e-3);
    expect(results.inputs).toBeGreaterThan(0.1);
    xt.dispose();
  });

  it('convertToLUTDense soft: prototypes start as leaf means on their subspace; SoftLUTAnnealing anneals geometrically and hardens', async () => {
    const [n, d] = [256, 12];
    const { model, x, y } = tinyClassifier(8, n, d, 6);
    const { model: lm, layers } = await convertToLUTDense(model, { layers: [0], codebooks: 3, data: x, soft: true });
    const lut = layers[0];
    expect(lut.mode).toBe('soft');
    await expect(quantizeLUTDense(lm)).rejects.toThrow(/model: expected LUTDense layers in 'lut' mode \(fit them first; harden soft ones\), got '.*' in 'soft' mode/);
    // independent check of the initial prototypes: the mean of each leaf's rows, on the codebook's dimensions only
    const codes = tf.tidy(() => lut.encode(x)).dataSync();
    const xv = x.dataSync();
    const p = (lut.prototypes as NonNullable<LUTDense['prototypes']>).read().dataSync();
    const subs = (lut.fitReport as NonNullable<LUTDense['fitReport']>).subspaces;
    for (let j = 0; j < 3; j++) {
      for (let k = 0; k < LEAVES; k++) {
        const rows = Array.from({ length: n }, (_, i) => i).filter((i) => codes[i * 3 + j] === k);
        if (rows.length === 0) continue;
        for (let q = 0; q < d; q++) {
          const want = subs[j].includes(q) ? rows.reduce((s, i) => s + xv[i * d + q], 0) / rows.length : 0;
          expect(p[(j * LEAVES + k) * d + q]).toBeCloseTo(want, 4);
        }
      }
    }
    const seen: number[] = [];
    const probe = new (class extends tf.Callback {
      override async onBatchEnd() {
        seen.push(lut.temperature);
      }
    })();
    const anneal = new SoftLUTAnnealing({ layers, data: x, startTemperature: 1, endTemperature: 0.01 });
    lm.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' });
    const before = Array.from((lut.prototypes as NonNullable<LUTDense['prototypes']>).read().dataSync());
    await lm.fit(x, y, { epochs: 2, batchSize: 64, verbose: 0, shuffle: false, callbacks: [anneal, probe] });
    expect(seen.length).toBe(8);
    seen.forEach((t, i) => expect(t).toBeCloseTo(0.01 ** (i / 7), 6));
    // the prototypes trained (the soft path reaches them), and the layer ends hardened into trees
    const after = (lut.prototypes as NonNullable<LUTDense['prototypes']>).read().dataSync();
    expect(after.some((v, i) => v !== before[i])).toBe(true);
    expect(lut.mode).toBe('lut');
    expect(anneal.reports.length).toBe(1);
    expect(anneal.reports[0].outputMse).toBeLessThan(anneal.reports[0].targetMeanSquare);
    // a hardened layer is an ordinary float LUTDense: it quantizes (8-bit tables, the SIMD kernel)
    const q = await quantizeLUTDense(lm);
    expect(q.layers[0].quantized).toBe(true);
    expect(Array.from(q.layers[0].getLUT().splitDims)).toEqual(Array.from(lut.getLUT().splitDims));
    q.layers.forEach((l) => l.dispose());
    lm.dispose();
    tf.dispose([x, y]);
  });

  it("softAssignment 'tree': output and gradients (x, thresholds, tables) match a float64 reference and central differences; t = 0 is the tree walk", () => {
    const rng = new SeededRandom(12);
    const [n, d, m, c, t] = [5, 6, 3, 2, 0.6];
    const dims = Int32Array.from([0, 2, 1, 2, 5, 3, 4, 3]);
    const x = gauss(rng, n * d);
    const th = gauss(rng, c * 15, 0.5);
    const scale = Float32Array.from([0.8, 1.5]);
    const tab = gauss(rng, c * LEAVES * m);
    const r = gauss(rng, n * m);
    const loss = (xv: ArrayLike<number>, hv: ArrayLike<number>, tv: ArrayLike<number>) => softTreeRef(xv, n, d, dims, hv, scale, t, tv, c, m).reduce((s, v, i) => s + v * r[i], 0);
    expectNoLeak(() => {
      const [xt, dt, ht, st, tt, rt] = [tf.tensor2d(x, [n, d]), tf.tensor2d(dims, [c, 4], 'int32'), tf.tensor2d(th, [c, 15]), tf.tensor1d(scale), tf.tensor3d(tab, [c, LEAVES, m]), tf.tensor2d(r, [n, m])];
      const out = softTreeLutMatMul(xt, dt, ht, st, t, tt);
      expectClose(out, softTreeRef(x, n, d, dims, th, scale, t, tab, c, m), 1e-4);
      const hard = softTreeLutMatMul(xt, dt, ht, st, 0, tt);
      expectClose(hard, softTreeRef(x, n, d, dims, th, scale, 0, tab, c, m), 1e-6);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, e: tf.Tensor) => tf.sum(tf.mul(softTreeLutMatMul(a as tf.Tensor2D, dt, b, st, t, e), rt)))([xt, ht, tt]);
      expectClose(grads[0], numGrad(x, (w) => loss(w, th, tab)), 2e-3);
      expectClose(grads[1], numGrad(th, (w) => loss(x, w, tab)), 2e-3);
      expectClose(grads[2], numGrad(tab, (w) => loss(x, th, w)), 2e-3);
      tf.dispose([xt, dt, ht, st, tt, rt, out, hard, ...grads]);
    });
  });

  it("softAssignment 'tree' through convertToLUTDense and SoftLUTAnnealing: thresholds learn, hardening keeps them exactly", async () => {
    const [n, d] = [256, 10];
    const { model, x, y } = tinyClassifier(13, n, d, 5);
    const { model: lm, layers } = await convertToLUTDense(model, { layers: [0], codebooks: 2, data: x, soft: true, softAssignment: 'tree' });
    const lut = layers[0];
    expect(lut.mode).toBe('soft');
    expect(lut.prototypes).toBeNull();
    const th0 = Array.from(lut.getLUT().thresholds);
    const anneal = new SoftLUTAnnealing({ layers, data: x, endTemperature: 0.05 });
    lm.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' });
    await lm.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0, shuffle: false, callbacks: [anneal] });
    const p = lut.getLUT();
    expect(Array.from(p.thresholds).some((v, i) => v !== th0[i])).toBe(true);
    expect(lut.mode).toBe('lut');
    expect((lut.thresholds as NonNullable<LUTDense['thresholds']>).trainable).toBe(false);
    // the hardened layer is the t = 0 tree of the trained parameters (independent walk)
    const h = tf.tidy(() => lut.apply(x) as tf.Tensor);
    const got = h.dataSync();
    const b = (lut.bias as NonNullable<LUTDense['bias']>).read().dataSync();
    const want = softTreeRef(x.dataSync(), n, d, p.splitDims, p.thresholds, [1, 1], 0, p.tables, 2, 5);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(Math.max(0, want[i] + b[i % 5]), 4);
    expect(anneal.reports[0].encoder).toBe('tree');
    lm.dispose();
    tf.dispose([x, y, h]);
  });

  it("save → load in 'soft' mode is exact (prototypes, subspaces, scales, temperature)", async () => {
    const rng = new SeededRandom(9);
    const [n, c, m] = [40, 2, 3];
    const { d, owner, x, protos } = patternData(n, c, rng);
    const layer = softLayer(d, m, c, { owner, protos, scale: Float32Array.from([0.5, 2]), tables: gauss(rng, c * LEAVES * m) }, 0.3);
    const input = tf.input({ shape: [d] });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    const xt = tf.tensor2d(x, [n, d]);
    const loaded = await roundTrip(model);
    const restored = loaded.layers[1] as LUTDense;
    expect(restored.mode).toBe('soft');
    expect(restored.temperature).toBe(0.3);
    expect(restored.getConfig()).toEqual(layer.getConfig());
    const p1 = tf.tidy(() => model.predict(xt) as tf.Tensor).dataSync();
    const p2 = tf.tidy(() => loaded.predict(xt) as tf.Tensor).dataSync();
    expect(Array.from(p2)).toEqual(Array.from(p1));
    model.dispose();
    loaded.dispose();
    xt.dispose();
  });

  it('bad options are clear errors naming the argument, and leave the layer unchanged', async () => {
    expect(() => new LUTDense({ units: 2, codebooks: 1, mode: 'soft' })).toThrow(/mode: expected 'lut' or 'dense' \(mode 'soft' needs soft: true\)/);
    expect(() => new LUTDense({ units: 2, codebooks: 1, soft: true, quantized: true })).toThrow(/soft: expected false for quantized tables/);
    expect(() => new LUTDense({ units: 2, codebooks: 1, soft: true, temperature: -1 })).toThrow(/temperature: expected a finite number ≥ 0/);
    expect(() => new LUTDense({ units: 2, codebooks: 1, soft: true, softAssignment: 'leaves' as never })).toThrow(/softAssignment: expected one of/);
    const rng = new SeededRandom(4);
    const { d, owner, x, protos } = patternData(32, 1, rng);
    const layer = softLayer(d, 2, 1, { owner, protos, scale: Float32Array.from([1]), tables: gauss(rng, LEAVES * 2) });
    expect(() => (layer.temperature = NaN)).toThrow(/temperature: expected a finite number ≥ 0, got NaN/);
    const xt = tf.tensor2d(x, [32, d]);
    const before = layer.getLUT();
    expect(() => layer.harden(xt, { encoder: 'tree' as never })).toThrow(/encoder: expected one of/);
    expect(() => layer.harden(xt, { lambda: 0 })).toThrow(/lambda: expected a finite number > 0/);
    expect(() => layer.harden(xt, { lamda: 1 } as never)).toThrow(/unknown option 'lamda'/);
    expect(layer.getLUT()).toEqual(before);
    expect(layer.mode).toBe('soft');
    expect(() => new SoftLUTAnnealing({ layers: [layer], data: xt, startTemperature: 0.1, endTemperature: 1 })).toThrow(/endTemperature: expected at most startTemperature/);
    expect(() => new SoftLUTAnnealing({ layers: [layer] })).toThrow(/data: expected a tf.Tensor of model inputs/);
    expect(() => new SoftLUTAnnealing({ layers: [layer], data: xt, startTemp: 1 } as never)).toThrow(/unknown option 'startTemp'/);
    const plain = new LUTDense({ units: 2, codebooks: 1 });
    tf.dispose(plain.apply(tf.zeros([1, d])) as tf.Tensor);
    expect(() => new SoftLUTAnnealing({ layers: [plain], data: xt })).toThrow(/layers: expected LUTDense layers with soft-assignment weights/);
    expect(() => plain.initSoftAssignment(xt)).toThrow(/a layer with soft-assignment weights/);
    const dense = tf.sequential({ layers: [tf.layers.dense({ inputShape: [d], units: 2 })] });
    await expect(convertToLUTDense(dense, { codebooks: 1, data: xt, soft: true, fit: false })).rejects.toThrow(/soft: expected false with fit: false/);
    expect(() => hardenSoftLUT(dense, { layers: [layer], data: xt })).toThrow(/layers: expected layers of the model/);
    tf.dispose([xt]);
    layer.dispose();
    plain.dispose();
    dense.dispose();
  });
});
