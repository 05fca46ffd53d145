import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { candidateTopK, HashIndex, WTAHash } from '../src';
import { SeededRandom, setWasmSimdKernels } from '@hashlayers/core/internal';
import { codesOf, randn, rows } from './helpers';

interface Reference {
  ids: number[][];
  scores: number[][];
  logZ: number[];
  retrieved: number[];
}

/**
 * The definition, independently: candidates = items sharing a bucket with the
 * query in ≥ minTableHits tables, the maxCandidates with most hits (ties to the
 * smaller id), plus the head; every item when fewer than exactBelow were
 * retrieved. Scores and log-sum-exp in float64, top-k by (score desc, id asc).
 */
function reference(
  items: Float32Array[], bias: Float32Array | null, queries: Float32Array[], itemCodes: Int32Array, queryCodes: Int32Array,
  L: number, opts: { k: number; maxCandidates: number; minTableHits: number; exactBelow: number; head: number[] },
): Reference {
  const out: Reference = { ids: [], scores: [], logZ: [], retrieved: [] };
  queries.forEach((q, i) => {
    const found: [number, number][] = [];
    items.forEach((_, j) => {
      let h = 0;
      for (let l = 0; l < L; l++) if (itemCodes[j * L + l] === queryCodes[i * L + l]) h++;
      if (h >= opts.minTableHits) found.push([j, h]);
    });
    found.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
    const kept = found.slice(0, opts.maxCandidates).map(([j]) => j);
    out.retrieved.push(kept.length);
    const cand = kept.length < opts.exactBelow ? items.map((_, j) => j) : [...new Set([...kept, ...opts.head])];
    const s = cand.map((c) => {
      let v = bias != null ? bias[c] : 0;
      for (let d = 0; d < q.length; d++) v += q[d] * items[c][d];
      return [c, v] as [number, number];
    });
    const max = Math.max(...s.map(([, v]) => v));
    out.logZ.push(max + Math.log(s.reduce((a, [, v]) => a + Math.exp(v - max), 0)));
    s.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
    const top = s.slice(0, opts.k);
    while (top.length < opts.k) top.push([-1, -Infinity]);
    out.ids.push(top.map(([c]) => c));
    out.scores.push(top.map(([, v]) => v));
  });
  return out;
}

function expectClose(got: number[], want: number[], tol: number): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    if (!Number.isFinite(want[i])) expect(g).toBe(want[i]);
    else expect(Math.abs(g - want[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
  });
}

describeBackends('candidateTopK', () => {
  const rng = new SeededRandom(11);
  const dim = 20;
  const itemVecs = Array.from({ length: 400 }, () => randn(rng, dim));
  const biasVec = randn(rng, 400).map((v) => 0.3 * v);
  // queries near some items (many shared buckets) and random ones (few)
  const queryVecs = Array.from({ length: 24 }, (_, i) =>
    i % 2 === 0 ? itemVecs[(i * 37) % 400].map((v, d) => 2 * v + 0.1 * randn(rng, dim)[d]) : randn(rng, dim));
  const L = 6;

  function setup() {
    const index = new HashIndex(new WTAHash({ inputDim: dim, tables: L, window: 4, band: 2, seed: 3 }));
    const items = rows(itemVecs, dim);
    const queries = rows(queryVecs, dim);
    const bias = tf.tensor1d(biasVec);
    index.build(items);
    const codes = index.hashQueries(queries);
    return { index, items, queries, bias, codes, qCodes: codesOf(index.hashQueries(queries)) };
  }

  it.each([
    ['plain', { k: 5, maxCandidates: 1000, minTableHits: 1, exactBelow: 1, head: [] as number[], useBias: true }],
    ['a cut inside a group of equal hits', { k: 3, maxCandidates: 7, minTableHits: 1, exactBelow: 1, head: [], useBias: true }],
    ['minTableHits, head, no bias', { k: 4, maxCandidates: 50, minTableHits: 2, exactBelow: 1, head: [5, 17, 399], useBias: false }],
    ['exact fallback', { k: 6, maxCandidates: 1000, minTableHits: 3, exactBelow: 5, head: [], useBias: true }],
    ['k larger than some candidate sets, and the sorted top-k path', { k: 80, maxCandidates: 60, minTableHits: 2, exactBelow: 0, head: [], useBias: true }],
  ])('equals the definition: %s', (_, o) => {
    const { index, items, queries, bias, codes, qCodes } = setup();
    const want = reference(itemVecs, o.useBias ? biasVec : null, queryVecs, index.codes(), qCodes, L, o);
    for (const simd of [true, false]) {
      const prev = setWasmSimdKernels(simd);
      const r = candidateTopK(queries, codes, items, o.useBias ? bias : null, index.bucketTables(), { ...o, head: Int32Array.from(o.head) });
      setWasmSimdKernels(prev);
      expect(r.ids.arraySync()).toEqual(want.ids);
      expect(Array.from(r.retrieved.dataSync())).toEqual(want.retrieved);
      expectClose(Array.from(r.scores.dataSync()), want.scores.flat(), 1e-5);
      expectClose(Array.from(r.logZ.dataSync()), want.logZ, 1e-5);
      tf.dispose(Object.values(r));
    }
    tf.dispose([items, queries, bias, codes]);
    index.family.dispose();
  });

  it('batch of one equals the same row of a batch; no leaks; clear errors', () => {
    const { index, items, queries, bias, codes } = setup();
    const t = index.bucketTables();
    const all = candidateTopK(queries, codes, items, bias, t, { k: 5, maxCandidates: 100 });
    const q3 = tf.slice(queries, [3, 0], [1, dim]) as tf.Tensor2D;
    const c3 = tf.slice(codes, [3, 0], [1, L]) as tf.Tensor2D;
    const one = candidateTopK(q3, c3, items, bias, t, { k: 5, maxCandidates: 100 });
    expect(one.ids.arraySync()[0]).toEqual(all.ids.arraySync()[3]);
    const r = expectNoLeak(() => candidateTopK(queries, codes, items, bias, t, { k: 2, maxCandidates: 10 }), 4);
    tf.dispose(Object.values(r));
    expect(() => candidateTopK(queries, codes, items, bias, t, { k: 0, maxCandidates: 10 })).toThrow(/k: expected an integer in \[1, 400\], got 0/);
    expect(() => candidateTopK(queries, codes, items, tf.zeros([3]) as tf.Tensor1D, t, { k: 1, maxCandidates: 10 })).toThrow(/bias: expected a \[400\] tensor/);
    expect(() => candidateTopK(queries, codes, items, bias, t, { k: 1, maxCandidates: 10, head: Int32Array.from([400]) })).toThrow(/head: expected item ids in \[0, 400\)/);
    expect(() => candidateTopK(queries, tf.zeros([24, L], 'int32') as tf.Tensor2D, tf.slice(items, [0, 0], [399, dim]) as tf.Tensor2D, bias, t, { k: 1, maxCandidates: 10 })).toThrow(/items: expected 400 rows/);
    tf.dispose([...Object.values(all), ...Object.values(one), items, queries, bias, codes, q3, c3]);
    index.family.dispose();
  });
});
