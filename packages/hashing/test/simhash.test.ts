import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { SimHash, hashFamilyFromConfig, packSignBits, simHash } from '../src';
import { SeededRandom } from '@hashlayers/core/internal';
import { codesOf, pairAtAngle, rows } from './helpers';

describeBackends('SimHash', () => {
  const dim = 64;

  it.each([
    ['gaussian', 0.02],
    ['sparse', 0.03],
  ] as const)('per-bit collision probability is 1 - θ/π (%s projections)', (projection, tol) => {
    const rng = new SeededRandom(7);
    const tables = 32;
    const bits = 16;
    const h = new SimHash({ inputDim: dim, tables, bits, seed: 3, projection });
    for (const theta of [0.2, Math.PI / 4, Math.PI / 2, 2.5]) {
      const pairs = Array.from({ length: 40 }, () => pairAtAngle(rng, dim, theta));
      const a = codesOf(h.hash(rows(pairs.map((p) => p[0]), dim)));
      const b = codesOf(h.hash(rows(pairs.map((p) => p[1]), dim)));
      let same = 0;
      for (let i = 0; i < a.length; i++) {
        const diff = a[i] ^ b[i];
        for (let k = 0; k < bits; k++) if (((diff >> k) & 1) === 0) same++;
      }
      const rate = same / (a.length * bits);
      // 20480 bit samples: standard error <= 0.0035, tolerance ~6 sigma
      expect(Math.abs(rate - (1 - theta / Math.PI))).toBeLessThan(tol);
    }
    h.dispose();
  });

  it('bucket ids are the packed signs of x · projection (independent reference)', () => {
    const h = new SimHash({ inputDim: 5, tables: 3, bits: 4, seed: 11 });
    const rng = new SeededRandom(1);
    const xs = Array.from({ length: 6 }, () => Float32Array.from({ length: 5 }, () => rng.gaussian()));
    const codes = codesOf(h.hash(rows(xs, 5)));
    const P = h.getProjection().arraySync();
    xs.forEach((x, i) => {
      for (let l = 0; l < 3; l++) {
        let id = 0;
        for (let k = 0; k < 4; k++) {
          let s = 0;
          for (let d = 0; d < 5; d++) s += x[d] * P[d][l * 4 + k];
          if (s > 0) id += 2 ** k;
        }
        expect(codes[i * 3 + l]).toBe(id);
      }
    });
    h.dispose();
  });

  it('a projection equal to zero gives bit 0', () => {
    const p = tf.tensor2d([[0, 1, -1, 0]], [1, 4]);
    expect(codesOf(packSignBits(p, { tables: 1, bits: 4 }))[0]).toBe(2);
    p.dispose();
  });

  it('is deterministic in the seed and round-trips its config', () => {
    const x = tf.randomNormal([8, dim], 0, 1, 'float32', 5) as tf.Tensor2D;
    const a = new SimHash({ inputDim: dim, tables: 4, bits: 12, seed: 42 });
    const b = hashFamilyFromConfig(JSON.parse(JSON.stringify(a.getConfig())));
    const c = new SimHash({ inputDim: dim, tables: 4, bits: 12, seed: 43 });
    expect(codesOf(b.hash(x))).toEqual(codesOf(a.hash(x)));
    expect(codesOf(c.hash(x))).not.toEqual(codesOf(a.hash(x)));
    [a, b, c].forEach((h) => h.dispose());
    x.dispose();
  });

  it('leaks no tensors', () => {
    const h = new SimHash({ inputDim: dim, tables: 4, bits: 8 });
    const x = tf.randomNormal([3, dim]) as tf.Tensor2D;
    h.getProjection();
    expectNoLeak(() => h.hash(x).dispose());
    h.dispose();
    x.dispose();
  });

  it('rejects bad input with a clear error', () => {
    const h = new SimHash({ inputDim: dim, tables: 4, bits: 8 });
    const before = tf.memory().numTensors;
    h.getProjection();
    const wrongDim = tf.zeros([2, dim + 1]) as tf.Tensor2D;
    const rank1 = tf.zeros([dim]) as unknown as tf.Tensor2D;
    const ints = tf.zeros([2, dim], 'int32') as tf.Tensor2D;
    const empty = tf.zeros([0, dim]) as tf.Tensor2D;
    const nan = tf.fill([2, dim], NaN) as tf.Tensor2D;
    expect(() => h.hash(wrongDim)).toThrow(/x: expected 64 columns, got shape \[2, 65\]/);
    expect(() => h.hash(rank1)).toThrow(/x: expected a rank-2 tensor, got rank 1/);
    expect(() => h.hash(ints)).toThrow(/x: expected dtype float32, got int32/);
    expect(() => h.hash(empty)).toThrow(/x: expected a non-empty batch/);
    expect(() => h.hash(nan)).toThrow(/finite values, got NaN/);
    expect(() => new SimHash({ inputDim: dim, tables: 0, bits: 8 })).toThrow(/tables: expected an integer in \[1, 4096\], got 0/);
    expect(() => new SimHash({ inputDim: dim, tables: 2, bits: 31 })).toThrow(/bits: expected an integer in \[1, 30\], got 31/);
    expect(() => simHash(wrongDim, h.getProjection(), { tables: 4, bits: 8 })).toThrow(/x: expected 64 columns/);
    [wrongDim, rank1, ints, empty, nan].forEach((t) => t.dispose());
    h.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
