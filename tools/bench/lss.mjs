// Benchmarks of @hashlayers/lss: LSS against SimHash, WTA, dense top-k and an HNSW MIPS peer (usearch),
// at equal candidate budgets. P@1, P@5, correct-label recall, candidates/query, ms/query at batch 1 and 256.
import { createRequire } from 'node:module';
import { benchBackends, log, Progress, readBack, time, tf, useBackend, usePreferredBackend, writeResults } from './harness.mjs';

const require = createRequire(import.meta.url);
const { LSSHashTrainer, convertToLSS } = require('@hashlayers/lss');
const { convertToLSHSoftmax } = require('@hashlayers/lsh-softmax');
const { Index: HNSWIndex } = require('usearch');
const { plantedWOL } = require('../data/planted_wol.cjs');
const { nextWordData } = require('../data/sotu.cjs');
const { denseWith } = require('../data/models.cjs');

/** The new output layer of a conversion of the one-layer model around a Dense layer. */
async function convert(fn, dense, opts) {
  return (await fn(tf.model({ inputs: dense.input, outputs: dense.output }), opts)).layers[0];
}
const { precision } = require('../data/metrics.cjs');

/** HNSW over [w; b] with the inner-product metric; queries [h; 1]; top-`budget` then exact rescoring. */
function hnswPeer(kernelT, biasV, units, dim, budget) {
  const index = new HNSWIndex({ metric: 'ip', dimensions: dim + 1, connectivity: 16, expansion_add: 128, expansion_search: Math.max(64, budget) });
  const vecs = [];
  for (let c = 0; c < units; c++) {
    const v = new Float32Array(dim + 1);
    v.set(kernelT.subarray(c * dim, (c + 1) * dim));
    v[dim] = biasV[c];
    vecs.push(v);
  }
  index.add(BigUint64Array.from({ length: units }, (_, i) => BigInt(i)), vecs, 2);
  const search = (q, n) => {
    const qs = [];
    for (let i = 0; i < n; i++) {
      const v = new Float32Array(dim + 1);
      v.set(q.subarray(i * dim, (i + 1) * dim));
      v[dim] = 1;
      qs.push(v);
    }
    const r = index.search(n === 1 ? qs[0] : qs, budget, 2);
    // a single vector gives Matches (no counts), a matrix BatchMatches
    const m = r.counts != null ? r : { keys: r.keys, counts: [BigInt(r.keys.length)] };
    const pred = new Int32Array(n * 5).fill(-1);
    const cand = [];
    for (let i = 0; i < n; i++) {
      const ids = [];
      const found = Number(m.counts[i]);
      for (let j = 0; j < found; j++) ids.push(Number(m.keys[i * budget + j]));
      cand.push(ids);
      // exact rescoring of the retrieved labels
      const scores = ids.map((c) => {
        let s = biasV[c];
        for (let k = 0; k < dim; k++) s += q[i * dim + k] * kernelT[c * dim + k];
        return s;
      });
      const order = ids.map((_, j) => j).sort((a, b) => scores[b] - scores[a]);
      for (let j = 0; j < Math.min(5, order.length); j++) pred[i * 5 + j] = ids[order[j]];
    }
    return { pred, cand };
  };
  return { search };
}

/**
 * The comparison on one problem: a trained output layer (kernel [dim, units], bias), training pairs
 * for the hash, test queries. Hash methods at equal budgets: each method's union of buckets exceeds the
 * budget, so every method scores exactly `budget` classes per query (most table hits first).
 */
async function compare(name, title, { kernel, bias, train, test, dim, units, budgets, hashEpochs, lssOpts, simOpts, wtaOpts, notes, quick }) {
  const backends = benchBackends();
  const trainBackend = await usePreferredBackend(backends);
  const yt = test.y;
  const kT = tf.tensor2d(kernel, [dim, units]);
  const bT = tf.tensor1d(bias);
  const dense0 = denseWith(kT, bT);
  // LSS: one trained hash per budget (the budget caps retrieval, the hash is the same); trained once
  const xr = tf.tensor2d(train.x, [train.n, dim]);
  const yr = tf.tensor1d(train.y, 'int32');
  const trained = {};
  for (const asymmetric of [false, true]) {
    const lss0 = await convert(convertToLSS, dense0, { ...lssOpts, asymmetric, maxCandidates: budgets[0] });
    const trainer = new LSSHashTrainer(lss0, { seed: 1 });
    const t0 = performance.now();
    const fit = trainer.fit(xr, yr, { epochs: hashEpochs });
    const sec = (performance.now() - t0) / 1000;
    trainer.dispose();
    trained[asymmetric ? 'asymmetric' : 'shared'] = { fit, sec, weights: lss0.getWeights().map((w) => ({ shape: w.shape, dtype: w.dtype, values: w.dataSync().slice() })) };
    log(`   LSS (${asymmetric ? 'asymmetric' : 'shared'}) hash trained on ${trainBackend} in ${sec.toFixed(1)} s (${hashEpochs} epochs, loss ${fit.losses.map((l) => l.toFixed(3)).join(' → ')})`);
    lss0.dispose();
  }
  const { fit, sec: trainSec } = trained.shared;
  tf.dispose([xr, yr, kT, bT]);

  const kernelT = new Float32Array(units * dim);
  for (let k = 0; k < dim; k++) for (let c = 0; c < units; c++) kernelT[c * dim + k] = kernel[k * units + c];
  const rows = [];
  const prog = new Progress(name, backends.length * (1 + 4 * budgets.length) + budgets.length);
  const nq = Math.min(256, test.n);
  const lssWith = async (dense, B, asymmetric) => {
    const l = await convert(convertToLSS, dense, { ...lssOpts, asymmetric, maxCandidates: B });
    const ws = trained[asymmetric ? 'asymmetric' : 'shared'].weights.map((w) => tf.tensor(w.values, w.shape, w.dtype));
    l.setWeights(ws);
    tf.dispose(ws);
    return l;
  };
  const methods = (dense) => ({
    'LSS (shared)': (B) => lssWith(dense, B, false),
    'LSS (asymmetric)': (B) => lssWith(dense, B, true),
    SimHash: (B) => convert(convertToLSHSoftmax, dense, { ...simOpts, maxCandidates: B }),
    WTA: (B) => convert(convertToLSHSoftmax, dense, { ...wtaOpts, maxCandidates: B }),
  });
  for (const backend of backends) {
    await useBackend(backend);
    const kb = tf.tensor2d(kernel, [dim, units]);
    const bb = tf.tensor1d(bias);
    const dense = denseWith(kb, bb);
    const xt = tf.tensor2d(test.x, [test.n, dim]);
    const ytT = tf.tensor1d(yt, 'int32');
    const q256 = tf.slice(xt, [0, 0], [nq, dim]);
    const q1 = tf.slice(xt, [0, 0], [1, dim]);
    const slow = backend === 'cpu' ? { warmup: 1, reps: 3, minMs: 0 } : { warmup: 4, reps: quick ? 3 : 9, minMs: quick ? 50 : 500 };
    const denseTop = (q) => tf.topk(tf.add(tf.matMul(q, kb), bb), 5).indices;
    const dAcc = precision(readBack(() => denseTop(xt)), 5, yt);
    const d256 = time(() => readBack(() => denseTop(q256)), slow).ms / nq;
    const d1 = time(() => readBack(() => denseTop(q1)), slow).ms;
    rows.push({ backend, method: 'dense topk(matMul)', budget: units, candidates: units, recall: 1, p1: dAcc.p1, p5: dAcc.p5, relP1: 1, ms256: d256, ms1: d1, speedup256: 1, speedup1: 1 });
    prog.step(`${backend} dense: P@1 ${dAcc.p1.toFixed(4)}, ${d256.toFixed(3)} ms/query @256, ${d1.toFixed(2)} ms @1`);
    for (const [method, make] of Object.entries(methods(dense))) {
      for (const B of budgets) {
        const layer = await make(B);
        const run = (q) => {
          const r = layer.topK(q, 5);
          const v = r.indices.dataSync();
          tf.dispose([r.indices, r.values]);
          return v;
        };
        const acc = precision(run(xt), 5, yt);
        const rec = layer.labelRecall(xt, ytT);
        const t256 = time(() => run(q256), slow).ms / nq;
        const t1 = time(() => run(q1), slow).ms;
        rows.push({ backend, method, budget: B, candidates: rec.meanCandidates, recall: rec.recall, p1: acc.p1, p5: acc.p5, relP1: acc.p1 / dAcc.p1, ms256: t256, ms1: t1, speedup256: d256 / t256, speedup1: d1 / t1 });
        prog.step(`${backend} ${method} B=${B}: P@1 ${acc.p1.toFixed(4)}, recall ${rec.recall.toFixed(3)} at ${rec.meanCandidates.toFixed(0)} cand, ${t256.toFixed(3)} ms/query`);
        layer.dispose();
      }
    }
    tf.dispose([kb, bb, xt, ytT, q256, q1]);
  }
  // HNSW peer: native code, no tfjs backend; ratios against the fastest dense backend
  const fastest = rows.filter((r) => r.method.startsWith('dense')).sort((a, b) => a.ms256 - b.ms256)[0];
  for (const B of budgets) {
    const peer = hnswPeer(kernelT, bias, units, dim, B);
    const all = peer.search(test.x, test.n);
    const acc = precision(all.pred, 5, yt);
    let hit = 0;
    let cand = 0;
    for (let i = 0; i < test.n; i++) {
      if (all.cand[i].includes(yt[i])) hit++;
      cand += all.cand[i].length;
    }
    const t256 = time(() => peer.search(test.x, nq), { warmup: 1, reps: quick ? 3 : 7, minMs: 0 }).ms / nq;
    const t1 = time(() => peer.search(test.x, 1), { warmup: 2, reps: quick ? 3 : 7, minMs: 0 }).ms;
    rows.push({ backend: 'native (usearch)', method: 'HNSW MIPS + rescoring', budget: B, candidates: cand / test.n, recall: hit / test.n, p1: acc.p1, p5: acc.p5, relP1: acc.p1 / fastest.p1, ms256: t256, ms1: t1, speedup256: fastest.ms256 / t256, speedup1: fastest.ms1 / t1 });
    prog.step(`HNSW B=${B}: P@1 ${acc.p1.toFixed(4)}, recall ${(hit / test.n).toFixed(3)}, ${t256.toFixed(3)} ms/query`);
  }
  const cmd = `npm run bench -- ${name}${quick ? ' --quick' : ''}`;
  await writeResults(name, {
    title,
    command: cmd,
    notes: [
      ...notes,
      `LSS hash: ${hashEpochs} epoch(s) of LSSHashTrainer on ${train.n} training pairs on ${trainBackend}: shared ${trainSec.toFixed(1)} s, loss ${fit.losses.map((l) => l.toFixed(3)).join(' → ')}; asymmetric ${trained.asymmetric.sec.toFixed(1)} s, loss ${trained.asymmetric.fit.losses.map((l) => l.toFixed(3)).join(' → ')}.`,
      'Speed-ups are against dense topk(matMul) on the same backend; for HNSW (native, 2 threads) against the fastest dense backend of this run.',
      'recall = fraction of test queries whose correct label is among the candidates; candidates = mean classes scored per query.',
    ],
    columns: [
      { key: 'backend', label: 'backend' }, { key: 'method', label: 'method' }, { key: 'budget', label: 'budget' },
      { key: 'candidates', label: 'candidates' }, { key: 'recall', label: 'recall' }, { key: 'p1', label: 'P@1' }, { key: 'p5', label: 'P@5' },
      { key: 'relP1', label: 'P@1 / dense' }, { key: 'ms256', label: 'ms/query @256' }, { key: 'ms1', label: 'ms @1' },
      { key: 'speedup256', label: 'speed-up @256' }, { key: 'speedup1', label: 'speed-up @1' },
    ],
    rows,
  });
}

/** Synthetic: the planted problem of tools/data/planted_wol.cjs at 100k labels (d = 64). */
async function planted({ quick }) {
  const units = quick ? 20000 : 100000;
  const P = plantedWOL({ units, train: quick ? 10000 : 40000, test: 2000, seed: 3 });
  await compare('lss-planted', `LSS on the planted problem, ${units} labels`, {
    kernel: P.kernel,
    bias: P.bias,
    train: P.train,
    test: P.test,
    dim: P.dim,
    units,
    budgets: quick ? [100] : [64, 256, 1024],
    hashEpochs: quick ? 1 : 3,
    lssOpts: { tables: 16, bits: 10, seed: 1 },
    simOpts: { hash: 'simhash', tables: 16, bits: 10, seed: 1 },
    wtaOpts: { hash: 'wta', tables: 16, window: 8, band: 3, seed: 1 },
    notes: ['Planted problem (tools/data/planted_wol.cjs): a nuisance direction in every label vector lifts wrong labels above the correct one; the correct label has a moderate inner product.'],
    quick,
  });
}

/** Real: next-word prediction on SOTU (10k words), a Keras-style model trained with full softmax; post-hoc LSS. */
async function sotu({ quick }) {
  const vocab = quick ? 2000 : 10000;
  const ctx = 3;
  await usePreferredBackend();
  const data = nextWordData({ vocabSize: vocab, context: ctx, maxTrain: quick ? 40000 : 200000, maxTest: 5000 });
  const hidden = tf.layers.dense({ units: 64, activation: 'relu' });
  const out = tf.layers.dense({ units: vocab, activation: 'softmax' });
  const model = tf.sequential({ layers: [tf.layers.embedding({ inputDim: vocab + 1, outputDim: 32, inputLength: ctx, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 1 }) }), tf.layers.flatten(), hidden, out] });
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'sparseCategoricalCrossentropy' });
  const xs = tf.tensor2d(data.train.x, [data.train.n, ctx], 'int32');
  const ysf = tf.tensor1d(Float32Array.from(data.train.y));
  await model.fit(xs, ysf, { epochs: quick ? 1 : 3, batchSize: 256, verbose: 0 });
  const feat = tf.model({ inputs: model.inputs, outputs: hidden.output });
  const xt = tf.tensor2d(data.test.x, [data.test.n, ctx], 'int32');
  const hr = feat.predict(xs, { batchSize: 2048 });
  const ht = feat.predict(xt, { batchSize: 2048 });
  const [kernel, bias] = out.getWeights().map((w) => w.dataSync().slice());
  const train = { x: hr.dataSync().slice(), y: data.train.y, n: data.train.n };
  const test = { x: ht.dataSync().slice(), y: data.test.y, n: data.test.n };
  tf.dispose([xs, ysf, xt, hr, ht]);
  model.dispose();
  const head = Math.round(vocab / 100);
  await compare('lss-sotu', `LSS on SOTU next-word prediction, ${vocab} words`, {
    kernel,
    bias,
    train,
    test,
    dim: 64,
    units: vocab,
    budgets: quick ? [100] : [64, 256, 1024],
    hashEpochs: quick ? 1 : 2,
    lssOpts: { tables: 16, bits: 8, seed: 1, headClasses: head },
    simOpts: { hash: 'simhash', tables: 16, bits: 6, seed: 1, headClasses: head },
    wtaOpts: { hash: 'wta', tables: 16, window: 8, band: 2, seed: 1, headClasses: head },
    notes: [
      `Embedding(32) × 3 context words → Dense(64, relu) → Dense(${vocab}, softmax), trained with full softmax (${quick ? 1 : 3} epochs, ${data.train.n} training positions before 2000); test: ${data.test.n} positions from later speeches.`,
      `Every hashed method adds the same exact head of the ${head} highest-bias words (headClasses); budgets count retrieved classes outside it.`,
    ],
    quick,
  });
}

export const BENCHMARKS = { 'lss-planted': planted, 'lss-sotu': sotu };
