import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { HashIndex, LearnedHash, SimHash, hashFamilyFromConfig, packSignBits, simHash } from '../src';
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

/** Bucket ids from their definition: bit k of table l is [x · P[:, l·bits + k] > 0]. */
function signCodes(xs: number[][], P: number[][], tables: number, bits: number): number[] {
  const out: number[] = [];
  for (const x of xs) {
    for (let l = 0; l < tables; l++) {
      let id = 0;
      for (let k = 0; k < bits; k++) {
        let s = 0;
        for (let d = 0; d < x.length; d++) s += x[d] * P[d][l * bits + k];
        if (s > 0) id += 2 ** k;
      }
      out.push(id);
    }
  }
  return out;
}

describeBackends('LearnedHash (the family interface: items vs queries, state)', () => {
  const dim = 7;
  const rng = new SeededRandom(5);
  const xs = Array.from({ length: 6 }, () => Array.from({ length: dim }, () => rng.gaussian()));
  const x = () => tf.tensor2d(xs) as tf.Tensor2D;

  it('untrained, symmetric or asymmetric, it hashes items and queries like SimHash with the same seed', () => {
    const sim = new SimHash({ inputDim: dim, tables: 3, bits: 5, seed: 4 });
    const P = sim.getProjection().arraySync();
    const ref = signCodes(xs, P, 3, 5);
    for (const asymmetric of [false, true]) {
      const h = new LearnedHash({ inputDim: dim, tables: 3, bits: 5, seed: 4, asymmetric });
      expect(h.asymmetric).toBe(asymmetric);
      expect(Array.from(codesOf(h.hash(x())))).toEqual(ref);
      expect(Array.from(codesOf(h.hashQueries(x())))).toEqual(ref);
      h.dispose();
    }
    sim.dispose();
  });

  it('asymmetric: items use label_projection, queries query_projection (independent reference)', () => {
    const h = new LearnedHash({ inputDim: dim, tables: 2, bits: 4, seed: 1, asymmetric: true });
    expect(Object.keys(h.state).sort()).toEqual(['label_projection', 'query_projection']);
    expect(h.state.query_projection).toBe(h.queryProjection);
    expect(h.state.label_projection).toBe(h.projection);
    const Pq = tf.randomNormal([dim, 8], 0, 1, 'float32', 2) as tf.Tensor2D;
    const Pl = tf.randomNormal([dim, 8], 0, 1, 'float32', 3) as tf.Tensor2D;
    h.setState({ query_projection: Pq, label_projection: Pl });
    expect(Array.from(codesOf(h.hash(x())))).toEqual(signCodes(xs, Pl.arraySync(), 2, 4));
    expect(Array.from(codesOf(h.hashQueries(x())))).toEqual(signCodes(xs, Pq.arraySync(), 2, 4));
    // config + state restore the family exactly
    const copy = hashFamilyFromConfig(JSON.parse(JSON.stringify(h.getConfig())), h.state);
    expect(copy.asymmetric).toBe(true);
    expect(Array.from(codesOf(copy.hash(x())))).toEqual(signCodes(xs, Pl.arraySync(), 2, 4));
    expect(Array.from(codesOf(copy.hashQueries(x())))).toEqual(signCodes(xs, Pq.arraySync(), 2, 4));
    [h, copy].forEach((f) => f.dispose());
    tf.dispose([Pq, Pl]);
  });

  it('symmetric: one state entry, query_projection, hashes both sides', () => {
    const h = new LearnedHash({ inputDim: dim, tables: 2, bits: 4, seed: 1 });
    expect(Object.keys(h.state)).toEqual(['query_projection']);
    expect(h.queryProjection).toBe(h.projection);
    const P = tf.randomNormal([dim, 8], 0, 1, 'float32', 6) as tf.Tensor2D;
    h.setState({ query_projection: P });
    const ref = signCodes(xs, P.arraySync(), 2, 4);
    expect(Array.from(codesOf(h.hash(x())))).toEqual(ref);
    expect(Array.from(codesOf(h.hashQueries(x())))).toEqual(ref);
    h.dispose();
    P.dispose();
  });

  it('adoptState: hashes with the adopted variables (and sees their later writes), never disposes them', () => {
    const h = new LearnedHash({ inputDim: dim, tables: 2, bits: 4, seed: 1, asymmetric: true });
    const q = tf.tidy(() => tf.variable(tf.randomNormal([dim, 8], 0, 1, 'float32', 7), false));
    const l = tf.tidy(() => tf.variable(tf.randomNormal([dim, 8], 0, 1, 'float32', 8), false));
    const before = tf.memory().numTensors;
    h.adoptState({ query_projection: q, label_projection: l });
    // the family's own two variables are freed, the adopted ones are used
    expect(tf.memory().numTensors).toBe(before - 2);
    expect(Array.from(codesOf(h.hashQueries(x())))).toEqual(signCodes(xs, q.arraySync() as number[][], 2, 4));
    const P = tf.randomNormal([dim, 8], 0, 1, 'float32', 9) as tf.Tensor2D;
    l.assign(P); // e.g. tf.loadLayersModel writing the layer weight
    expect(Array.from(codesOf(h.hash(x())))).toEqual(signCodes(xs, P.arraySync(), 2, 4));
    h.dispose();
    expect(q.isDisposed || l.isDisposed).toBe(false);
    tf.dispose([q, l, P]);
  });

  it('HashIndex hashes items with hash and queries with hashQueries', () => {
    const h = new LearnedHash({ inputDim: dim, tables: 2, bits: 3, seed: 1, asymmetric: true });
    const Pl = tf.randomNormal([dim, 6], 0, 1, 'float32', 10) as tf.Tensor2D;
    const Pq = tf.neg(Pl);
    h.setState({ query_projection: Pq, label_projection: Pl });
    const index = new HashIndex(h);
    const items = x();
    index.build(items);
    expect(Array.from(index.codes())).toEqual(signCodes(xs, Pl.arraySync(), 2, 3));
    const negated = tf.neg(Pl).arraySync() as number[][];
    expect(Array.from(codesOf(index.hashQueries(items)))).toEqual(signCodes(xs, negated, 2, 3));
    index.dispose();
    h.dispose();
    tf.dispose([Pl, Pq, items]);
  });

  it('rejects bad state with a clear error and leaves the state untouched', () => {
    const h = new LearnedHash({ inputDim: dim, tables: 2, bits: 4, seed: 1, asymmetric: true });
    const q0 = Array.from(h.queryProjection.dataSync());
    const good = tf.zeros([dim, 8]);
    const bad = tf.zeros([dim, 9]);
    const before = tf.memory().numTensors;
    expect(() => h.setState({ query_projection: good })).toThrow(/values: expected the entries label_projection, query_projection, got the entries query_projection/);
    expect(() => h.setState({ query_projection: good, label_projection: bad })).toThrow(/values.label_projection: expected a live float32 tensor of shape \[7, 8\], got a float32 tensor of shape \[7, 9\]/);
    expect(() => h.adoptState({ query_projection: good as tf.Variable, label_projection: good as tf.Variable })).toThrow(/variables.query_projection: expected a tf.Variable/);
    expect(() => new LearnedHash({ inputDim: dim, tables: 2, bits: 4, queryProjection: good as tf.Tensor2D })).toThrow(/queryProjection: expected no query projection/);
    expect(() => new LearnedHash({ inputDim: dim, tables: 2, bits: 4, asymmetric: 'yes' as unknown as boolean })).toThrow(/asymmetric: expected a boolean, got yes/);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(h.queryProjection.dataSync())).toEqual(q0);
    tf.dispose([good, bad]);
    h.dispose();
  });

  it('families drawn from the seed have no state; SimHash hashes queries like items', () => {
    const s = new SimHash({ inputDim: dim, tables: 3, bits: 4, seed: 2 });
    expect(s.asymmetric).toBe(false);
    expect(s.state).toEqual({});
    s.setState({});
    const t = tf.zeros([dim, 12]);
    expect(() => s.setState({ projection: t })).toThrow(/values: expected no entries \(this family has no state: it is drawn from the seed\), got the entries projection/);
    expect(() => hashFamilyFromConfig(s.getConfig(), { projection: t })).toThrow(/values: expected no entries/);
    expect(Array.from(codesOf(s.hashQueries(x())))).toEqual(signCodes(xs, s.getProjection().arraySync(), 3, 4));
    t.dispose();
    s.dispose();
  });
});
