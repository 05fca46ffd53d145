// Where LSHSoftmax.topK spends its time at 100k classes (d = 128): hashing the queries,
// bucket union, candidate sets, exact candidate logits + top-k. One backend per run:
//   node tools/experiments/lsh-softmax-profile.mjs <cpu|wasm|tensorflow> [units] [batch]
import { createRequire } from 'node:module';
import { time, tf, useBackend, benchBackends, readBack } from '../bench/harness.mjs';

const require = createRequire(import.meta.url);
const L = require('@hashlayers/lsh-softmax');
const backend = process.argv[2] ?? 'wasm';
const units = Number(process.argv[3] ?? 100000);
const batch = Number(process.argv[4] ?? 256);
if (backend === 'tensorflow') benchBackends();
await useBackend(backend);
const d = 128;
const w = tf.tidy(() => tf.div(tf.randomNormal([units, d], 0, 1, 'float32', 1), Math.sqrt(d)));
const b = tf.tidy(() => tf.mul(-0.2, tf.log(tf.add(tf.range(0, units), 1))));
const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7919) % units);
const h = tf.tidy(() => tf.add(tf.mul(8, tf.gather(w, tf.tensor1d(labels, 'int32'))), tf.randomNormal([batch, d], 0, 0.15, 'float32', 2)));
const wt = tf.transpose(w);
const opts = { warmup: 2, reps: 9, minMs: 300 };
const dense = time(() => readBack(() => tf.topk(tf.add(tf.matMul(h, wt), b), 5).indices), opts).ms;
console.log(`${backend} units=${units} batch=${batch}: dense ${(dense / batch).toFixed(4)} ms/query`);
for (const s of [{ tables: 16, band: 4 }, { tables: 32, band: 4 }, { tables: 16, band: 3 }]) {
  const layer = L.lshSoftmax({ units, seed: 1, window: 8, maxCandidates: 2048, ...s });
  layer.build([null, d]);
  layer.kernel.write(w);
  layer.bias.write(b);
  layer.buildIndex();
  const index = layer.getIndex();
  const codes = readBack(() => index.hashQueries(h));
  const tHash = time(() => readBack(() => index.hashQueries(h)), opts).ms;
  const tRetrieve = time(() => index.retrieveCodes(codes, batch, { maxCandidates: 2048 }), opts).ms;
  const found = index.retrieveCodes(codes, batch, { maxCandidates: 2048 });
  const tCand = time(() => layer.candidates(h, null, 0), opts).ms - tHash - tRetrieve;
  const tTopK = time(() => { const r = layer.topK(h, 5); r.indices.dataSync(); tf.dispose([r.indices, r.values]); }, opts).ms;
  const nc = found.ids.length / batch;
  const f = (x) => (x / batch).toFixed(4);
  console.log(`  L=${s.tables} band=${s.band}: ${nc.toFixed(0)} cand/query; ms/query: hash ${f(tHash)}, retrieve ${f(tRetrieve)}, candidate sets ${f(tCand)}, logits+topk ${f(tTopK - tHash - tRetrieve - tCand)}; topK total ${f(tTopK)} (dense/LSH ${(dense / tTopK).toFixed(2)}x)`);
  layer.dispose();
}
