// npm run demo: hashlayers at work on embedded real data (no downloads).
// Part 1 (@hashlayers/hashing): nearest words of the State of the Union corpus
// through a HashIndex, against exact search: recall and speed. Part 2: LSHSoftmax
// next-word prediction. Parts 3-5: LSS, LUTDense and RepresenterSketch (tools/demo/*.mjs).
import { createRequire } from 'node:module';
import { parseCommandLine } from '../bench/cli.mjs';
import { log, Progress, readBack, stepLog, time, tf, usePreferredBackend } from '../bench/harness.mjs';

const require = createRequire(import.meta.url);
const H = require('@hashlayers/hashing');
const { cooccurrenceVectors } = require('../data/sotu.cjs');
const { precision } = require('../data/metrics.cjs');

parseCommandLine({
  usage: `usage: node tools/demo/demo.mjs   (or npm run demo, which builds the packages first)

hashlayers at work on embedded data: HashIndex nearest words (SOTU), LSHSoftmax next-word prediction,
LSS on the planted problem, LUTDense and RepresenterSketch on MNIST. Backend: tensorflow when
tfjs-node is built, else wasm. Parts 4 and 5 also run alone: node tools/demo/lut_dense.mjs,
node tools/demo/representer_sketch.mjs.`,
});
const step = stepLog();
await usePreferredBackend();

step('building word vectors from the SOTU corpus (233 speeches, 1.8 M tokens): PPMI co-occurrence, 10,000 words × 256 contexts');
const { words, dim, vectors } = cooccurrenceVectors({ words: 10000, contexts: 256, window: 4 });
const n = words.length;
const raw = tf.tensor2d(vectors, [n, dim]);
// cosine similarity: unit rows, so inner product = cosine
const items = tf.tidy(() => tf.div(raw, tf.maximum(tf.norm(raw, 2, 1, true), 1e-6)));
raw.dispose();
const itemsT = tf.transpose(items);

const index = new H.HashIndex(new H.SimHash({ inputDim: dim, tables: 24, bits: 10, seed: 1 }));
const t1 = performance.now();
const report = index.build(items);
step(`HashIndex (SimHash, L=24 tables × K=10 bits) built in ${(performance.now() - t1).toFixed(0)} ms: ${report.buckets} buckets, largest ${report.maxBucketSize}, ${(index.bytes / 1024).toFixed(0)} KiB`);

const wordId = new Map(words.map((w, i) => [w, i]));
function neighbours(qIds, k, useIndex) {
  const q = tf.gather(items, qIds);
  let out;
  if (!useIndex) {
    const top = readBack(() => tf.topk(tf.matMul(q, itemsT), k + 1).indices);
    out = qIds.map((_, i) => Array.from(top.slice(i * (k + 1), (i + 1) * (k + 1))));
  } else {
    // FAISS-shaped: the k + 1 best retrieved words by exact inner product, -1 where fewer were retrieved
    const { ids, scores } = index.search(q, k + 1, { maxCandidates: 2000 });
    const iv = ids.dataSync();
    out = qIds.map((_, i) => Array.from(iv.slice(i * (k + 1), (i + 1) * (k + 1))).filter((id) => id >= 0));
    tf.dispose([ids, scores]);
  }
  q.dispose();
  return out.map((row, i) => row.filter((id) => id !== qIds[i]).slice(0, k));
}

console.log('');
const shown = ['war', 'peace', 'economy', 'slavery', 'taxes', 'army', 'freedom', 'railroads'].filter((w) => wordId.has(w));
const ids = shown.map((w) => wordId.get(w));
const ex = neighbours(ids, 6, false);
const ap = neighbours(ids, 6, true);
shown.forEach((w, i) => {
  console.log(`  ${w.padEnd(10)} exact: ${ex[i].map((j) => words[j]).join(', ')}`);
  console.log(`  ${''.padEnd(10)} index: ${ap[i].map((j) => words[j]).join(', ')}`);
});
console.log('');

step('recall@10 and speed over 1,000 query words (words ranked 100..1099, batch 1,000)');
const qIds = Array.from({ length: 1000 }, (_, i) => 100 + i);
const exact = neighbours(qIds, 10, false);
const approx = neighbours(qIds, 10, true);
let hit = 0;
exact.forEach((row, i) => row.forEach((j) => (hit += approx[i].includes(j) ? 1 : 0)));
const recall = hit / (10 * qIds.length);
const q = tf.gather(items, qIds);
const te = time(() => neighbours(qIds, 10, false), { warmup: 1, reps: 5 });
const ta = time(() => neighbours(qIds, 10, true), { warmup: 1, reps: 5 });
const cand = index.retrieve(q, { maxCandidates: 2000 });
q.dispose();
step(`exact topk(matMul): ${(te.ms / 1000).toFixed(3)} ms/query; HashIndex: ${(ta.ms / 1000).toFixed(3)} ms/query (${(te.ms / ta.ms).toFixed(2)}x), ${(cand.ids.length / 1000).toFixed(0)} candidates/query (${((100 * cand.ids.length) / 1000 / n).toFixed(1)}% of the vocabulary), recall@10 = ${recall.toFixed(3)}`);

tf.dispose([items, itemsT]);
index.dispose();
index.family.dispose();

// Part 2 (@hashlayers/lsh-softmax): next-word prediction with an LSHSoftmax output layer.
{
  const L = require('@hashlayers/lsh-softmax');
  const { nextWordData } = require('../data/sotu.cjs');
  const { nextWordModel } = require('../data/next_word_model.cjs');
  const vocab = 2000;
  const ctx = 3;
  step(`LSHSoftmax: next-word prediction, ${vocab}-word vocabulary, 3 previous words; speeches before 2000 train, later ones test`);
  const data = nextWordData({ vocabSize: vocab, context: ctx, maxTrain: 30000, maxTest: 3000 });
  const xs = tf.tensor2d(data.train.x, [data.train.n, ctx], 'int32');
  const ys = tf.tensor1d(data.train.y, 'int32');
  const xt = tf.tensor2d(data.test.x, [data.test.n, ctx], 'int32');
  const results = {};
  for (const mode of ['full', 'lsh']) {
    const { train, layer } = nextWordModel(tf, L, {
      vocab, context: ctx, layer: { mode, tables: 16, window: 8, band: 3, maxCandidates: 150, uniformSamples: 50, headClasses: 100 },
    });
    const zeros = tf.zeros([data.train.n, 1]);
    const t1 = performance.now();
    const progress = new Progress(`  ${mode.padEnd(4)} training (batches)`, Math.ceil(data.train.n / 256) * 2);
    await train.fit([xs, ys], zeros, {
      epochs: 2, batchSize: 256, verbose: 0,
      // plain-object callbacks mixed with class callbacks must be wrapped in tf.CustomCallback
      callbacks: [...(mode === 'lsh' ? [new L.RehashCallback({ layer, everyBatches: 20 })] : []), new tf.CustomCallback({
        onBatchEnd: async () => progress.step(),
      })],
    });
    progress.finish();
    zeros.dispose();
    const fitS = (performance.now() - t1) / 1000;
    const t2 = performance.now();
    const top = L.predictTopK(train, [xt], 1);
    const ms = (performance.now() - t2) / data.test.n;
    results[mode] = { p1: precision(top.indices.dataSync(), 1, data.test.y).p1, cand: top.candidatesPerQuery.reduce((a, b) => a + b, 0) / data.test.n, fitS, ms };
    tf.dispose([top.indices, top.values]);
  }
  const f = results.full;
  const l = results.lsh;
  step(`full softmax: held-out P@1 ${f.p1.toFixed(4)}, ${f.fitS.toFixed(0)}s training, ${f.ms.toFixed(3)} ms/query`);
  step(`LSHSoftmax:   held-out P@1 ${l.p1.toFixed(4)} (${((100 * l.p1) / f.p1).toFixed(0)}% of full) with ${l.cand.toFixed(0)} retrieved + 100 head classes of ${vocab}, ${l.fitS.toFixed(0)}s training, ${l.ms.toFixed(3)} ms/query`);
  log('  (at 2,000 classes the exact softmax is cheap; the savings grow with the vocabulary: docs/lsh-softmax.md#measured)');
  tf.dispose([xs, ys, xt]);
}

// Parts 3-5: one function per package, each in its own file.
const { demoLSS } = await import('./lss.mjs');
console.log('');
await demoLSS(step);
console.log('');
const { demoLUTDense } = await import('./lut_dense.mjs');
await demoLUTDense(step);
console.log('');
const { demoRepresenterSketch } = await import('./representer_sketch.mjs');
await demoRepresenterSketch(step);
console.log('\nNext: docs/hashing.md, docs/lsh-softmax.md, docs/lss.md, docs/lut-dense.md, docs/representer-sketch.md (runnable examples), docs/results/ (benchmarks).');
