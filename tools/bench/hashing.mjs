// Benchmarks of @hashlayers/hashing: codes/s per family, and HashIndex search
// (latency, candidates, recall@10) against exact topk(matMul) on the same backend.
import { benchBackends, Progress, readBack, time, tf, useBackend, writeResults } from './harness.mjs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const H = require('@hashlayers/hashing');

function families(d) {
  return [
    ['SimHash (gaussian) L=16 K=16', () => new H.SimHash({ inputDim: d, tables: 16, bits: 16, seed: 1 })],
    ['SimHash (sparse 1/3) L=16 K=16', () => new H.SimHash({ inputDim: d, tables: 16, bits: 16, seed: 1, projection: 'sparse' })],
    ['WTAHash L=16 window=8 band=4', () => new H.WTAHash({ inputDim: d, tables: 16, window: 8, band: 4, seed: 1 })],
    ['DWTAHash L=16 window=8 band=4', () => new H.DWTAHash({ inputDim: d, tables: 16, window: 8, band: 4, seed: 1 })],
    ['LearnedHash L=16 K=16', () => new H.LearnedHash({ inputDim: d, tables: 16, bits: 16, seed: 1 })],
  ];
}

export async function codesPerSecond({ quick }) {
  const backends = benchBackends();
  const dims = [128, 512];
  const batch = 256;
  const rows = [];
  const prog = new Progress('hash codes/s', backends.length * dims.length * 6);
  for (const backend of backends) {
    await useBackend(backend);
    for (const d of dims) {
      const x = tf.randomNormal([batch, d], 0, 1, 'float32', 7);
      // baseline: one dense layer of 256 outputs on the same input (what a hash of 16x16 bits projects)
      const w = tf.randomNormal([d, 256], 0, 1, 'float32', 8);
      const base = time(() => readBack(() => tf.matMul(x, w)), { minMs: quick ? 100 : 500 });
      prog.step(`${backend} d=${d} baseline matMul`);
      for (const [name, make] of families(d)) {
        const h = make();
        const r = time(() => readBack(() => h.hash(x)), { minMs: quick ? 100 : 500 });
        rows.push({
          backend, d, family: name, ms: r.ms, codesPerSec: (batch * h.tables) / (r.ms / 1000),
          matMulMs: base.ms, ratio: r.ms / base.ms,
        });
        h.dispose();
        prog.step(`${backend} d=${d} ${name}: ${r.ms.toFixed(2)} ms`);
      }
      tf.dispose([x, w]);
    }
  }
  await writeResults('hashing-codes', {
    title: 'Hash codes per second (batch 256)',
    command: `npm run bench -- hashing-codes${quick ? ' --quick' : ''}`,
    notes: ['`ratio` = hash time / time of a dense matMul [256, d] × [d, 256] on the same backend (the projection a 16×16-bit SimHash needs).'],
    columns: [
      { key: 'backend', label: 'backend' }, { key: 'd', label: 'd' }, { key: 'family', label: 'family' },
      { key: 'ms', label: 'ms / batch' }, { key: 'codesPerSec', label: 'table codes / s' },
      { key: 'matMulMs', label: 'matMul ms' }, { key: 'ratio', label: 'ratio to matMul' },
    ],
    rows,
  });
}

/** Clustered synthetic vectors: 1000 centres, items and queries scattered around them. */
function clustered(n, d, seed, centres) {
  return tf.tidy(() => {
    const ids = tf.randomUniform([n], 0, centres.shape[0], 'int32', seed);
    return tf.add(tf.gather(centres, ids), tf.randomNormal([n, d], 0, 0.35, 'float32', seed + 1));
  });
}

function recallAt10(truth, got, batch) {
  let hit = 0;
  for (let i = 0; i < batch; i++) {
    const t = new Set(truth.slice(i * 10, i * 10 + 10));
    for (let k = 0; k < 10; k++) if (t.has(got[i * 10 + k])) hit++;
  }
  return hit / (10 * batch);
}

export async function indexSearch({ quick }) {
  const backends = benchBackends();
  const n = quick ? 20000 : 100000;
  const d = 128;
  const settings = [
    { tables: 8, bits: 12 }, { tables: 16, bits: 12 }, { tables: 32, bits: 12 }, { tables: 32, bits: 10 }, { tables: 64, bits: 12 },
  ];
  const maxCandidates = 4096;
  const rows = [];
  const prog = new Progress('HashIndex.search', backends.length * (settings.length + 1));
  for (const backend of backends) {
    await useBackend(backend);
    const centres = tf.randomNormal([1000, d], 0, 1, 'float32', 1);
    const items = clustered(n, d, 11, centres);
    const itemsT = tf.transpose(items);
    for (const batch of [256, 1]) {
      const queries = clustered(batch, d, 21 + batch, centres);
      const exact = () => readBack(() => tf.topk(tf.matMul(queries, itemsT), 10).indices);
      const truth = exact();
      const slow = backend === 'cpu' ? { warmup: 1, reps: 3, minMs: 0 } : { warmup: 2, reps: batch === 1 ? 15 : 5, minMs: quick ? 100 : 1000 };
      const base = time(exact, slow);
      if (batch === 256) prog.step(`${backend} exact topk(matMul): ${(base.ms / batch).toFixed(3)} ms/query`);
      for (const s of settings) {
        const index = new H.HashIndex(new H.SimHash({ inputDim: d + 1, tables: s.tables, bits: s.bits, seed: 5 }), { transform: 'mips' });
        const t0 = performance.now();
        index.build(items);
        const buildMs = performance.now() - t0;
        // candidates per query (not timed): what search rescored
        const found = index.retrieve(queries, { maxCandidates, ordered: false });
        const candidatesPerQuery = found.ids.length / batch;
        // HashIndex.search: bucket union, exact rescoring and top-10 in one kernel (FAISS-shaped, -1 padded)
        const approx = () => readBack(() => index.search(queries, 10, { maxCandidates }).ids);
        const got = approx();
        const r = time(approx, slow);
        rows.push({
          backend, batch, items: n, setting: `L=${s.tables} K=${s.bits}`, candidates: candidatesPerQuery,
          recall: recallAt10(truth, got, batch), msPerQuery: r.ms / batch, exactMsPerQuery: base.ms / batch,
          speedup: base.ms / r.ms, buildMs, indexMB: index.bytes / 2 ** 20,
        });
        if (batch === 256) prog.step(`${backend} ${rows.at(-1).setting}: recall ${rows.at(-1).recall.toFixed(3)}, ${rows.at(-1).msPerQuery.toFixed(3)} ms/query`);
        index.dispose();
        index.family.dispose();
      }
      queries.dispose();
    }
    tf.dispose([centres, items, itemsT]);
  }
  await writeResults('hashing-index', {
    title: `HashIndex.search against exact topk(matMul), ${n} items × ${d} dims`,
    command: `npm run bench -- hashing-index${quick ? ' --quick' : ''}`,
    notes: [
      'Data: 1000 Gaussian centres in 128-d, items and queries = centre + N(0, 0.35²) noise. Index: SimHash with the MIPS→cosine transform; search = `HashIndex.search(queries, 10)`: hash queries, union of buckets (at most 4096 candidates, most table hits first), exact rescoring of the candidates and top-10 in one fused kernel. Exact baseline: topk(matMul(queries, itemsᵀ)) with the item matrix pre-transposed, on the same backend.',
      '`recall` = recall@10 of the exact inner-product top-10; `speedup` = exact ms / hashed ms (>1 means the index is faster).',
    ],
    columns: [
      { key: 'backend', label: 'backend' }, { key: 'batch', label: 'batch' }, { key: 'setting', label: 'setting' },
      { key: 'candidates', label: 'candidates / query' }, { key: 'recall', label: 'recall@10' },
      { key: 'msPerQuery', label: 'ms / query' }, { key: 'exactMsPerQuery', label: 'exact ms / query' },
      { key: 'speedup', label: 'speedup' }, { key: 'buildMs', label: 'build ms' }, { key: 'indexMB', label: 'index MiB' },
    ],
    rows,
  });
}
