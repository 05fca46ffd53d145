/**
 * Issue 17 (no silent wrong answers) for lut-dense: weights validated where
 * they enter, NaN inputs, corrupted files (load fuzz), and property tests of
 * the ops against an independent reference.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { corrupt, expectErrorOrIdentical, loadArtifacts, saveArtifacts } from '../../../tools/testing/artifacts';
import { convertToLUTDense, LUTDense, lutDense, lutMatMul, maddnessEncode } from '../src';

/** Reference encoding: level l, node b at (2^l − 1) + b; right when x > threshold. */
function refEncode(x: Float32Array, n: number, d: number, dims: Int32Array, thr: Float32Array, c: number): Int32Array {
  const out = new Int32Array(n * c);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) {
      let b = 0;
      for (let l = 0; l < 4; l++) b = 2 * b + (x[i * d + dims[j * 4 + l]] > thr[j * 15 + (1 << l) - 1 + b] ? 1 : 0);
      out[i * c + j] = b;
    }
  }
  return out;
}

function model(d: number, m: number, c: number, quantized = false): { model: tf.LayersModel; layer: LUTDense } {
  const input = tf.input({ shape: [d] });
  const layer = lutDense({ units: m, codebooks: c, quantized, seed: 3, name: 'lut' });
  const out = layer.apply(input) as tf.SymbolicTensor;
  const mdl = tf.model({ inputs: input, outputs: out });
  // fitted-like thresholds (random, finite) so the trees split
  const thr = tf.randomNormal([c, 15], 0, 1, 'float32', 5);
  layer.thresholds!.write(thr);
  thr.dispose();
  if (quantized) {
    // whatever the stored layout of 8-bit tables, random entries in [0, 255]
    const t = tf.tidy(() => tf.cast(tf.floor(tf.randomUniform(layer.tables!.shape as number[], 0, 255, 'float32', 6)), 'int32'));
    layer.tables!.write(t);
    t.dispose();
  }
  return { model: mdl, layer };
}

const snapshot = (layer: LUTDense): Float32Array[] => layer.getWeights().map((w) => Float32Array.from(w.dataSync()));

describeBackends('lut-dense reliability', () => {
  test('class 1: setWeights with out-of-range split_dims or NaN thresholds fails naming layer and weight; nothing changes', () => {
    const { model: mdl, layer } = model(6, 3, 2);
    const before = snapshot(layer);
    const w = layer.getWeights();
    const at = (n: string): number => layer.weights.findIndex((v) => v.originalName.endsWith(`/${n}`));
    const cases: [string, tf.Tensor, RegExp][] = [
      ['split_dims', tf.tensor2d([0, 1, 2, 6, 0, 1, 2, 3], [2, 4], 'int32'), /lut\/split_dims: expected values in \[0, 5\], got 6/],
      ['thresholds', tf.fill([2, 15], NaN), /lut\/thresholds: expected finite values, got NaN/],
      ['tables', tf.fill([2, 16, 3], Infinity), /lut\/tables: expected finite values/],
      ['bias', tf.tensor1d([0, NaN, 0]), /lut\/bias: expected finite values/],
    ];
    for (const [name, value, msg] of cases) {
      const bad = w.slice();
      bad[at(name)] = value;
      expect(() => layer.setWeights(bad)).toThrow(msg);
      value.dispose();
    }
    expect(snapshot(layer)).toEqual(before);
    mdl.dispose();
  });

  test('class 1: a saved model with out-of-range split_dims, NaN thresholds or out-of-range 8-bit tables does not load', async () => {
    for (const quantized of [false, true]) {
      const { model: mdl } = model(5, 3, 2, quantized);
      const a = await saveArtifacts(mdl);
      const specs = a.weightSpecs!;
      const at = (name: string): number => {
        let o = 0;
        for (const s of specs) {
          if (s.name.endsWith(name)) return o;
          o += 4 * s.shape.reduce((p, q) => p * q, 1);
        }
        throw new Error(name);
      };
      const cases: [string, (v: DataView) => void, RegExp][] = [
        ['split_dims', (v) => v.setInt32(at('split_dims') + 4, 5, true), /lut\/split_dims: expected values in \[0, 4\], got 5/],
        ['split_dims', (v) => v.setInt32(at('split_dims'), -1, true), /lut\/split_dims/],
        ['thresholds', (v) => v.setFloat32(at('thresholds') + 8, NaN, true), /lut\/thresholds: expected finite values, got NaN/],
      ];
      for (const [, edit, msg] of cases) {
        const data = (a.weightData as ArrayBuffer).slice(0);
        edit(new DataView(data));
        await expect(loadArtifacts({ ...a, weightData: data })).rejects.toThrow(msg);
      }
      mdl.dispose();
    }
  });

  test('class 2: NaN/Infinity rows give NaN outputs (as Dense), other rows unchanged; the ops refuse them', () => {
    const { model: mdl, layer } = model(4, 3, 2);
    const x = tf.tensor2d([0.1, 0.2, -0.3, 0.4, NaN, 0, 0, 0, 1, 2, 3, Infinity, 0.5, 0.5, 0.5, 0.5], [4, 4]);
    const clean = tf.tensor2d([0.1, 0.2, -0.3, 0.4, 0.5, 0.5, 0.5, 0.5], [2, 4]);
    const y = expectNoLeak(() => mdl.predict(x) as tf.Tensor, 1);
    const yc = mdl.predict(clean) as tf.Tensor;
    const v = y.dataSync();
    const vc = yc.dataSync();
    for (let j = 0; j < 3; j++) {
      expect(v[j]).toBe(vc[j]);
      expect(v[9 + j]).toBe(vc[3 + j]);
      expect(Number.isNaN(v[3 + j])).toBe(true);
      expect(Number.isNaN(v[6 + j])).toBe(true);
    }
    expect(() => maddnessEncode(x as tf.Tensor2D, layer.splitDims!.read() as tf.Tensor2D, layer.thresholds!.read() as tf.Tensor2D)).toThrow(/x: expected finite values, got NaN/);
    expect(() => lutMatMul(x as tf.Tensor2D, layer.splitDims!.read() as tf.Tensor2D, layer.thresholds!.read() as tf.Tensor2D, layer.tables!.read() as tf.Tensor3D)).toThrow(/x: expected finite values/);
    expect(() => layer.encode(x as tf.Tensor2D)).toThrow(/x: expected finite values/);
    tf.dispose([x, clean, y, yc]);
    mdl.dispose();
  });

  test('class 5: fitTables and convertToLUTDense refuse NaN kernels, biases and inputs; the layer is unchanged', async () => {
    const layer = lutDense({ units: 3, codebooks: 2, keepKernel: true, name: 'lut5' });
    layer.apply(tf.zeros([1, 4]));
    const before = snapshot(layer);
    const x = tf.randomNormal([64, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const k = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, NaN], [4, 3]);
    expect(() => layer.fitTables(x, { kernel: k })).toThrow(/kernel: expected finite values, got NaN/);
    const b = tf.tensor1d([0, Infinity, 0]);
    expect(() => layer.fitTables(x, { bias: b })).toThrow(/bias: expected finite values, got Infinity/);
    const xn = tf.tensor2d(Float32Array.from({ length: 64 * 4 }, (_, i) => (i === 17 ? NaN : i % 7)), [64, 4]);
    expect(() => layer.fitTables(xn)).toThrow(/inputs: expected finite values/);
    expect(snapshot(layer)).toEqual(before);
    // a Dense whose kernel holds NaN
    const input = tf.input({ shape: [4] });
    const dense = tf.layers.dense({ units: 3, name: 'd5' });
    const mdl = tf.model({ inputs: input, outputs: dense.apply(input) as tf.SymbolicTensor });
    const w = dense.getWeights();
    const kk = w[0].arraySync() as number[][];
    kk[2][1] = NaN;
    dense.setWeights([tf.tensor2d(kk), w[1]]);
    await expect(convertToLUTDense(mdl, { codebooks: 2, data: x })).rejects.toThrow(/kernel \('d5'\): expected finite values, got NaN/);
    tf.dispose([x, k, b, xn]);
    layer.dispose();
    mdl.dispose();
  });

  test('class 11/12: unknown options, non-boolean flags, a missing options object and huge sizes are clear errors', () => {
    expect(() => lutDense({ units: 3, codebooks: 2, unit: 4 } as never)).toThrow(/unknown option 'unit'/);
    expect(() => lutDense({ units: 3, codebooks: 2, useBias: 'no' } as never)).toThrow(/useBias: expected a boolean, got 'no'/);
    expect(() => lutDense(undefined as never)).toThrow(/args: expected an object/);
    expect(() => lutDense({ units: 2 ** 26, codebooks: 64 })).toThrow(/units: expected/);
  });

  test('load fuzz: 36 seeded corruptions of a saved LUTDense → a clear error or an identical model', async () => {
    for (const quantized of [false, true]) {
      const { model: mdl } = model(5, 3, 2, quantized);
      const a = await saveArtifacts(mdl);
      const probe = tf.randomNormal([8, 5], 0, 1, 'float32', 9);
      const run = (m: tf.LayersModel): Float32Array => tf.tidy(() => (m.predict(probe) as tf.Tensor).dataSync() as Float32Array);
      const expected = run(mdl);
      const tally = { error: 0, identical: 0 };
      for (let seed = 0; seed < 18; seed++) tally[await expectErrorOrIdentical(corrupt(a, 'LUTDense', seed), expected, run)]++;
      expect(tally.error).toBeGreaterThan(0);
      probe.dispose();
      mdl.dispose();
    }
  });

  test('property: maddnessEncode and lutMatMul match the reference over random shapes and values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1e6 }), (n, d, c, m, seed) => {
        let s = seed + 1;
        const r = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
        const x = Float32Array.from({ length: n * d }, () => Math.round(r() * 8) / 4); // ties with thresholds happen
        const dims = Int32Array.from({ length: c * 4 }, () => Math.floor(((r() + 1) / 2) * d) % d);
        const thr = Float32Array.from({ length: c * 15 }, () => Math.round(r() * 8) / 4);
        const tab = Float32Array.from({ length: c * 16 * m }, () => r());
        const want = refEncode(x, n, d, dims, thr, c);
        const xt = tf.tensor2d(x, [n, d]);
        const dt = tf.tensor2d(dims, [c, 4], 'int32');
        const tt = tf.tensor2d(thr, [c, 15]);
        const tb = tf.tensor3d(tab, [c, 16, m]);
        const codes = expectNoLeak(() => maddnessEncode(xt, dt, tt), 1);
        const y = lutMatMul(xt, dt, tt, tb);
        const got = codes.dataSync();
        const yv = y.dataSync();
        tf.dispose([xt, dt, tt, tb, codes, y]);
        expect(Array.from(got)).toEqual(Array.from(want));
        for (let i = 0; i < n; i++) {
          for (let q = 0; q < m; q++) {
            let ref = 0;
            for (let j = 0; j < c; j++) ref += tab[(j * 16 + want[i * c + j]) * m + q];
            expect(Math.abs(yv[i * m + q] - ref)).toBeLessThan(1e-5 * (1 + Math.abs(ref)) + 1e-5);
          }
        }
      }),
      { numRuns: 30, seed: 17 },
    );
  });
});

describeBackends('lut-dense reliability: conversion options', () => {
  test('class 11: a misspelt convertToLUTDense option is an error, not ignored', async () => {
    const input = tf.input({ shape: [4] });
    const mdl = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3 }).apply(input) as tf.SymbolicTensor });
    const x = tf.randomNormal([32, 4], 0, 1, 'float32', 1);
    await expect(convertToLUTDense(mdl, { codebooks: 2, data: x, quantise: true } as never)).rejects.toThrow(/options: expected only the options .*, got unknown option 'quantise'/);
    x.dispose();
    mdl.dispose();
  });
});
