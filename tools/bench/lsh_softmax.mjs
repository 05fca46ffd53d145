// Benchmarks of @hashlayers/lsh-softmax against the exact softmax on the same backend.
import { createRequire } from 'node:module';
import { benchBackends, log, Progress, readBack, time, tf, useBackend, usePreferredBackend, writeResults } from './harness.mjs';

const require = createRequire(import.meta.url);
const L = require('@hashlayers/lsh-softmax');
const C = require('@hashlayers/core');
const { nextWordData } = require('../data/sotu.cjs');
const { nextWordModel } = require('../data/next_word_model.cjs');
const { shuffledRows } = require('../data/rng.cjs');
const { layerWith, syntheticWideLayer } = require('../data/wide_layer.cjs');
const { precision } = require('../data/metrics.cjs');

/**
 * Synthetic wide output layers (d = 128): class vectors with Zipf-like biases,
 * queries near their class vector. Inference against dense topk(matMul) and
 * training steps against full softmax, per backend.
 */
export async function synthetic({ quick }) {
  return wideLayers({ quick, inference: true, training: false });
}

/** Training steps of the synthetic wide layers against full softmax, per backend and optimizer. */
export async function training({ quick }) {
  return wideLayers({ quick, inference: false, training: true });
}

async function wideLayers({ quick, inference, training }) {
  const d = 128;
  const unitsList = quick ? [20000] : [100000, 500000];
  const cpuMax = 100000;
  const settings = [
    { tables: 8, window: 8, band: 3 }, { tables: 16, window: 8, band: 3 }, { tables: 32, window: 8, band: 3 },
    { tables: 8, window: 8, band: 4 }, { tables: 16, window: 8, band: 4 }, { tables: 32, window: 8, band: 4 },
    { tables: 16, window: 8, band: 5 },
  ];
  const backends = benchBackends();
  const rows = [];
  const trainRows = [];
  const prog = new Progress(`lsh-softmax ${inference ? 'synthetic' : 'training'}`, backends.length * unitsList.length * ((inference ? settings.length + 1 : 0) + (training ? 1 : 0)));
  for (const backend of backends) {
    await useBackend(backend);
    for (const units of unitsList) {
      if (backend === 'cpu' && units > cpuMax) {
        for (let k = 0; k < (inference ? settings.length + 1 : 0) + (training ? 1 : 0); k++) prog.step(`cpu units=${units}: skipped (the cpu backend's dense baseline takes minutes per batch)`);
        continue;
      }
      const nq = 256;
      const { w, b, h, labels } = syntheticWideLayer(units, { d, queries: nq });
      const wt = tf.transpose(w);
      const slow = backend === 'cpu' ? { warmup: 1, reps: 3, minMs: 0 } : { warmup: 2, reps: 7, minMs: quick ? 100 : 500 };
      const dense = (q) => tf.topk(tf.add(tf.matMul(q, wt), b), 5).indices;
      const h1 = tf.slice(h, [0, 0], [1, d]);
      if (inference) {
      const densePred = readBack(() => dense(h));
      const dAcc = precision(densePred, 5, labels);
      const dense256 = time(() => readBack(() => dense(h)), slow).ms / nq;
      const dense1 = time(() => readBack(() => dense(h1)), slow).ms;
      prog.step(`${backend} units=${units} dense: ${dense256.toFixed(3)} ms/query @256, ${dense1.toFixed(2)} ms @1, P@1 ${dAcc.p1.toFixed(3)}`);
      rows.push({ backend, units, method: 'dense topk(matMul)', setting: '-', candidates: units, p1: dAcc.p1, p5: dAcc.p5, agree: 1, relP1: 1, ms256: dense256, ms1: dense1, speedup256: 1, speedup1: 1 });
      for (const s of settings) {
        const layer = layerWith(w, b, { ...s, maxCandidates: 2048, exactBelow: 1 });
        const run = (q) => {
          const r = layer.topK(q, 5);
          const v = r.indices.dataSync();
          tf.dispose([r.indices, r.values]);
          return { v, cand: r.candidatesPerQuery };
        };
        const { v, cand } = run(h);
        const acc = precision(v, 5, labels);
        let agree = 0;
        for (let i = 0; i < nq; i++) if (v[i * 5] === densePred[i * 5]) agree++;
        acc.agree = agree / nq;
        const t256 = time(() => run(h), slow).ms / nq;
        const t1 = time(() => run(h1), slow).ms;
        const meanCand = cand.reduce((a, c) => a + c, 0) / nq;
        rows.push({ backend, units, method: 'LSHSoftmax (WTA)', setting: `L=${s.tables} window=${s.window} band=${s.band}`, candidates: meanCand, p1: acc.p1, p5: acc.p5, agree: acc.agree, relP1: acc.p1 / dAcc.p1, ms256: t256, ms1: t1, speedup256: dense256 / t256, speedup1: dense1 / t1 });
        prog.step(`${backend} units=${units} L=${s.tables} band=${s.band}: P@1 ${acc.p1.toFixed(3)}, ${meanCand.toFixed(0)} cand, ${t256.toFixed(3)} ms/query`);
        layer.dispose();
      }
      }
      // training: one Adam step on a batch of 256 (loss + gradients + update), LSH vs full softmax
      // skipped: cpu (a full-softmax step at 100k takes ~100 s there; an earlier run of this command measured
      // full 0.01 vs LSH 0.11 steps/s at 100k); at 500k on wasm only the sparse engine runs (Adam's slots and the
      // dense gradient of a 500k × 128 kernel exceed the wasm heap: 'memory access out of bounds')
      if (training && (backend === 'tensorflow' || backend === 'wasm')) {
        // the same layer and batch under each optimizer: tf.train.adam, FusedAdam (the same update, one fused
        // pass per variable), FusedAdam lazy (LSH only: only the step's candidate rows move, TF-Addons LazyAdam),
        // and the sparse engine (LSH only: classOptimizer, lazy Adam on the candidate rows inside the layer)
        const denseFits = backend === 'tensorflow' || units <= 100000;
        const configs = [
          { mode: 'full', opt: 'tf.train.adam' }, { mode: 'lsh', opt: 'tf.train.adam' },
          { mode: 'full', opt: 'FusedAdam' }, { mode: 'lsh', opt: 'FusedAdam' }, { mode: 'lsh', opt: 'FusedAdam lazy' },
          { mode: 'lsh', opt: 'engine (classOptimizer)' },
        ].filter((c) => denseFits || c.opt.startsWith('engine'));
        const ms = {};
        for (const c of configs) {
          const engine = c.opt.startsWith('engine');
          const layer = layerWith(w, b, { mode: c.mode, tables: 16, window: 8, band: 3, maxCandidates: 256, uniformSamples: 64, ...(engine ? { classOptimizer: { learningRate: 1e-3 } } : {}) });
          const opt = c.opt === 'tf.train.adam' || engine ? tf.train.adam(1e-3) : C.fusedAdam(1e-3, 0.9, 0.999, undefined, c.opt === 'FusedAdam lazy' ? { lazy: true, rowSources: [layer] } : {});
          // the engine trains kernel and bias itself; the compiled optimizer sees only the layer's zero anchor
          const vars = engine ? layer.trainableWeights.map((v) => v.read()) : [layer.kernel.read(), layer.bias.read()];
          const y = tf.tensor1d(labels, 'int32');
          const step = () => {
            const cost = opt.minimize(() => tf.mean(layer.call([h, y], {})), true, vars);
            cost.dataSync();
            cost.dispose();
          };
          ms[`${c.mode} ${c.opt}`] = time(step, { warmup: 1, reps: 5, minMs: 0 }).ms;
          // what a RehashCallback pays per rehash (copy the trained rows out, hash every class, rebuild the tables)
          if (engine) ms.rehash = time(() => layer.rehash({ minChangedFraction: 0 }), { warmup: 0, reps: 3, minMs: 0 }).ms;
          opt.dispose();
          y.dispose();
          layer.dispose();
          log(`   ${backend} ${units} ${c.mode} ${c.opt}: ${ms[`${c.mode} ${c.opt}`].toFixed(0)} ms/step`);
        }
        const fullBest = denseFits ? Math.min(ms['full tf.train.adam'], ms['full FusedAdam']) : null;
        for (const c of configs.filter((x) => x.mode === 'lsh')) {
          const key = `lsh ${c.opt}`;
          // same family: lazy FusedAdam against FusedAdam, the engine's lazy Adam against tf.train.adam
          const sameOpt = !denseFits ? null : c.opt === 'FusedAdam lazy' ? ms['full FusedAdam'] : c.opt.startsWith('engine') ? ms['full tf.train.adam'] : ms[`full ${c.opt}`];
          trainRows.push({
            backend, units, optimizer: c.opt, fullStepsPerSec: sameOpt == null ? null : 1000 / sameOpt, lshStepsPerSec: 1000 / ms[key],
            speedup: sameOpt == null ? null : sameOpt / ms[key], speedupBest: fullBest == null ? null : fullBest / ms[key],
            rehashMs: c.opt.startsWith('engine') ? ms.rehash : null,
          });
        }
        prog.step(`${backend} units=${units} training (ms/step): ${Object.entries(ms).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
      } else if (training) prog.step(`skipped ${backend} training at ${units} units`);
      tf.dispose([w, b, h, h1, wt]);
    }
    await write();
  }
  async function write() {
  const cmd = `npm run bench -- lsh-softmax-${inference ? 'synthetic' : 'training'}${quick ? ' --quick' : ''}`;
  if (inference) await writeResults('lsh-softmax-synthetic', {
    title: 'LSHSoftmax inference on synthetic wide layers (d = 128)',
    command: cmd,
    notes: [
      'Class vectors N(0, 1/d), biases −0.2·log(rank) (Zipf-like); 256 queries = 8·w[label] + N(0, 0.15²), so the dense layer ranks the planted label first for most queries. Dense baseline: topk(matMul(h, Wᵀ) + b) with Wᵀ pre-transposed, same backend, same process. LSH: LSHSoftmax.topK, i.e. hash the query, then bucket union (≤ 2048 candidates), exact logits of the candidates and top-5 in one candidateTopK kernel. P@k against the planted labels. `speedup` = dense ms / LSH ms.',
    ],
    columns: [
      { key: 'backend', label: 'backend' }, { key: 'units', label: 'units' }, { key: 'method', label: 'method' }, { key: 'setting', label: 'setting' },
      { key: 'candidates', label: 'candidates / query' }, { key: 'p1', label: 'P@1' }, { key: 'relP1', label: 'P@1 / dense P@1' }, { key: 'p5', label: 'P@5' }, { key: 'agree', label: 'top-1 = dense top-1' },
      { key: 'ms256', label: 'ms / query (batch 256)' }, { key: 'speedup256', label: 'speedup @256' },
      { key: 'ms1', label: 'ms / query (batch 1)' }, { key: 'speedup1', label: 'speedup @1' },
    ],
    rows,
  });
  if (training) await writeResults('lsh-softmax-training', {
    title: 'LSHSoftmax training steps per second against full softmax (batch 256, d = 128, Adam)',
    command: cmd,
    notes: [
      'One step = forward, loss, gradients and the optimizer update of kernel and bias (batch 256, lr 1e-3). LSH: WTA L=16 window=8 band=3, ≤ 256 retrieved classes + 64 uniform tail samples per row.',
      '`engine (classOptimizer)`: the layer trains kernel and bias itself in its sparse engine (lazy Adam on the candidate rows, no [units, d] gradient); compared with the full softmax under tf.train.adam. At 500k on wasm only the engine runs (the dense runs exceed the wasm heap), so it has no ratio. Steps are timed without rehashing; `one rehash` is what a RehashCallback adds each time it fires (copy the trained rows out of the engine, hash every class, rebuild the tables).',
      '`full softmax steps/s` uses the same optimizer (FusedAdam for the lazy row); `speedup vs fastest full` divides by the faster of the two full-softmax runs (tf.train.adam, FusedAdam) on that backend. FusedAdam computes the update of tf.train.adam in one WebAssembly SIMD pass per variable; lazy FusedAdam moves only the rows in the step\'s candidate sets (TF-Addons LazyAdam semantics: untouched rows keep their moments).',
    ],
    columns: [
      { key: 'backend', label: 'backend' }, { key: 'units', label: 'units' }, { key: 'optimizer', label: 'optimizer' },
      { key: 'fullStepsPerSec', label: 'full softmax steps/s (same optimizer)' },
      { key: 'lshStepsPerSec', label: 'LSHSoftmax steps/s' }, { key: 'speedup', label: 'speedup (same optimizer)' },
      { key: 'speedupBest', label: 'speedup vs fastest full' },
      { key: 'rehashMs', label: 'one rehash (ms)' },
    ],
    rows: trainRows,
  });
  }
}

/** Real data: next-word prediction on SOTU with a 10k-word vocabulary, held-out speeches. */
export async function sotu({ quick }) {
  const backend = await usePreferredBackend();
  const vocab = 10000;
  const ctx = 3;
  const data = nextWordData({ vocabSize: vocab, context: ctx, maxTrain: quick ? 50000 : 100000, maxTest: 10000 });
  // fit's own shuffle draws from Math.random: the rows are shuffled once with a seed instead (repeatable runs)
  const shuffled = shuffledRows(data.train, ctx, 7);
  const xs = tf.tensor2d(shuffled.x, [data.train.n, ctx], 'int32');
  const ys = tf.tensor1d(shuffled.y, 'int32');
  const xt = tf.tensor2d(data.test.x, [data.test.n, ctx], 'int32');
  const epochs = quick ? 1 : 2;
  const rows = [];
  const runs = [{ mode: 'full', optimizer: 'adam' }, { mode: 'lsh', optimizer: 'adam' }, { mode: 'lsh', optimizer: 'lazyAdam' }, { mode: 'lsh', optimizer: 'engine' }];
  const prog = new Progress('lsh-softmax SOTU', runs.length);
  for (const { mode, optimizer } of runs) {
    const { train, layer } = nextWordModel(tf, L, {
      vocab, context: ctx, embDim: 32, hidden: 128, lr: 0.003, optimizer,
      layer: { mode, tables: 16, window: 8, band: 3, maxCandidates: 300, uniformSamples: 100, headClasses: 100 },
    });
    const zeros = tf.zeros([data.train.n, 1]);
    const t0 = performance.now();
    const steps = Math.ceil(data.train.n / 256) * epochs;
    await train.fit([xs, ys], zeros, {
      epochs, batchSize: 256, verbose: 0, shuffle: false,
      callbacks: [...(mode === 'lsh' ? [new L.RehashCallback({ layer, everyBatches: 50 })] : []),
        // plain-object callbacks mixed with class callbacks must be wrapped in tf.CustomCallback
        new tf.CustomCallback({ onEpochEnd: async (e, logs) => log(`   ${mode} epoch ${e + 1}/${epochs} loss ${logs.loss.toFixed(3)} elapsed ${((performance.now() - t0) / 1000).toFixed(0)}s`) })],
    });
    const fitSec = (performance.now() - t0) / 1000;
    zeros.dispose();
    const feats = L.featureModel(train);
    const ht = feats.predict(xt);
    const evalMode = (m) => {
      const keep = layer.mode;
      layer.mode = m;
      const r = layer.topK(ht, 5);
      const v = r.indices.dataSync();
      const cand = r.candidatesPerQuery.reduce((a, c) => a + c, 0) / data.test.n;
      tf.dispose([r.indices, r.values]);
      const ht256 = tf.slice(ht, [0, 0], [256, ht.shape[1]]);
      const ht1 = tf.slice(ht, [0, 0], [1, ht.shape[1]]);
      const run = (q) => { const o = layer.topK(q, 5); o.indices.dataSync(); tf.dispose([o.indices, o.values]); };
      const ms256 = time(() => run(ht256), { warmup: 2, reps: 7, minMs: 300 }).ms / 256;
      const ms1 = time(() => run(ht1), { warmup: 2, reps: 15, minMs: 300 }).ms;
      tf.dispose([ht256, ht1]);
      layer.mode = keep;
      return { ...precision(v, 5, data.test.y), cand: m === 'full' ? vocab : cand, ms256, ms1 };
    };
    const exact = evalMode('full');
    const approx = evalMode('lsh');
    const optName = { adam: 'tf.train.adam', lazyAdam: 'FusedAdam lazy', engine: 'sparse engine (classOptimizer)' }[optimizer];
    const trained = `${mode === 'full' ? 'full softmax' : 'LSHSoftmax'}, ${optName}`;
    rows.push({ trained, inference: 'exact (dense topk)', ...exact, stepsPerSec: steps / fitSec });
    rows.push({ trained, inference: 'LSH candidates (+100 head)', ...approx, stepsPerSec: steps / fitSec });
    ht.dispose();
    prog.step(`${mode} ${optimizer}: fit ${fitSec.toFixed(0)}s, exact P@1 ${exact.p1.toFixed(4)}, LSH P@1 ${approx.p1.toFixed(4)}`);
  }
  const fullP1 = rows[0].p1;
  for (const r of rows) r.relP1 = r.p1 / fullP1;
  await writeResults('lsh-softmax-sotu', {
    title: `LSHSoftmax on SOTU next-word prediction (${vocab} words, held-out speeches), ${backend} backend`,
    command: `npm run bench -- lsh-softmax-sotu${quick ? ' --quick' : ''}`,
    notes: [`Train: ${data.train.n} positions of speeches before 2000, ${epochs} epoch(s), batch 256, learning rate 0.003 with tf.train.adam, or for the third run FusedAdam lazy (only the rows of classes in the step's candidate sets move), or for the last the layer's sparse engine (classOptimizer: lazy Adam 0.003 on the candidate rows inside the layer, tf.train.adam for the rest); test: ${data.test.n} positions of speeches from 2000 on. Model: 3 previous words → embedding 32 → Dense 128 relu → output. LSH: WTA L=16 window=8 band=3, ≤ 300 retrieved + 100 highest-bias head classes + 100 uniform tail samples in training. \`rel. P@1\` is relative to the full-softmax model with exact inference.`],
    columns: [
      { key: 'trained', label: 'trained with' }, { key: 'inference', label: 'inference' }, { key: 'p1', label: 'P@1' }, { key: 'p5', label: 'P@5' },
      { key: 'relP1', label: 'rel. P@1' }, { key: 'cand', label: 'retrieved / query' }, { key: 'ms256', label: 'ms / query @256' }, { key: 'ms1', label: 'ms / query @1' },
      { key: 'stepsPerSec', label: 'train steps/s' },
    ],
    rows,
  });
}
