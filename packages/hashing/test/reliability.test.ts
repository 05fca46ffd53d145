/**
 * Issue 17 (resource bounds) for hashing: retrievePadded allocates at most
 * the index size per query, DWTA on rows without non-zeros takes no probes,
 * and fast-check properties of the WTA/DWTA hashes.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { DWTAHash, HashIndex, SimHash, WTAHash } from '../src';
import { codesOf } from './helpers';

describeBackends('hashing reliability', () => {
  test('class 13: retrievePadded with a huge maxCandidates allocates at most the index size per query', () => {
    const index = new HashIndex(new SimHash({ inputDim: 8, tables: 4, bits: 2, seed: 1 }));
    const items = tf.randomNormal([100, 8], 0, 1, 'float32', 2) as tf.Tensor2D;
    index.build(items);
    const q = tf.randomNormal([3, 8], 0, 1, 'float32', 3) as tf.Tensor2D;
    const big = expectNoLeak(() => index.retrievePadded(q, { maxCandidates: 2 ** 28 }), 2);
    const ref = index.retrievePadded(q, { maxCandidates: 100 });
    expect(big.candidates.shape).toEqual([3, 100]);
    expect(Array.from(big.candidates.dataSync())).toEqual(Array.from(ref.candidates.dataSync()));
    expect(Array.from(big.counts.dataSync())).toEqual(Array.from(ref.counts.dataSync()));
    tf.dispose([items, q, big.candidates, big.counts, ref.candidates, ref.counts]);
  });

  test('class 13: DWTA at its largest maxProbes on all-zero rows is immediate (every code 0, as after failed probes)', () => {
    const family = new DWTAHash({ inputDim: 64, tables: 32, window: 8, band: 3, seed: 4, maxProbes: 1 << 20 });
    const x = tf.zeros([16, 64]) as tf.Tensor2D;
    const t0 = Date.now();
    const codes = codesOf(family.hash(x));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(codes.every((c) => c === 0)).toBe(true);
    x.dispose();
    family.dispose();
  });

  test('property: DWTA equals WTA (same seed) on inputs without zeros; WTA codes lie in [0, 2^bits)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1e6 }), (dim, tables, band, n, seed) => {
        const window = Math.min(dim, 2 + (seed % 7));
        const wta = new WTAHash({ inputDim: dim, tables, window, band, seed });
        const dwta = new DWTAHash({ inputDim: dim, tables, window, band, seed });
        // values without zeros, with ties
        const x = tf.tidy(() => tf.add(tf.round(tf.mul(tf.randomUniform([n, dim], 0, 1, 'float32', seed), 4)), 1)) as tf.Tensor2D;
        const a = codesOf(wta.hash(x));
        const b = codesOf(dwta.hash(x));
        x.dispose();
        expect(Array.from(b)).toEqual(Array.from(a));
        expect(a.every((c) => c >= 0 && c < 2 ** wta.bitsPerTable)).toBe(true);
        wta.dispose();
        dwta.dispose();
      }),
      { numRuns: 30, seed: 17 },
    );
  });
});

describeBackends('hashing reliability: errors name the culprit', () => {
  test('class 12: simHash with a NaN projection blames the projection, with a NaN input blames x', () => {
    const { simHash } = jest.requireActual('../src') as typeof import('../src');
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const p = tf.tensor2d([[1, NaN], [0, 1]]);
    expect(() => simHash(x, p, { tables: 1, bits: 2 })).toThrow(/projection: expected finite values, got NaN/);
    const xn = tf.tensor2d([[1, NaN], [3, 4]]);
    const pf = tf.tensor2d([[1, 0], [0, 1]]);
    expect(() => simHash(xn, pf, { tables: 1, bits: 2 })).toThrow(/^x: expected finite values, got NaN/);
    tf.dispose([x, p, xn, pf]);
  });
});
