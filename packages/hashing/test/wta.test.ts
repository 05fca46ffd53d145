import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { DWTAHash, WTAHash, hashFamilyFromConfig, wtaHash } from '../src';
import { SeededRandom } from '@hashlayers/core/internal';
import { codesOf, randn, rows } from './helpers';

/** WTA from its definition (Yagnik et al.): argmax of the permuted window, first on ties. */
function referenceWTA(x: Float32Array, h: WTAHash): number[] {
  const out: number[] = [];
  const cb = Math.ceil(Math.log2(h.window));
  for (let l = 0; l < h.tables; l++) {
    let id = 0;
    for (let j = 0; j < h.band; j++) {
      const perm = Array.from(h.indices.subarray((l * h.band + j) * h.window, (l * h.band + j + 1) * h.window));
      const vals = perm.map((d) => x[d]);
      const arg = vals.indexOf(Math.max(...vals));
      id += arg * 2 ** (j * cb);
    }
    out.push(id);
  }
  return out;
}

function collisionRate(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

describeBackends('WTAHash', () => {
  const dim = 96;
  const rng = new SeededRandom(3);

  it('equals the definition, ties to the earliest position', () => {
    const h = new WTAHash({ inputDim: dim, tables: 6, window: 8, band: 3, seed: 9 });
    const xs = Array.from({ length: 5 }, () => randn(rng, dim));
    // a row of small integers has many ties
    xs.push(Float32Array.from({ length: dim }, (_, i) => i % 3));
    const codes = codesOf(h.hash(rows(xs, dim)));
    xs.forEach((x, i) => expect(Array.from(codes.subarray(i * 6, i * 6 + 6))).toEqual(referenceWTA(x, h)));
  });

  it('compares and stores the permuted entry (a planted maximum is found)', () => {
    const h = new WTAHash({ inputDim: dim, tables: 1, window: 16, band: 1, seed: 1 });
    const target = 11; // position within the window
    const x = new Float32Array(dim);
    x[h.indices[target]] = 5;
    expect(codesOf(h.hash(rows([x], dim)))[0]).toBe(target);
  });

  it('is invariant to strictly increasing transforms', () => {
    const h = new WTAHash({ inputDim: dim, tables: 16, window: 4, band: 4, seed: 2 });
    const xs = Array.from({ length: 20 }, () => randn(rng, dim));
    const base = codesOf(h.hash(rows(xs, dim)));
    const transforms: ((v: number) => number)[] = [(v) => 3 * v + 7, (v) => Math.exp(v / 2), (v) => v * v * v, (v) => Math.atan(v) - 1];
    for (const f of transforms) {
      const t = xs.map((x) => Float32Array.from(x, f));
      expect(codesOf(h.hash(rows(t, dim)))).toEqual(base);
    }
  });

  it('collides more often as rank correlation rises', () => {
    const h = new WTAHash({ inputDim: dim, tables: 64, window: 4, band: 2, seed: 4 });
    const xs = Array.from({ length: 50 }, () => randn(rng, dim));
    const a = codesOf(h.hash(rows(xs, dim)));
    const rates = [2, 1, 0.5, 0.2].map((noise) => {
      const ys = xs.map((x) => Float32Array.from(x, (v) => v + noise * rng.gaussian()));
      return collisionRate(a, codesOf(h.hash(rows(ys, dim))));
    });
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeGreaterThan(rates[i - 1] + 0.02);
    // unrelated vectors collide at about chance: (1/window)^band per table
    const zs = xs.map(() => randn(rng, dim));
    expect(collisionRate(a, codesOf(h.hash(rows(zs, dim))))).toBeLessThan(0.1);
  });

  it('DWTA equals WTA on dense inputs', () => {
    const opts = { inputDim: dim, tables: 12, window: 8, band: 3, seed: 21 };
    const w = new WTAHash(opts);
    const d = new DWTAHash(opts);
    const xs = Array.from({ length: 30 }, () => randn(rng, dim));
    const x = rows(xs, dim);
    expect(codesOf(d.hash(x))).toEqual(codesOf(w.hash(x)));
    x.dispose();
  });

  it('DWTA gives valid, similarity-preserving codes on 95%-sparse inputs', () => {
    const sdim = 1000;
    const h = new DWTAHash({ inputDim: sdim, tables: 32, window: 8, band: 2, seed: 5 });
    const sparse = () => {
      const v = new Float32Array(sdim);
      for (let i = 0; i < sdim; i++) if (rng.next() < 0.05) v[i] = 0.1 + rng.next();
      return v;
    };
    const xs = Array.from({ length: 40 }, sparse);
    // WTA on such inputs: most windows are all zero and every code is "position 0"
    const codes = codesOf(h.hash(rows(xs, sdim)));
    const limit = 2 ** h.bitsPerTable;
    expect(codes.every((c) => c >= 0 && c < limit)).toBe(true);
    // empty windows are densified: code 0 is no more common than any other
    // (plain WTA sends every all-zero window to position 0: about 45% of codes here)
    const zeroShare = (c: Int32Array) => c.filter((v) => v === 0).length / c.length;
    expect(zeroShare(codes)).toBeLessThan(0.06);
    const plain = new WTAHash({ inputDim: sdim, tables: 32, window: 8, band: 2, seed: 5 });
    expect(zeroShare(codesOf(plain.hash(rows(xs, sdim))))).toBeGreaterThan(0.3);
    // near-duplicates (90% of non-zeros kept) collide far more than unrelated vectors
    const near = xs.map((x) => Float32Array.from(x, (v) => (v !== 0 && rng.next() < 0.1 ? 0 : v)));
    const nearRate = collisionRate(codes, codesOf(h.hash(rows(near, sdim))));
    const farRate = collisionRate(codes, codesOf(h.hash(rows(Array.from({ length: 40 }, sparse), sdim))));
    expect(nearRate).toBeGreaterThan(0.4);
    expect(farRate).toBeLessThan(0.1);
  });

  it('is symmetric and stateless: queries are hashed like items, nothing to save', () => {
    for (const h of [new WTAHash({ inputDim: dim, tables: 5, window: 8, band: 3, seed: 9 }), new DWTAHash({ inputDim: dim, tables: 5, window: 8, band: 3, seed: 9 })]) {
      const xs = Array.from({ length: 4 }, () => randn(rng, dim));
      expect(h.asymmetric).toBe(false);
      expect(h.state).toEqual({});
      const codes = codesOf(h.hashQueries(rows(xs, dim)));
      xs.forEach((x, i) => expect(Array.from(codes.subarray(i * 5, i * 5 + 5))).toEqual(referenceWTA(x, h)));
      const t = tf.zeros([1]);
      expect(() => h.adoptState({ indices: t as tf.Variable })).toThrow(/variables: expected no entries/);
      t.dispose();
    }
  });

  it('hashQueriesArray (JavaScript, no tfjs) gives hashQueries\' ids for WTA and DWTA, sparse rows and ties included; bad arrays are named', () => {
    for (const h of [new WTAHash({ inputDim: dim, tables: 7, window: 8, band: 3, seed: 4 }), new DWTAHash({ inputDim: dim, tables: 7, window: 8, band: 3, seed: 4 })]) {
      const xs = Array.from({ length: 9 }, (_, i) => {
        const v = randn(rng, dim);
        if (i % 3 === 1) for (let e = 0; e < dim; e++) if (rng.next() < 0.9) v[e] = 0; // sparse: DWTA densifies
        if (i % 3 === 2) v.fill(1.5, 0, dim / 2); // ties: the earliest position wins
        return v;
      });
      const x = rows(xs, dim);
      const flat = new Float32Array(xs.length * dim);
      xs.forEach((v, i) => flat.set(v, i * dim));
      const before = tf.memory().numTensors;
      const got = (h.hashQueriesArray as (x: Float32Array, batch: number) => Int32Array)(flat, xs.length);
      expect(tf.memory().numTensors).toBe(before);
      expect(Array.from(got)).toEqual(Array.from(codesOf(h.hashQueries(x))));
      expect(() => h.hashQueriesArray!(flat, xs.length + 1)).toThrow(/x: expected a Float32Array of batch × dim = 10 × 96 values, got 864 values/);
      const bad = flat.slice(0, dim);
      bad[3] = NaN;
      expect(() => h.hashQueriesArray!(bad, 1)).toThrow(/x: expected finite values, got NaN/);
      x.dispose();
    }
  });

  it('is deterministic in the seed, round-trips config, leaks nothing', () => {
    const a = new DWTAHash({ inputDim: dim, tables: 4, window: 6, bits: 9, seed: 8 });
    expect(a.band).toBe(3);
    const b = hashFamilyFromConfig(JSON.parse(JSON.stringify(a.getConfig())));
    const x = rows([randn(rng, dim), randn(rng, dim)], dim);
    expect(codesOf(b.hash(x))).toEqual(codesOf(a.hash(x)));
    expectNoLeak(() => a.hash(x).dispose());
    x.dispose();
  });

  it('rejects bad input with a clear error', () => {
    const before = tf.memory().numTensors;
    const h = new WTAHash({ inputDim: dim, tables: 4, window: 8, band: 2 });
    const wrong = tf.zeros([2, 5]) as tf.Tensor2D;
    const inf = tf.fill([1, dim], Infinity) as tf.Tensor2D;
    expect(() => h.hash(wrong)).toThrow(/x: expected 96 columns \(inputDim\), got a float32 tensor of shape \[2, 5\]/);
    expect(() => h.hash(inf)).toThrow(/x: expected finite values, got Infinity/);
    expect(() => new WTAHash({ inputDim: dim, tables: 4, window: 200 })).toThrow(/window: expected an integer in \[2, 96\], got 200/);
    expect(() => new WTAHash({ inputDim: dim, tables: 4, window: 8, band: 11 })).toThrow(/band: expected an integer in \[1, 10\], got 11/);
    expect(() => wtaHash(wrong, { tables: 1, band: 1, window: 2, indices: Int32Array.from([0, 9]) })).toThrow(/indices: expected values in \[0, 5\), got 9/);
    wrong.dispose();
    inf.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
