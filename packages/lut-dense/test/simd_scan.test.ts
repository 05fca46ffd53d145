import * as tf from '@tensorflow/tfjs';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { roundTrip } from '../../../tools/testing/artifacts';
import { lutSimdKernels, SeededRandom, setWasmSimdKernels } from '@hashlayers/core/internal';
import { convertToLUTDense, LUTDense, quantizeLUTDense } from '../src';
import { lutMatMulU8Unchecked } from '../src/ops/lut_matmul_u8';
import { packTables, unpackTables } from '../src/fit/quantize';
import { SIMD_MAX_CODEBOOKS } from '../src/kernels/lut_matmul_u8';

/** The leaf of one row, by an explicit recursion over the tree (ties go left), independent of the kernels. */
function leaf(row: ArrayLike<number>, dims: ArrayLike<number>, thr: ArrayLike<number>, j: number, level = 0, b = 0): number {
  if (level === 4) return b;
  const goRight = row[dims[j * 4 + level]] > thr[j * 15 + (1 << level) - 1 + b];
  return leaf(row, dims, thr, j, level + 1, 2 * b + (goRight ? 1 : 0));
}

/** out = (Σ_j q[j, leaf_j, m]) · scale + offset (+ bias), each step rounded to float32; NaN rows for non-finite x. */
function reference(
  x: Float32Array, n: number, d: number, dims: Int32Array, thr: Float32Array, c: number,
  q: Int32Array, m: number, scale: Float32Array, offset: Float32Array, bias: Float32Array | null,
): Float32Array {
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * d, (i + 1) * d);
    const leaves = Array.from({ length: c }, (_, j) => leaf(row, dims, thr, j));
    const finite = row.every((v) => Number.isFinite(v));
    for (let o = 0; o < m; o++) {
      let sum = 0;
      for (let j = 0; j < c; j++) sum += q[(j * 16 + leaves[j]) * m + o];
      let v = Math.fround(Math.fround(sum * scale[o]) + offset[o]);
      if (bias) v = Math.fround(v + bias[o]);
      out[i * m + o] = finite ? v : NaN;
    }
  }
  return out;
}

function problem(rng: SeededRandom, n: number, d: number, c: number, m: number, full = false) {
  // inputs and thresholds on a coarse grid: a fifth of the comparisons are exact ties
  const x = Float32Array.from({ length: n * d }, () => rng.int(5) - 2);
  const dims = Int32Array.from({ length: c * 4 }, () => rng.int(d));
  const thr = Float32Array.from({ length: c * 15 }, () => rng.int(5) - 2);
  const q = Int32Array.from({ length: c * 16 * m }, () => (full ? 255 : rng.int(256)));
  const scale = Float32Array.from({ length: m }, () => 0.001 + rng.next() * 0.01);
  const offset = Float32Array.from({ length: m }, () => rng.gaussian());
  const bias = Float32Array.from({ length: m }, () => rng.gaussian());
  return { x, dims, thr, q, scale, offset, bias };
}

function run(p: ReturnType<typeof problem>, n: number, d: number, c: number, m: number, useBias: boolean): Float32Array {
  return tf.tidy(() => {
    const y = lutMatMulU8Unchecked(
      tf.tensor2d(p.x, [n, d]),
      tf.tensor2d(p.dims, [c, 4], 'int32'),
      tf.tensor2d(p.thr, [c, 15]),
      tf.tensor3d(packTables(p.q, c, m), [c, m, 4], 'int32'),
      tf.tensor1d(p.scale),
      tf.tensor1d(p.offset),
      useBias ? tf.tensor1d(p.bias) : null,
    );
    return y.dataSync() as Float32Array;
  });
}

const bits = (a: Float32Array) => Array.from(new Int32Array(a.buffer, a.byteOffset, a.length));

describe('8-bit table packing', () => {
  it('packs four leaves per int32 word, leaf 4w + k in byte k, and unpacks exactly', () => {
    const rng = new SeededRandom(3);
    const c = 3;
    const m = 5;
    const q = Int32Array.from({ length: c * 16 * m }, () => rng.int(256));
    const packed = packTables(q, c, m);
    expect(packed.length).toBe((c * 16 * m) / 4); // a quarter of the int32 storage
    const bytes = new Uint8Array(packed.buffer);
    for (let j = 0; j < c; j++) {
      for (let o = 0; o < m; o++) {
        for (let k = 0; k < 16; k++) expect(bytes[(j * m + o) * 16 + k]).toBe(q[(j * 16 + k) * m + o]);
      }
    }
    expect(Array.from(unpackTables(packed, c, m))).toEqual(Array.from(q));
  });

  it('the SIMD kernels are available in this engine (so the tests below exercise them)', () => {
    expect(lutSimdKernels(new WebAssembly.Memory({ initial: 1 }))).not.toBeNull();
  });
});

describeBackends('quantized look-up kernel (WebAssembly SIMD scan)', () => {
  afterEach(() => setWasmSimdKernels(true));

  // rows around the 16/32-row blocks, outputs around the groups of four, codebooks up to the 16-bit limit
  const cases: [number, number, number, number][] = [
    [1, 7, 1, 1],
    [5, 9, 3, 3],
    [16, 12, 4, 4],
    [31, 20, 5, 7],
    [32, 16, 8, 16],
    [33, 30, 16, 37],
    [70, 64, 32, 10],
    [3, 40, 64, 13],
  ];

  it('equals the independent reference bit for bit, with and without bias, SIMD on and off', () => {
    const rng = new SeededRandom(11);
    for (const [n, d, c, m] of cases) {
      const p = problem(rng, n, d, c, m);
      for (const useBias of [true, false]) {
        const want = bits(reference(p.x, n, d, p.dims, p.thr, c, p.q, m, p.scale, p.offset, useBias ? p.bias : null));
        expect(bits(run(p, n, d, c, m, useBias))).toEqual(want);
        setWasmSimdKernels(false);
        expect(bits(run(p, n, d, c, m, useBias))).toEqual(want);
        setWasmSimdKernels(true);
      }
    }
  });

  it('16-bit accumulation is exact up to its limit: 256 codebooks of entries 255 (and 257 by the JavaScript loop)', () => {
    const rng = new SeededRandom(5);
    for (const c of [SIMD_MAX_CODEBOOKS, SIMD_MAX_CODEBOOKS + 1]) {
      const n = 40;
      const d = 300;
      const m = 6;
      const p = problem(rng, n, d, c, m, true);
      p.scale.fill(1);
      p.offset.fill(0);
      const y = run(p, n, d, c, m, false);
      expect(Array.from(new Set(y))).toEqual([c * 255]);
    }
  });

  it('rows with NaN or ±Infinity give NaN outputs (other rows unchanged)', () => {
    const rng = new SeededRandom(9);
    const [n, d, c, m] = [35, 21, 6, 9];
    const p = problem(rng, n, d, c, m);
    p.x[2 * d + 20] = NaN; // in the scalar tail of a row
    p.x[17 * d + 3] = Infinity; // in a SIMD block
    p.x[34 * d] = -Infinity;
    const want = bits(reference(p.x, n, d, p.dims, p.thr, c, p.q, m, p.scale, p.offset, p.bias));
    const y = run(p, n, d, c, m, true);
    expect(bits(y)).toEqual(want);
    expect(Number.isNaN(y[2 * m])).toBe(true);
    expect(Number.isNaN(y[3 * m])).toBe(false);
  });

  it('reuses the weights copied once, sees new weights, and leaks no tensor', () => {
    const rng = new SeededRandom(4);
    const [n, d, c, m] = [20, 10, 4, 6];
    const p = problem(rng, n, d, c, m);
    const x = tf.tensor2d(p.x, [n, d]);
    const dims = tf.tensor2d(p.dims, [c, 4], 'int32');
    const thr = tf.tensor2d(p.thr, [c, 15]);
    const t = tf.tensor3d(packTables(p.q, c, m), [c, m, 4], 'int32');
    const s = tf.tensor1d(p.scale);
    const o = tf.tensor1d(p.offset);
    const want = bits(reference(p.x, n, d, p.dims, p.thr, c, p.q, m, p.scale, p.offset, null));
    for (let r = 0; r < 3; r++) {
      const y = expectNoLeak(() => lutMatMulU8Unchecked(x, dims, thr, t, s, o, null), 1);
      expect(bits(y.dataSync() as Float32Array)).toEqual(want);
      y.dispose();
    }
    // the same tables with another offset: the copied weights are refreshed
    const o2 = tf.tensor1d(p.offset.map((v) => v + 1));
    const y2 = lutMatMulU8Unchecked(x, dims, thr, t, s, o2, null);
    expect(bits(y2.dataSync() as Float32Array)).toEqual(bits(reference(p.x, n, d, p.dims, p.thr, c, p.q, m, p.scale, p.offset.map((v) => v + 1), null)));
    tf.dispose([x, dims, thr, t, s, o, o2, y2]);
  });
});


describeBackends('quantizeLUTDense (fine-tuned float tables → packed 8-bit tables)', () => {
  it('keeps trees and bias, stays within C·scale/2 of the float model, stores a quarter of the bytes, saves and loads exactly', async () => {
    const rng = new SeededRandom(21);
    const [d, h, m, c] = [24, 20, 6, 6];
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [d], units: h, activation: 'linear', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }), biasInitializer: tf.initializers.randomNormal({ seed: 2 }) }),
        tf.layers.dense({ units: m, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }),
      ],
    });
    const x = tf.tensor2d(Float32Array.from({ length: 300 * d }, () => rng.gaussian()), [300, d]);
    const { model: lutModel, layers } = await convertToLUTDense(model, { codebooks: c, data: x });
    const { model: q, layers: ql, reports } = await quantizeLUTDense(lutModel);
    expect(ql.map((l) => l.quantized)).toEqual([true, true]);
    expect(reports.map((r) => r.layer)).toEqual(layers.map((l) => l.name));
    // same trees and bias; tables a quarter of the float bytes
    for (let i = 0; i < 2; i++) {
      const a = layers[i].getLUT();
      const b = ql[i].getLUT();
      expect(Array.from(b.splitDims)).toEqual(Array.from(a.splitDims));
      expect(Array.from(b.thresholds)).toEqual(Array.from(a.thresholds));
      expect(ql[i].tables?.shape).toEqual([c, layers[i].units, 4]);
      expect(Array.from(ql[i].bias?.read().dataSync() ?? [])).toEqual(Array.from(layers[i].bias?.read().dataSync() ?? []));
    }
    // first layer (linear): every output within its bound of the float layer's
    const xt = tf.tensor2d(Float32Array.from({ length: 50 * d }, () => rng.gaussian()), [50, d]);
    const yf = tf.tidy(() => (layers[0].apply(xt) as tf.Tensor).dataSync());
    const yq = tf.tidy(() => (ql[0].apply(xt) as tf.Tensor).dataSync());
    const bound = reports[0].errorBound;
    for (let i = 0; i < yf.length; i++) expect(Math.abs(yq[i] - yf[i])).toBeLessThanOrEqual(bound[i % h] * (1 + 1e-4) + 1e-5);
    // the whole quantized model saves and loads exactly
    const loaded = await roundTrip(q);
    const p1 = tf.tidy(() => (q.predict(xt) as tf.Tensor).dataSync());
    const p2 = tf.tidy(() => (loaded.predict(xt) as tf.Tensor).dataSync());
    expect(Array.from(p2)).toEqual(Array.from(p1));
    expect((loaded.layers.find((l) => l instanceof LUTDense) as LUTDense).quantized).toBe(true);
    // a model with no float LUTDense left is refused, naming what it expected
    await expect(quantizeLUTDense(q)).rejects.toThrow(/model: expected a chain model with at least one LUTDense layer with float tables/);
    loaded.dispose();
    tf.dispose([x, xt]);
  });
});
