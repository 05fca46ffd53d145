import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { cooccurrenceVectors } from '../../../tools/data/sotu.cjs';
import { Candidates, HashIndex, SimHash, WTAHash } from '../src';
import { SeededRandom } from '@hashlayers/core/internal';
import { codesOf, randn, rows } from './helpers';

/** Brute force over the stored codes: the definition of search(). */
function bruteForce(itemCodes: Int32Array, queryCodes: Int32Array, L: number, maxCandidates: number, minTableHits: number): Candidates {
  const n = itemCodes.length / L;
  const b = queryCodes.length / L;
  const ids: number[] = [];
  const hits: number[] = [];
  const offsets = [0];
  for (let i = 0; i < b; i++) {
    const found: [number, number][] = [];
    for (let j = 0; j < n; j++) {
      let h = 0;
      for (let l = 0; l < L; l++) if (itemCodes[j * L + l] === queryCodes[i * L + l]) h++;
      if (h >= minTableHits) found.push([j, h]);
    }
    found.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
    for (const [j, h] of found.slice(0, maxCandidates)) {
      ids.push(j);
      hits.push(h);
    }
    offsets.push(ids.length);
  }
  return { ids: Int32Array.from(ids), offsets: Int32Array.from(offsets), hits: Int32Array.from(hits) };
}

function exactTopK(q: Float32Array, items: Float32Array, dim: number, k: number): number[] {
  const n = items.length / dim;
  const s = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let v = 0;
    for (let d = 0; d < dim; d++) v += q[d] * items[j * dim + d];
    s[j] = v;
  }
  return Array.from(s.keys()).sort((a, b) => s[b] - s[a] || a - b).slice(0, k);
}

describeBackends('HashIndex', () => {
  const rng = new SeededRandom(5);
  const dim = 24;
  const itemVecs = Array.from({ length: 300 }, () => randn(rng, dim));
  const queryVecs = Array.from({ length: 12 }, () => randn(rng, dim));

  it.each([
    ['SimHash', () => new SimHash({ inputDim: dim, tables: 6, bits: 4, seed: 1 })],
    ['WTAHash', () => new WTAHash({ inputDim: dim, tables: 6, window: 4, band: 2, seed: 1 })],
  ])('search equals a brute-force scan of the tables (%s)', (_, make) => {
    const index = new HashIndex(make());
    const items = rows(itemVecs, dim);
    const queries = rows(queryVecs, dim);
    index.build(items);
    const qCodes = codesOf(index.hashQueries(queries));
    for (const [maxCandidates, minTableHits] of [[1000, 1], [7, 1], [50, 2], [1000, 3]]) {
      const got = index.retrieve(queries, { maxCandidates, minTableHits });
      expect(got).toEqual(bruteForce(index.codes(), qCodes, 6, maxCandidates, minTableHits));
      // unordered: the same (id, hits) set per query
      const loose = index.retrieve(queries, { maxCandidates, minTableHits, ordered: false });
      expect(loose.offsets).toEqual(got.offsets);
      for (let i = 0; i + 1 < got.offsets.length; i++) {
        const pairs = (c: Candidates) => Array.from(c.ids.subarray(c.offsets[i], c.offsets[i + 1]), (id, j) => `${id}:${c.hits[c.offsets[i] + j]}`).sort();
        expect(pairs(loose)).toEqual(pairs(got));
      }
    }
    // tieSeed: every item above the cut's group, and a seeded random subset of that group of the same size
    for (const maxCandidates of [7, 20]) {
      const byId = bruteForce(index.codes(), qCodes, 6, maxCandidates, 1);
      const all = bruteForce(index.codes(), qCodes, 6, 100000, 1);
      const seeded = (seed: number) => index.retrieve(queries, { maxCandidates, ordered: false, tieSeed: seed });
      const a = seeded(5);
      expect(seeded(5)).toEqual(a); // deterministic
      expect(a.offsets).toEqual(byId.offsets);
      let differs = false;
      for (let i = 0; i + 1 < a.offsets.length; i++) {
        const mine = Array.from(a.ids.subarray(a.offsets[i], a.offsets[i + 1]));
        const hitsOf = new Map(Array.from(all.ids.subarray(all.offsets[i], all.offsets[i + 1]), (id, j) => [id, all.hits[all.offsets[i] + j]]));
        const n = mine.length;
        if (n === 0) continue;
        const cutHits = all.hits[all.offsets[i] + n - 1]; // the hits of the last item by the definition's order
        expect(new Set(mine).size).toBe(n);
        for (let j = 0; j < n; j++) expect(a.hits[a.offsets[i] + j]).toBe(hitsOf.get(mine[j]));
        // every item with more hits than the cut's group is kept; the rest come from that group
        for (const [id, h] of hitsOf) if (h > cutHits) expect(mine).toContain(id);
        for (const id of mine) expect(hitsOf.get(id)).toBeGreaterThanOrEqual(cutHits);
        const want = Array.from(byId.ids.subarray(byId.offsets[i], byId.offsets[i + 1])).sort((x, y) => x - y);
        if (mine.sort((x, y) => x - y).join() !== want.join()) differs = true;
      }
      expect(differs).toBe(true); // not the smallest ids
    }
    // uniform over the tied group: over 400 seeds each of query 0's tied items is kept about room/group of the time
    {
      const all = bruteForce(index.codes(), qCodes.subarray(0, 6), 6, 100000, 1);
      const hits = Array.from(all.hits);
      const cutHits = hits[6];
      const above = hits.filter((h) => h > cutHits).length;
      const group = Array.from(all.ids).filter((_, j) => hits[j] === cutHits);
      const room = 7 - above;
      expect(room).toBeGreaterThan(0); // the cut falls inside a group, for these data
      expect(group.length).toBeGreaterThan(room);
      {
        const kept = new Map(group.map((id) => [id, 0]));
        const seeds = 400;
        for (let seed = 0; seed < seeds; seed++) {
          const r = index.retrieve(queries.slice([0, 0], [1, dim]) as tf.Tensor2D, { maxCandidates: 7, ordered: false, tieSeed: seed });
          for (const id of r.ids) if (kept.has(id)) kept.set(id, (kept.get(id) as number) + 1);
        }
        const p = room / group.length;
        const sd = Math.sqrt(seeds * p * (1 - p));
        for (const c of kept.values()) expect(Math.abs(c - seeds * p)).toBeLessThan(5 * sd);
      }
    }
    // tieScores: the definition's order with ties by score (desc), then id
    {
      const scores = Float32Array.from({ length: 300 }, (_, j) => Math.sin(j * 12.9898) * 3);
      const all = bruteForce(index.codes(), qCodes, 6, 100000, 1);
      for (const maxCandidates of [7, 20]) {
        const got = index.retrieve(queries, { maxCandidates, ordered: false, tieScores: scores, tieSeed: 3 });
        for (let i = 0; i + 1 < all.offsets.length; i++) {
          const items = Array.from(all.ids.subarray(all.offsets[i], all.offsets[i + 1]), (id, j) => ({ id, h: all.hits[all.offsets[i] + j] }));
          items.sort((a, b) => b.h - a.h || scores[b.id] - scores[a.id] || a.id - b.id);
          const want = items.slice(0, maxCandidates).map((x) => x.id).sort((a, b) => a - b);
          expect(Array.from(got.ids.subarray(got.offsets[i], got.offsets[i + 1])).sort((a, b) => a - b)).toEqual(want);
        }
      }
      expect(() => index.retrieve(queries, { maxCandidates: 7, tieScores: scores.subarray(1) })).toThrow(/tieScores: expected 300 scores/);
      expect(() => index.retrieve(queries, { maxCandidates: 7, tieScores: Float32Array.of(...scores.subarray(1), NaN) })).toThrow(/tieScores: expected finite scores/);
    }
    expect(() => index.retrieve(queries, { maxCandidates: 7, tieSeed: -1 })).toThrow(/tieSeed: expected an integer/);
    const padded = index.retrievePadded(queries, { maxCandidates: 9 });
    const ragged = index.retrieve(queries, { maxCandidates: 9 });
    const pc = padded.candidates.arraySync() as number[][];
    const counts = padded.counts.arraySync() as number[];
    pc.forEach((row, i) => {
      const want = Array.from(ragged.ids.subarray(ragged.offsets[i], ragged.offsets[i + 1]));
      expect(counts[i]).toBe(want.length);
      expect(row).toEqual([...want, ...Array(9 - want.length).fill(-1)]);
    });
    tf.dispose([items, queries, padded.candidates, padded.counts]);
    index.family.dispose();
  });

  it('recall@10 of the exact inner-product top-10 on SOTU word vectors rises with L as theory says', () => {
    const { vectors, dim: vdim } = cooccurrenceVectors({ words: 3000, contexts: 64 });
    const n = vectors.length / vdim;
    const items = tf.tensor2d(vectors, [n, vdim]);
    const qIds = Array.from({ length: 60 }, (_, i) => 40 + i * 37);
    const qv = qIds.map((j) => vectors.slice(j * vdim, (j + 1) * vdim));
    const queries = rows(qv, vdim);
    const bits = 6;
    const truth = qv.map((q) => exactTopK(q, vectors, vdim, 10));
    // collision probability per table of each true neighbour, in the transformed (MIPS→cosine) space
    const probe = new HashIndex(new SimHash({ inputDim: vdim + 1, tables: 1, bits }), { transform: 'mips' });
    const ti = probe.transformItems(items);
    const tq = probe.transformQueries(queries);
    const cos = tf.matMul(tq, ti, false, true).arraySync() as number[][];
    tf.dispose([ti, tq]);
    let last = -1;
    for (const L of [1, 2, 4, 8, 16, 32]) {
      const index = new HashIndex(new SimHash({ inputDim: vdim + 1, tables: L, bits, seed: 100 + L }), { transform: 'mips' });
      index.build(items);
      const r = index.retrieve(queries);
      let found = 0;
      let theory = 0;
      truth.forEach((t, i) => {
        const cand = new Set(r.ids.subarray(r.offsets[i], r.offsets[i + 1]));
        for (const j of t) {
          if (cand.has(j)) found++;
          const p = (1 - Math.acos(Math.max(-1, Math.min(1, cos[i][j]))) / Math.PI) ** bits;
          theory += 1 - (1 - p) ** L;
        }
      });
      const recall = found / (10 * truth.length);
      expect(recall).toBeGreaterThan(last);
      // 600 neighbour pairs: sampling error of the hash draw ~0.02, allow 0.08
      expect(Math.abs(recall - theory / (10 * truth.length))).toBeLessThan(0.08);
      last = recall;
      index.family.dispose();
    }
    expect(last).toBeGreaterThan(0.9);
    tf.dispose([items, queries]);
    probe.family.dispose();
  });

  it('rebuild reports changed codes and honours minChangedFraction', () => {
    const family = new SimHash({ inputDim: dim, tables: 8, bits: 5, seed: 3 });
    const index = new HashIndex(family);
    const items = rows(itemVecs, dim);
    index.build(items);
    const oldCodes = index.codes();
    const moved = itemVecs.map((v, i) => (i % 10 === 0 ? Float32Array.from(v, (x) => -x) : v));
    const items2 = rows(moved, dim);
    const newCodes = codesOf(family.hash(items2));
    let changed = 0;
    for (let k = 0; k < newCodes.length; k++) if (newCodes[k] !== oldCodes[k]) changed++;
    const queries = rows(queryVecs, dim);
    const before = index.retrieve(queries);
    const kept = index.rebuild(items2, undefined, { minChangedFraction: 0.5 });
    expect(kept).toMatchObject({ changedCodes: changed, changedItems: 30, rebuilt: false });
    expect(index.retrieve(queries)).toEqual(before);
    const done = index.rebuild(items2);
    expect(done).toMatchObject({ changedCodes: changed, rebuilt: true });
    expect(done.changedFraction).toBeCloseTo(changed / (300 * 8), 10);
    expect(index.codes()).toEqual(newCodes);
    tf.dispose([items, items2, queries]);
    family.dispose();
  });

  it('round-trips through tensors and folds a bias as [w; b] / [x; 1]', () => {
    const family = new WTAHash({ inputDim: dim + 1, tables: 5, window: 6, band: 2, seed: 4 });
    const index = new HashIndex(family, { foldBias: true });
    const items = rows(itemVecs, dim);
    const bias = tf.tensor1d(itemVecs.map(() => rng.gaussian()));
    index.build(items, bias);
    const folded = index.transformItems(items, bias);
    expect(codesOf(family.hash(folded))).toEqual(index.codes());
    const queries = rows(queryVecs, dim);
    const withOne = tf.concat([queries, tf.ones([queries.shape[0], 1])], 1) as tf.Tensor2D;
    expect(codesOf(index.hashQueries(queries))).toEqual(codesOf(family.hash(withOne)));
    const saved = index.toTensors();
    const restored = HashIndex.fromTensors(family, saved, { foldBias: true });
    expect(restored.retrieve(queries, { maxCandidates: 20 })).toEqual(index.retrieve(queries, { maxCandidates: 20 }));
    tf.dispose([items, bias, folded, queries, withOne, saved.codes]);
  });

  it('leaks nothing and rejects bad input without changing state', () => {
    const family = new SimHash({ inputDim: dim, tables: 4, bits: 6, seed: 8 });
    const index = new HashIndex(family);
    const items = rows(itemVecs, dim);
    const queries = rows(queryVecs, dim);
    family.getProjection();
    // the index keeps one (reference-counted) clone of the items for search's rescoring, freed by dispose()
    expectNoLeak(() => index.build(items), 1);
    expectNoLeak(() => index.retrieve(queries));
    const p = expectNoLeak(() => index.retrievePadded(queries, { maxCandidates: 4 }), 2);
    tf.dispose([p.candidates, p.counts]);
    const codes = index.codes();
    const before = index.retrieve(queries);
    const wrong = tf.zeros([3, dim + 2]) as tf.Tensor2D;
    const nan = tf.fill([300, dim], NaN) as tf.Tensor2D;
    const n0 = tf.memory().numTensors;
    expect(() => index.build(wrong)).toThrow(/items: expected 24 columns, got shape \[3, 26\]/);
    expect(() => index.rebuild(nan)).toThrow(/items: expected finite values, got NaN/);
    expect(() => index.rebuild(wrong)).toThrow(/items: expected 300 rows \(the indexed items\)/);
    expect(() => index.retrieve(wrong)).toThrow(/queries: expected 24 columns/);
    expect(() => index.retrieve(queries, { maxCandidates: 0 })).toThrow(/maxCandidates: expected an integer in \[1, /);
    expect(() => index.retrieve(queries, { minTableHits: 5 })).toThrow(/minTableHits: expected an integer in \[1, 4\], got 5/);
    expect(() => index.build(items, tf.zeros([300]) as tf.Tensor1D)).toThrow(/bias: expected no bias \(foldBias is off\)/);
    expect(() => new HashIndex(family, { transform: 'l2' as 'mips' })).toThrow(/transform: expected one of 'none', 'mips', got 'l2'/);
    expect(() => index.search(queries, 0)).toThrow(/k: expected an integer in \[1, 300\], got 0/);
    expect(() => index.search(wrong, 3)).toThrow(/queries: expected 24 columns/);
    expect(tf.memory().numTensors - n0).toBe(1); // the tf.zeros([300]) above
    expect(index.codes()).toEqual(codes);
    expect(index.retrieve(queries)).toEqual(before);
    expect(() => new HashIndex(family).retrieve(queries)).toThrow(/index: expected an index that was built first/);
    const r = expectNoLeak(() => index.search(queries, 3), 2);
    tf.dispose([r.ids, r.scores]);
    expectNoLeak(() => index.dispose(), -1);
    tf.dispose([items, queries, wrong, nan]);
    family.dispose();
  });

  /** The definition of search(): retrieve(), then every candidate scored in float64, the k best (ties to the smaller id), -1 padding. */
  function searchReference(found: Candidates, q: Float32Array[], items: Float32Array[], bias: Float32Array | null, k: number) {
    const ids: number[][] = [];
    const scores: number[][] = [];
    q.forEach((qi, i) => {
      const cand = Array.from(found.ids.subarray(found.offsets[i], found.offsets[i + 1]));
      const s = cand.map((c) => items[c].reduce((a, v, d) => a + v * qi[d], 0) + (bias ? bias[c] : 0));
      const order = cand.map((c, j) => [c, s[j]]).sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k);
      ids.push([...order.map((o) => o[0]), ...Array(k - order.length).fill(-1)]);
      scores.push([...order.map((o) => o[1]), ...Array(k - order.length).fill(-Infinity)]);
    });
    return { ids, scores };
  }

  it.each([
    ['SimHash, mips, bias folded', true],
    ['SimHash, mips, no bias', false],
  ])('search(queries, k) is FAISS-shaped: exact top-k of the retrieved candidates, -1 padded (%s)', (_, withBias) => {
    const family = new SimHash({ inputDim: dim + (withBias ? 2 : 1), tables: 5, bits: 7, seed: 3 });
    const index = new HashIndex(family, { transform: 'mips', foldBias: withBias });
    const items = rows(itemVecs, dim);
    const biasValues = Float32Array.from(itemVecs, (_, j) => Math.sin(j));
    const bias = withBias ? tf.tensor1d(biasValues) : undefined;
    const queries = rows(queryVecs, dim);
    index.build(items, bias);
    for (const [k, maxCandidates] of [[5, undefined], [1, 20], [40, 30]] as const) {
      const found = index.retrieve(queries, { maxCandidates: maxCandidates ?? 300 });
      const want = searchReference(found, queryVecs, itemVecs, withBias ? biasValues : null, k);
      const got = index.search(queries, k, { maxCandidates });
      expect(got.ids.dtype).toBe('int32');
      expect(got.ids.shape).toEqual([queryVecs.length, k]);
      expect(got.ids.arraySync()).toEqual(want.ids);
      const gs = got.scores.arraySync();
      gs.forEach((row, i) => row.forEach((v, j) => {
        if (want.ids[i][j] === -1) expect(v).toBe(-Infinity);
        else expect(v).toBeCloseTo(want.scores[i][j], 4);
      }));
      tf.dispose([got.ids, got.scores]);
    }
    // restored from its codes, the index searches only when given the vectors again
    const saved = index.toTensors();
    const bare = HashIndex.fromTensors(family, saved, { transform: 'mips', foldBias: withBias });
    expect(() => bare.search(queries, 3)).toThrow(/index: expected an index that keeps its item vectors/);
    const full = HashIndex.fromTensors(family, { ...saved, items, bias }, { transform: 'mips', foldBias: withBias });
    const a = index.search(queries, 4);
    const b = full.search(queries, 4);
    expect(b.ids.arraySync()).toEqual(a.ids.arraySync());
    tf.dispose([a.ids, a.scores, b.ids, b.scores, saved.codes, items, queries]);
    if (bias) bias.dispose();
    for (const ix of [index, bare, full]) ix.dispose();
    family.dispose();
  });
});
