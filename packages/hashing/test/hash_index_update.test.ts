import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { BucketTables, DWTAHash, HashFamily, HashIndex, SimHash, WTAHash } from '../src';
import { buildBucketTables, updateBucketTables } from '../src/index/bucket_tables';
import { SeededRandom } from '@hashlayers/core/internal';
import { randn, rows } from './helpers';

/** The definition of the CSR tables: per table, the (code, id) pairs sorted, cut where the code changes. */
function referenceTables(codes: Int32Array, n: number, L: number): BucketTables {
  const keyStart = [0];
  const keys: number[] = [];
  const offsets: number[] = [];
  const ids: number[] = [];
  for (let l = 0; l < L; l++) {
    const pairs = Array.from({ length: n }, (_, i) => [codes[i * L + l], i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    pairs.forEach(([code, id], k) => {
      if (k === 0 || code !== pairs[k - 1][0]) {
        keys.push(code);
        offsets.push(ids.length);
      }
      ids.push(id);
    });
    keyStart.push(keys.length);
  }
  offsets.push(ids.length);
  return { tables: L, numItems: n, keyStart: Int32Array.from(keyStart), keys: Int32Array.from(keys), offsets: Int32Array.from(offsets), ids: Int32Array.from(ids) };
}

/** A random subset of [0, n) of size k, in random order. */
function subset(rng: SeededRandom, n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, k);
}

function bucketKeys(t: BucketTables): Set<string> {
  const s = new Set<string>();
  for (let l = 0; l < t.tables; l++) for (let b = t.keyStart[l]; b < t.keyStart[l + 1]; b++) s.add(`${l}:${t.keys[b]}`);
  return s;
}

describe('bucket tables (plain arrays)', () => {
  it('buildBucketTables equals the sorted definition, small codes (counting) and 30-bit codes (radix)', () => {
    const rng = new SeededRandom(2);
    for (const [n, L, range] of [[0, 3, 16], [1, 2, 4], [500, 4, 16], [500, 3, 2 ** 17], [300, 2, 2 ** 30], [2000, 2, 3000]]) {
      const codes = Int32Array.from({ length: n * L }, () => Math.floor(rng.next() * range));
      expect(buildBucketTables(codes, n, L)).toEqual(referenceTables(codes, n, L));
    }
  });

  it('updateBucketTables equals the definition of the new codes: random moves, buckets appearing and disappearing', () => {
    const rng = new SeededRandom(3);
    for (let trial = 0; trial < 100; trial++) {
      const n = 1 + Math.floor(rng.next() * 120);
      const L = 1 + Math.floor(rng.next() * 4);
      const range = [2, 8, 64, 2 ** 20, 2 ** 30][trial % 5];
      const draw = () => Math.floor(rng.next() * range);
      const oldCodes = Int32Array.from({ length: n * L }, draw);
      // few moves as often as many: [0, n] items, squared towards 0
      const moved = subset(rng, n, Math.floor(rng.next() ** 2 * (n + 1)));
      const newCodes = oldCodes.slice();
      // some moved items keep some (or all) of their codes: the update must skip those tables
      for (const id of moved) for (let l = 0; l < L; l++) if (rng.next() < 0.7) newCodes[id * L + l] = draw();
      const old = buildBucketTables(oldCodes, n, L);
      const before = JSON.stringify(old);
      const want = referenceTables(newCodes, n, L);
      // the merge (whatever the number of moves), the automatic choice, and the counting build
      for (const limit of [Infinity, undefined, 0]) {
        const oldRows = Int32Array.from(moved.flatMap((id) => Array.from(oldCodes.subarray(id * L, (id + 1) * L))));
        expect(updateBucketTables(old, newCodes, Int32Array.from(moved), oldRows, limit)).toEqual(want);
      }
      expect(JSON.stringify(old)).toBe(before); // the old tables are a snapshot, untouched
    }
  });
});

type Case = [string, (dim: number) => HashFamily, { foldBias?: boolean; sparse?: boolean }];

const cases: Case[] = [
  ['WTAHash', (dim) => new WTAHash({ inputDim: dim, tables: 6, window: 4, band: 2, seed: 1 }), {}],
  ['WTAHash, bias folded', (dim) => new WTAHash({ inputDim: dim + 1, tables: 5, window: 8, band: 3, seed: 2 }), { foldBias: true }],
  ['DWTAHash, sparse rows', (dim) => new DWTAHash({ inputDim: dim, tables: 6, window: 6, band: 2, seed: 3 }), { sparse: true }],
  ['SimHash K=5', (dim) => new SimHash({ inputDim: dim, tables: 8, bits: 5, seed: 4 }), {}],
  ['SimHash K=20 (one item a bucket: buckets appear and disappear)', (dim) => new SimHash({ inputDim: dim, tables: 4, bits: 20, seed: 5 }), {}],
];

describeBackends('HashIndex.update', () => {
  const dim = 24;
  const n = 200;

  it.each(cases)('equals build() of the updated items, codes and tables bit for bit (%s)', (name, make, { foldBias = false, sparse = false }) => {
    const rng = new SeededRandom(11);
    const vec = () => {
      const v = randn(rng, dim);
      if (sparse) for (let d = 0; d < dim; d++) if (rng.next() < 0.6) v[d] = 0;
      return v;
    };
    const family = make(dim);
    const vecs = Array.from({ length: n }, vec);
    const biasValues = Float32Array.from({ length: n }, () => rng.gaussian());
    const index = new HashIndex(family, { foldBias, storeItems: false });
    const items = rows(vecs, dim);
    const bias = foldBias ? tf.tensor1d(biasValues) : undefined;
    index.build(items, bias);
    tf.dispose([items, bias].filter((t) => t != null) as tf.Tensor[]);
    const rounds: [string, number[]][] = [
      ['empty', []],
      ['10%', subset(rng, n, 20)],
      ['one', [7]],
      ['unmoved', subset(rng, n, 30)],
      ['50%', subset(rng, n, 100)],
      ['all', subset(rng, n, n)],
    ];
    let sawNewBucket = false;
    let sawGoneBucket = false;
    for (const [round, ids] of rounds) {
      const oldCodes = index.codes();
      const oldKeys = bucketKeys(index.bucketTables());
      const fresh = ids.map((id, j) => (round === 'unmoved' ? vecs[id] : j % 3 === 0 ? Float32Array.from(vecs[id], (x) => -x) : vec()));
      const freshBias = ids.map((id) => (round === 'unmoved' ? biasValues[id] : rng.gaussian()));
      ids.forEach((id, j) => {
        vecs[id] = fresh[j];
        biasValues[id] = freshBias[j];
      });
      const upd = tf.tensor2d(ids.length ? fresh.flatMap((v) => Array.from(v)) : [], [ids.length, dim]);
      const updBias = foldBias ? tf.tensor1d(freshBias) : undefined;
      const report = expectNoLeak(() => index.update(round === 'all' ? Int32Array.from(ids) : ids, upd, updBias));
      tf.dispose([upd, updBias].filter((t) => t != null) as tf.Tensor[]);
      // the reference: a new index built from every (updated) item
      const all = rows(vecs, dim);
      const allBias = foldBias ? tf.tensor1d(biasValues) : undefined;
      const ref = new HashIndex(family, { foldBias, storeItems: false });
      const built = ref.build(all, allBias);
      tf.dispose([all, allBias].filter((t) => t != null) as tf.Tensor[]);
      const codes = ref.codes();
      expect(index.codes()).toEqual(codes);
      expect(index.bucketTables()).toEqual(ref.bucketTables());
      expect(index.bucketTables()).toEqual(referenceTables(codes, n, family.tables));
      let changedCodes = 0;
      const changedItems = new Set<number>();
      for (let k = 0; k < codes.length; k++) {
        if (codes[k] !== oldCodes[k]) {
          changedCodes++;
          changedItems.add(Math.floor(k / family.tables));
        }
      }
      expect(report).toEqual({
        ...built,
        changedCodes,
        changedItems: changedItems.size,
        changedFraction: changedCodes / (n * family.tables),
        rehashedItems: ids.length,
        rescaled: false,
      });
      if (round === 'empty' || round === 'unmoved') expect(report.changedCodes).toBe(0);
      else expect(report.changedCodes).toBeGreaterThan(0);
      const newKeys = bucketKeys(index.bucketTables());
      sawNewBucket ||= [...newKeys].some((k) => !oldKeys.has(k));
      sawGoneBucket ||= [...oldKeys].some((k) => !newKeys.has(k));
    }
    if (name.startsWith('SimHash K=20')) expect(sawNewBucket && sawGoneBucket).toBe(true);
    family.dispose();
  });

  it('is deterministic: the same updates give the same index, and a repeated update changes nothing', () => {
    const rng = new SeededRandom(4);
    const vecs = Array.from({ length: n }, () => randn(rng, dim));
    const family = new WTAHash({ inputDim: dim, tables: 6, window: 4, band: 2, seed: 9 });
    const items = rows(vecs, dim);
    const ids = subset(rng, n, 40);
    const upd = rows(ids.map(() => randn(rng, dim)), dim);
    const [a, b] = [new HashIndex(family), new HashIndex(family)];
    for (const ix of [a, b]) ix.build(items);
    // update writes codes in place: what toTensors() and codes() handed out before must not follow
    const saved = a.toTensors().codes;
    const copy = a.codes();
    for (const ix of [a, b]) expect(ix.update(ids, upd).changedCodes).toBeGreaterThan(0);
    expect(saved.dataSync()).toEqual(copy);
    expect(a.codes()).not.toEqual(copy);
    saved.dispose();
    expect(a.bucketTables()).toEqual(b.bucketTables());
    expect(a.update(ids, upd)).toMatchObject({ changedCodes: 0, changedItems: 0, rehashedItems: 40 });
    expect(a.bucketTables()).toEqual(b.bucketTables());
    tf.dispose([items, upd]);
    for (const ix of [a, b]) ix.dispose();
    family.dispose();
  });

  it('keeps the stored items in step (storeItems): search equals an index built on the updated items', () => {
    const rng = new SeededRandom(6);
    const vecs = Array.from({ length: n }, () => randn(rng, dim));
    const biasValues = Float32Array.from({ length: n }, () => rng.gaussian());
    const family = new WTAHash({ inputDim: dim + 1, tables: 8, window: 4, band: 2, seed: 3 });
    const index = new HashIndex(family, { foldBias: true });
    const items = rows(vecs, dim);
    const bias = tf.tensor1d(biasValues);
    index.build(items, bias);
    const ids = subset(rng, n, 50);
    const fresh = ids.map(() => randn(rng, dim));
    const freshBias = Float32Array.from(ids, () => rng.gaussian());
    ids.forEach((id, j) => {
      vecs[id] = fresh[j];
      biasValues[id] = freshBias[j];
    });
    const upd = rows(fresh, dim);
    const updBias = tf.tensor1d(freshBias);
    // the stored clone is replaced by the updated one: the tensor count does not change
    expectNoLeak(() => index.update(ids, upd, updBias));
    const all = rows(vecs, dim);
    const allBias = tf.tensor1d(biasValues);
    const ref = new HashIndex(family, { foldBias: true });
    ref.build(all, allBias);
    const queries = rows(Array.from({ length: 10 }, () => randn(rng, dim)), dim);
    const got = index.search(queries, 5);
    const want = ref.search(queries, 5);
    expect(got.ids.arraySync()).toEqual(want.ids.arraySync());
    expect(got.scores.arraySync()).toEqual(want.scores.arraySync());
    tf.dispose([items, bias, upd, updBias, all, allBias, queries, got.ids, got.scores, want.ids, want.scores]);
    for (const ix of [index, ref]) ix.dispose();
    family.dispose();
  });

  it("transform 'mips': hashes only the rows while the largest norm stays, re-hashes every item when it moves (stored items), throws without them", () => {
    const rng = new SeededRandom(8);
    const vecs = Array.from({ length: n }, () => randn(rng, dim));
    // item 0 has the largest norm by far
    vecs[0] = Float32Array.from(vecs[0], (x) => 4 * x);
    const family = new SimHash({ inputDim: dim + 1, tables: 8, bits: 6, seed: 7 });
    const stores = new HashIndex(family, { transform: 'mips' });
    const bare = new HashIndex(family, { transform: 'mips', storeItems: false });
    const items = rows(vecs, dim);
    stores.build(items);
    bare.build(items);
    items.dispose();
    const check = (ix: HashIndex) => {
      const all = rows(vecs, dim);
      const ref = new HashIndex(family, { transform: 'mips', storeItems: false });
      ref.build(all);
      all.dispose();
      expect(ix.codes()).toEqual(ref.codes());
      expect(ix.bucketTables()).toEqual(ref.bucketTables());
    };
    // rows away from item 0, norms kept below it: only they are hashed
    const ids = subset(rng, n - 1, 30).map((i) => i + 1);
    const fresh = ids.map(() => randn(rng, dim));
    ids.forEach((id, j) => (vecs[id] = fresh[j]));
    const upd = rows(fresh, dim);
    for (const ix of [stores, bare]) expect(expectNoLeak(() => ix.update(ids, upd))).toMatchObject({ rescaled: false, rehashedItems: 30 });
    upd.dispose();
    check(stores);
    check(bare);
    // item 0 grows (and later shrinks): the scale of every item moves
    for (const factor of [1.5, 0.1]) {
      const row = Float32Array.from(vecs[0], (x) => factor * x);
      const big = rows([row], dim);
      const codes = bare.codes();
      const tables = bare.bucketTables();
      expect(() => bare.update([0], big)).toThrow(/items: expected rows that keep the largest item norm \(transform 'mips' scales every item by it; this index keeps no item vectors to re-hash: call rebuild\(\) with every item\), got largest squared norm/);
      expect(bare.codes()).toEqual(codes);
      expect(bare.bucketTables()).toBe(tables);
      vecs[0] = row;
      const report = expectNoLeak(() => stores.update([0], big));
      expect(report).toMatchObject({ rescaled: true, rehashedItems: n });
      expect(report.changedItems).toBeGreaterThan(1);
      big.dispose();
      check(stores);
    }
    // restored from codes alone, the index does not know the norms
    const saved = stores.toTensors();
    const restored = HashIndex.fromTensors(family, saved, { transform: 'mips', storeItems: false });
    const one = rows([vecs[1]], dim);
    expect(() => restored.update([1], one)).toThrow(/index: expected an index that knows its items' norms for transform 'mips'/);
    // an empty update needs nothing
    const none = tf.zeros([0, dim]) as tf.Tensor2D;
    expect(restored.update([], none)).toMatchObject({ changedCodes: 0, rehashedItems: 0 });
    tf.dispose([saved.codes, one, none]);
    stores.dispose();
    family.dispose();
  });

  it('rejects bad input with an error naming the argument, leaving the index as it was', () => {
    const rng = new SeededRandom(9);
    const vecs = Array.from({ length: n }, () => randn(rng, dim));
    const family = new WTAHash({ inputDim: dim, tables: 4, window: 4, band: 2, seed: 1 });
    const index = new HashIndex(family);
    const items = rows(vecs, dim);
    const two = rows([vecs[0], vecs[1]], dim);
    expect(() => index.update([0, 1], two)).toThrow(/index: expected an index that was built first, got an empty index/);
    index.build(items);
    const codes = index.codes();
    const tables = index.bucketTables();
    const wide = tf.zeros([2, dim + 1]) as tf.Tensor2D;
    const three = tf.zeros([3, dim]) as tf.Tensor2D;
    const nan = tf.fill([2, dim], NaN) as tf.Tensor2D;
    const b2 = tf.zeros([2]) as tf.Tensor1D;
    const n0 = tf.memory().numTensors;
    expect(() => index.update([0, 200], two)).toThrow(/ids: expected item ids \(integers in \[0, 200\)\), got 200 at position 1/);
    expect(() => index.update([-1, 0], two)).toThrow(/ids: expected item ids \(integers in \[0, 200\)\), got -1 at position 0/);
    expect(() => index.update([0.5, 1], two)).toThrow(/ids: expected item ids \(integers in \[0, 200\)\), got 0.5 at position 0/);
    expect(() => index.update([3, 3], two)).toThrow(/ids: expected distinct item ids, got 3 at positions 0 and 1/);
    expect(() => index.update('01' as unknown as number[], two)).toThrow(/ids: expected an Int32Array or an array of item ids, got 01/);
    expect(() => index.update([0, 1, 2], two)).toThrow(/items: expected 3 rows \(one per id\), got a float32 tensor of shape \[2, 24\]/);
    expect(() => index.update([0, 1], three)).toThrow(/items: expected 2 rows \(one per id\), got a float32 tensor of shape \[3, 24\]/);
    expect(() => index.update([0, 1], wide)).toThrow(/items: expected 24 columns, got shape \[2, 25\]/);
    expect(() => index.update([0, 1], nan)).toThrow(/items: expected finite values, got NaN at flat index 0/);
    expect(() => index.update([0, 1], two, b2)).toThrow(/bias: expected no bias \(foldBias is off\)/);
    expect(tf.memory().numTensors).toBe(n0);
    expect(index.codes()).toEqual(codes);
    expect(index.bucketTables()).toBe(tables);
    const folded = new HashIndex(new WTAHash({ inputDim: dim + 1, tables: 4, window: 4, band: 2, seed: 1 }), { foldBias: true });
    folded.build(items, tf.zeros([n]) as tf.Tensor1D);
    expect(() => folded.update([0, 1], two)).toThrow(/bias: expected a rank-1 tensor of length 2 \(foldBias is on\)/);
    expect(() => folded.update([0, 1], two, tf.zeros([3]) as tf.Tensor1D)).toThrow(/bias: expected a rank-1 tensor of length 2/);
    tf.dispose([items, two, wide, three, nan, b2]);
    index.dispose();
    folded.dispose();
    family.dispose();
    folded.family.dispose();
  });
});
