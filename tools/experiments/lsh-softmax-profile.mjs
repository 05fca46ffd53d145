// Where LSHSoftmax.topK spends its time at 100k classes (d = 128): hashing the queries,
// bucket union, candidate sets, exact candidate logits + top-k. One backend per run:
//   node tools/experiments/lsh-softmax-profile.mjs [--backend wasm] [--units 100000] [--batch 256]
import { createRequire } from 'node:module';
import { parseCommandLine } from '../bench/cli.mjs';
import { time, tf, useBackend, readBack } from '../bench/harness.mjs';

const require = createRequire(import.meta.url);
const { layerWith, syntheticWideLayer } = require('../data/wide_layer.cjs');
// the layer's index and candidate sets are machinery: reached through the package's internal entry
const { lshSoftmaxInternals } = require('@hashlayers/lsh-softmax/internal');
const { values } = parseCommandLine({
  usage: 'usage: node tools/experiments/lsh-softmax-profile.mjs [--backend <name>] [--units <n>] [--batch <n>]\n\nWhere LSHSoftmax.topK spends its time on the synthetic wide layer (d = 128), one backend per run.',
  options: {
    backend: { type: 'string', arg: 'name', default: 'wasm', help: 'cpu, wasm or tensorflow' },
    units: { type: 'string', arg: 'n', default: '100000', help: 'classes' },
    batch: { type: 'string', arg: 'n', default: '256', help: 'queries per call' },
  },
});
const backend = values.backend;
const units = Number(values.units);
const batch = Number(values.batch);
await useBackend(backend);
const d = 128;
const { w, b, h } = syntheticWideLayer(units, { d, queries: batch });
const wt = tf.transpose(w);
const opts = { warmup: 2, reps: 9, minMs: 300 };
const dense = time(() => readBack(() => tf.topk(tf.add(tf.matMul(h, wt), b), 5).indices), opts).ms;
console.log(`${backend} units=${units} batch=${batch}: dense ${(dense / batch).toFixed(4)} ms/query`);
for (const s of [{ tables: 16, band: 4 }, { tables: 32, band: 4 }, { tables: 16, band: 3 }]) {
  const layer = layerWith(w, b, { window: 8, maxCandidates: 2048, ...s });
  const internals = lshSoftmaxInternals(layer);
  const index = internals.index();
  const codes = readBack(() => index.hashQueries(h));
  const tHash = time(() => readBack(() => index.hashQueries(h)), opts).ms;
  const tRetrieve = time(() => index.retrieveCodes(codes, batch, { maxCandidates: 2048 }), opts).ms;
  const found = index.retrieveCodes(codes, batch, { maxCandidates: 2048 });
  const tCand = time(() => internals.candidates(h, null, 0), opts).ms - tHash - tRetrieve;
  const tTopK = time(() => { const r = layer.topK(h, 5); r.indices.dataSync(); tf.dispose([r.indices, r.values]); }, opts).ms;
  const nc = found.ids.length / batch;
  const f = (x) => (x / batch).toFixed(4);
  console.log(`  L=${s.tables} band=${s.band}: ${nc.toFixed(0)} cand/query; ms/query: hash ${f(tHash)}, retrieve ${f(tRetrieve)}, candidate sets ${f(tCand)}, logits+topk ${f(tTopK - tHash - tRetrieve - tCand)}; topK total ${f(tTopK)} (dense/LSH ${(dense / tTopK).toFixed(2)}x)`);
  layer.dispose();
}
