// Benchmarks of @hashlayers/lsh-softmax against the exact softmax on the same backend.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { benchBackends, log, Progress, readBack, readBandwidth, time, tf, useBackend, usePreferredBackend, writeResults } from './harness.mjs';

const require = createRequire(import.meta.url);
const L = require('@hashlayers/lsh-softmax');
const { lshSoftmaxInternals } = require('@hashlayers/lsh-softmax/internal');
const { Index: HNSWIndex } = require('usearch');
const C = require('@hashlayers/core');
const { nextWordData } = require('../data/sotu.cjs');
const { nextWordModel } = require('../data/next_word_model.cjs');
const { shuffledRows } = require('../data/rng.cjs');
const { layerWith, syntheticWideLayer } = require('../data/wide_layer.cjs');
const { precision } = require('../data/metrics.cjs');

/**
 * Synthetic wide output layers (d = 128): class vectors with Zipf-like biases, queries near their
 * class vector. Inference: LSHSoftmax.topK against the fastest dense form on each backend and against
 * usearch's HNSW, with each row's physical limit (bytes it must read / measured bandwidth).
 */
export async function synthetic({ quick }) {
  return inference({ quick });
}

/** Training steps of the synthetic wide layers against full softmax, per backend and optimizer. */
export async function training({ quick }) {
  return wideLayers({ quick, training: true });
}

async function wideLayers({ quick, training }) {
  const d = 128;
  const unitsList = quick ? [20000] : [100000, 500000];
  const cpuMax = 100000;
  const backends = benchBackends();
  const trainRows = [];
  const prog = new Progress('lsh-softmax training', backends.length * unitsList.length);
  for (const backend of backends) {
    await useBackend(backend);
    for (const units of unitsList) {
      if (backend === 'cpu' && units > cpuMax) {
        prog.step(`cpu units=${units}: skipped (the cpu backend's dense baseline takes minutes per batch)`);
        continue;
      }
      const nq = 256;
      const { w, b, h, labels } = syntheticWideLayer(units, { d, queries: nq });
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
          // what a RehashCallback pays per rehash: with the engine, re-hash the rows one step changed and move them in
          // place (incremental), timed after one step each; and a full rebuild of every class for comparison
          if (engine) {
            const after = [];
            for (let r = 0; r < 3; r++) {
              step();
              const t0 = performance.now();
              layer.rehash({ minChangedFraction: 0 });
              after.push(performance.now() - t0);
            }
            ms.rehash = after.sort((a, c) => a - c)[1];
            ms.rebuild = time(() => {
              const internals = lshSoftmaxInternals(layer);
              internals.index().rebuild(layer.kernel.read(), layer.bias.read(), { minChangedFraction: 0 });
            }, { warmup: 0, reps: 3, minMs: 0 }).ms;
          }
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
            rebuildMs: c.opt.startsWith('engine') ? ms.rebuild : null,
          });
        }
        prog.step(`${backend} units=${units} training (ms/step): ${Object.entries(ms).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
      } else if (training) prog.step(`skipped ${backend} training at ${units} units`);
      tf.dispose([w, b, h]);
    }
    await write();
  }
  async function write() {
  const cmd = `npm run bench -- lsh-softmax-training${quick ? ' --quick' : ''}`;
  if (training) await writeResults('lsh-softmax-training', {
    title: 'LSHSoftmax training steps per second against full softmax (batch 256, d = 128, Adam)',
    command: cmd,
    notes: [
      'One step = forward, loss, gradients and the optimizer update of kernel and bias (batch 256, lr 1e-3). LSH: WTA L=16 window=8 band=3, ≤ 256 retrieved classes + 64 uniform tail samples per row.',
      '`engine (classOptimizer)`: the layer trains kernel and bias itself in its sparse engine (lazy Adam on the candidate rows, no [units, d] gradient); compared with the full softmax under tf.train.adam. At 500k on wasm only the engine runs (the dense runs exceed the wasm heap), so it has no ratio. Steps are timed without rehashing; `one rehash` is what a RehashCallback adds each time it fires after one step (incremental: the rows that step changed, re-hashed from the engine and moved in place; median of 3); `full rebuild` hashes every class and rebuilds the tables (what a rehash cost before, and still costs for SimHash or training without the engine).',
      '`full softmax steps/s` uses the same optimizer (FusedAdam for the lazy row); `speedup vs fastest full` divides by the faster of the two full-softmax runs (tf.train.adam, FusedAdam) on that backend. FusedAdam computes the update of tf.train.adam in one WebAssembly SIMD pass per variable; lazy FusedAdam moves only the rows in the step\'s candidate sets (TF-Addons LazyAdam semantics: untouched rows keep their moments).',
    ],
    columns: [
      { key: 'backend', label: 'backend' }, { key: 'units', label: 'units' }, { key: 'optimizer', label: 'optimizer' },
      { key: 'fullStepsPerSec', label: 'full softmax steps/s (same optimizer)' },
      { key: 'lshStepsPerSec', label: 'LSHSoftmax steps/s' }, { key: 'speedup', label: 'speedup (same optimizer)' },
      { key: 'speedupBest', label: 'speedup vs fastest full' },
      { key: 'rehashMs', label: 'one rehash after a step (ms)' },
      { key: 'rebuildMs', label: 'full rebuild (ms)' },
    ],
    rows: trainRows,
  });
  }
}

/**
 * LSHSoftmax.topK against the dense forms of the same layer on each backend and against an HNSW peer
 * (usearch, native), with the physical limit of each row. The synthetic layer of wide_layer.cjs (d = 128).
 */
async function inference({ quick }) {
  const d = 128;
  const nq = 256;
  const unitsList = quick ? [20000] : [100000, 500000];
  const cpuMax = 100000;
  const settings = (quick ? [{ tables: 8, band: 3 }, { tables: 16, band: 4 }, { tables: 16, band: 5 }] : [
    { tables: 8, band: 3 }, { tables: 16, band: 3 }, { tables: 8, band: 4 }, { tables: 16, band: 4 }, { tables: 16, band: 5 },
  ]).map((s) => ({ ...s, window: 8 }));
  const maxCandidates = 2048;
  const efsIp = quick ? [16, 256] : [16, 64, 256, 1024];
  const efsCos = quick ? [16, 64] : [16, 32, 64, 128, 256, 512];
  const singles = 16; // batch-1 timings cycle through the first 16 queries
  const backends = benchBackends();
  const load0 = loadavg();
  const rowBytes = (d + 1) * 4; // a class row and its bias, float32
  // the read bandwidth over each layer's working set (a layer re-read call after call sits in the last-level
  // cache when it fits), every core reading: the rate no method's reads of that layer can beat
  const bws = new Map();
  for (const units of unitsList) {
    const bw = await readBandwidth({ mb: Math.ceil((units * rowBytes) / 2 ** 20), threads: availableParallelism() });
    const bw1 = await readBandwidth({ mb: Math.ceil((units * rowBytes) / 2 ** 20), threads: 1 });
    bws.set(units, { ...bw, single: bw1.bytesPerMs });
    log(`   read bandwidth at ${units} classes: ${(bw.bytesPerMs / 1e6).toFixed(1)} GB/s (${bw.method}), one thread ${(bw1.bytesPerMs / 1e6).toFixed(1)} GB/s`);
  }
  log(`   load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  const rows = [];
  const hnswDone = new Set();
  const perUnits = (u) => (backends.includes('cpu') && u <= cpuMax ? 1 : 0) + backends.filter((b) => b !== 'cpu').length;
  const total = unitsList.reduce((a, u) => a + perUnits(u) * (DENSE_FORMS.length + settings.length) + 2, 0);
  const prog = new Progress('lsh-softmax synthetic', total);
  const t0 = performance.now();
  for (const backend of backends) {
    await useBackend(backend);
    for (const units of unitsList) {
      if (backend === 'cpu' && units > cpuMax) continue; // the cpu backend's dense forms take minutes per batch there
      const { w, b, h, labels } = syntheticWideLayer(units, { d, queries: nq });
      const h1s = Array.from({ length: singles }, (_, i) => tf.slice(h, [i, 0], [1, d]));
      const cycle = (f) => {
        let j = 0;
        return () => f(h1s[j++ % singles]);
      };
      const cpu = backend === 'cpu';
      const fast = cpu ? { warmup: 1, reps: 3, minMs: 0 } : { warmup: 2, reps: 7, minMs: quick ? 100 : 300 };
      const native = { warmup: 1, reps: 5, minMs: quick ? 100 : 300 }; // HNSW, whatever the backend
      // dense: every form, each built just before it runs and disposed after (the 500k forms on the wasm heap)
      let densePred = null;
      let dAcc = null;
      const denseRows = [];
      for (const form of DENSE_FORMS) {
        const weights = form.prepare(w, b);
        const run = (q) => readBack(() => tf.topk(form.logits(q, weights), 5).indices);
        const first = performance.now();
        const pred = run(h); // also the warm-up of the timed runs (on cpu, ≈ 30 s at 100k, the only one)
        const firstMs = performance.now() - first;
        const acc = precision(pred, 5, labels);
        if (densePred == null) {
          densePred = pred;
          dAcc = acc;
        }
        const ms256 = (cpu ? firstMs : time(() => run(h), { warmup: 0, reps: quick ? 2 : 3, minMs: 0 }).ms) / nq;
        const ms1 = time(cycle(run), fast).ms;
        tf.dispose(Object.values(weights));
        const limit = (bytes) => bytes / bws.get(units).bytesPerMs;
        const bytes256 = (units * rowBytes) / nq + d * 4;
        const bytes1 = units * rowBytes + d * 4;
        const row = {
          backend, units, method: 'dense', setting: form.name, candidates: units, p1: acc.p1, p5: acc.p5, agree: agreement(pred, densePred, nq), relP1: acc.p1 / dAcc.p1,
          ms256, ms1, kb256: bytes256 / 1024, limit256: limit(bytes256), kb1: bytes1 / 1024, limit1: limit(bytes1),
        };
        denseRows.push(row);
        rows.push(row);
        prog.step(`${backend} units=${units} ${form.name}: ${ms256.toFixed(3)} ms/query @256, ${ms1.toFixed(2)} ms @1, P@1 ${acc.p1.toFixed(3)}`);
      }
      // the baseline of every ratio on this backend: the fastest form at each batch size
      const best256 = denseRows.reduce((a, r) => (r.ms256 < a.ms256 ? r : a));
      const best1 = denseRows.reduce((a, r) => (r.ms1 < a.ms1 ? r : a));
      for (const r of denseRows) {
        r.fastest = [r === best256 ? '256' : null, r === best1 ? '1' : null].filter(Boolean).join(', ') || '–';
        r.baseline = `${best256.setting} @256; ${best1.setting} @1`;
      }
      for (const s of settings) {
        const layer = layerWith(w, b, { ...s, maxCandidates, exactBelow: 1 });
        const run = (q) => {
          const r = layer.topK(q, 5);
          const v = r.indices.dataSync();
          tf.dispose([r.indices, r.values]);
          return { v, cand: r.candidatesPerQuery };
        };
        const { v, cand } = run(h);
        const acc = precision(v, 5, labels);
        const ms256 = time(() => run(h), fast).ms / nq;
        const ms1 = time(cycle(run), fast).ms;
        // rows the batch's kernel reads: each distinct candidate row once per batch (scored in class order)
        const found = lshSoftmaxInternals(layer).retrieve(h, true);
        const seen = new Uint8Array(units);
        let distinct = 0;
        for (let i = 0; i < nq; i++) {
          for (let j = found.offsets[i]; j < Math.min(found.offsets[i + 1], found.offsets[i] + maxCandidates); j++) {
            if (!seen[found.ids[j]]) distinct++;
            seen[found.ids[j]] = 1;
          }
        }
        let cand1 = 0;
        for (let i = 0; i < singles; i++) cand1 += cand[i] / singles;
        const meanCand = cand.reduce((a, c) => a + c, 0) / nq;
        const limit = (bytes) => bytes / bws.get(units).bytesPerMs;
        const bytes256 = (distinct * rowBytes) / nq + d * 4;
        const bytes1 = cand1 * rowBytes + d * 4;
        rows.push({
          backend, units, method: 'LSHSoftmax (WTA)', setting: `L=${s.tables} window=${s.window} band=${s.band}`, candidates: meanCand, distinct,
          p1: acc.p1, p5: acc.p5, agree: agreement(v, densePred, nq), relP1: acc.p1 / dAcc.p1,
          ms256, speedup256: best256.ms256 / ms256, ms1, speedup1: best1.ms1 / ms1, baseline: `${best256.setting} @256; ${best1.setting} @1`,
          kb256: bytes256 / 1024, limit256: limit(bytes256), kb1: bytes1 / 1024, limit1: limit(bytes1),
        });
        prog.step(`${backend} units=${units} L=${s.tables} band=${s.band}: P@1 ${acc.p1.toFixed(3)}, ${meanCand.toFixed(0)} cand (${distinct} distinct in the batch), ${ms256.toFixed(3)} ms/query @256, ${ms1.toFixed(3)} ms @1`);
        layer.dispose();
      }
      if (!hnswDone.has(units)) {
        hnswDone.add(units);
        const W = w.dataSync();
        const B = b.dataSync();
        const H = h.dataSync();
        for (const variant of HNSW_VARIANTS) {
          if (variant.onlyUpTo != null && units > variant.onlyUpTo) {
            prog.step(`HNSW ${variant.name} units=${units}: skipped (${variant.skipWhy})`);
            continue;
          }
          const peer = hnswPeer(variant, W, B, units, d);
          const efs = variant.metric === 'ip' ? efsIp : efsCos;
          const found = [];
          for (const ef of efs) {
            const pred = peer.search(H, nq, ef, 1);
            const acc = precision(pred, 5, labels);
            const ms256 = time(() => peer.search(H, nq, ef, 1), native).ms / nq;
            let j = 0;
            const ms1 = time(() => peer.search(H.subarray((j++ % singles) * d), 1, ef, 1), native).ms;
            found.push({ ef, acc, pred, ms256, ms1 });
          }
          // equal P@1: the fastest ef reaching the dense P@1, else the best P@1 measured
          const reaching = found.filter((f) => f.acc.p1 >= dAcc.p1).sort((x, y) => x.ms256 - y.ms256);
          const equal = reaching[0] ?? [...found].sort((x, y) => y.acc.p1 - x.acc.p1)[0];
          const mark = reaching.length ? 'equal P@1' : 'best P@1, below dense';
          const threadsDefault = availableParallelism();
          const ms256Default = time(() => peer.search(H, nq, equal.ef, 0), native).ms / nq;
          for (const f of found) {
            rows.push({
              backend: 'usearch (native)', units, method: `HNSW ${variant.name}`, setting: `ef=${f.ef}, 1 thread${f === equal ? ` (${mark})` : ''}`, candidates: f.ef,
              p1: f.acc.p1, p5: f.acc.p5, agree: agreement(f.pred, densePred, nq), relP1: f.acc.p1 / dAcc.p1, ms256: f.ms256, ms1: f.ms1, ef: f.ef, threads: 1, buildSec: peer.buildSec, built: peer.cachedFrom ? `cached, built ${peer.cachedFrom.slice(0, 16)}` : 'this run',
            });
          }
          rows.push({
            backend: 'usearch (native)', units, method: `HNSW ${variant.name}`, setting: `ef=${equal.ef}, ${threadsDefault} threads (usearch's default)`, candidates: equal.ef,
            p1: equal.acc.p1, p5: equal.acc.p5, agree: agreement(equal.pred, densePred, nq), relP1: equal.acc.p1 / dAcc.p1, ms256: ms256Default, ms1: null, ef: equal.ef, threads: threadsDefault, buildSec: peer.buildSec, built: peer.cachedFrom ? `cached, built ${peer.cachedFrom.slice(0, 16)}` : 'this run',
          });
          prog.step(`HNSW ${variant.name} units=${units}: built in ${peer.buildSec.toFixed(1)} s${peer.cachedFrom ? ` (loaded from the cache, built ${peer.cachedFrom})` : ''}; ${found.map((f) => `ef=${f.ef} P@1 ${f.acc.p1.toFixed(3)} ${f.ms256.toFixed(3)} ms/q`).join(', ')}`);
          peer.dispose();
        }
      }
      tf.dispose([w, b, h, ...h1s]);
    }
  }
  // HNSW rows: ratios against the fastest dense of each backend; the native peer has none of its own
  const load1 = loadavg();
  const minutes = (performance.now() - t0) / 60000;
  const summary = summarize(rows, backends);
  const cmd = `npm run bench -- lsh-softmax-synthetic${quick ? ' --quick' : ''}`;
  const la = (l) => l.map((x) => x.toFixed(2)).join(', ');
  await writeResults('lsh-softmax-synthetic', {
    title: 'LSHSoftmax inference on synthetic wide layers (d = 128)',
    command: cmd,
    notes: [
      `Load average (1, 5, 15 min, as \`uptime\` prints it): ${la(load0)} at the start, ${la(load1)} at the end; the whole run took ${minutes.toFixed(1)} min. Read bandwidth of this machine (L3 300 MB shared, so a re-read layer can sit in cache), measured in the same process over each layer's working set (units·(d+1)·4 bytes): ${[...bws].map(([u, b]) => `${u} classes ${(b.bytesPerMs / 1e6).toFixed(1)} GB/s (${b.method}; one thread ${(b.single / 1e6).toFixed(1)} GB/s)`).join('; ')}. The all-core figure is the denominator of the limits.`,
      'Class vectors N(0, 1/d), biases −0.2·log(rank) (Zipf-like); 256 queries = 8·w[label] + N(0, 0.15²), so the dense layer ranks the planted label first for most queries. P@k against the planted labels; `top-1 = dense` against the first dense form. Batch 256: the 256 queries in one call, ms divided by 256. Batch 1: one query per call, cycling through the first 16 queries.',
      `**Dense forms** (same backend, same process; each gives logits [batch, units], then \`tf.topk(·, 5)\`): ${DENSE_FORMS.map((f) => `\`${f.name}\` (${f.what})`).join('; ')}. The fastest form per backend and batch size is the baseline of every \`speedup\` on that backend (column \`baseline\`; dense rows say at which batch size they were fastest). On cpu each form runs once at batch 256 (≈ 30 s per batch at 100k): that run is the timing.`,
      `**LSH**: LSHSoftmax.topK (hash the query, bucket union of ≤ ${maxCandidates} candidates, exact logits of the candidates, top-5 and log-partition in one call of the layer's engine: WTA ids in JavaScript, exact scores from the engine's copy of the class rows, no tfjs op); window = 8.`,
      `**HNSW** (usearch ${usearchVersion}, native, independent of the tfjs backend; connectivity 16, expansion_add 128, built once per width with ${availableParallelism()} threads, build time in \`build s\`; the build takes minutes at 500k, so the index is saved under the OS temp dir keyed by a checksum of the exact vectors and the config, and a later run loads it and reports the build time and date of the run that built it, column \`index built\`): \`[w; b] ip\` indexes each class as [w; b] and searches [h; 1] under the inner-product metric (the logit itself, as the issue asks); \`w cos + rescoring\` indexes the class vectors w under the cosine metric, searches h, and rescores the ef neighbours returned with the exact logit h·w + b (in JavaScript, inside the timing) before the top-5. The beam width ef is set through k: usearch searches with max(expansion_search, k) (index.hpp), expansion_search is 1, and k = ef neighbours are returned; the top-5 of them (by distance, or by exact logit after rescoring) are the answer. Searches use 1 thread (like the single-threaded JS engine); the row marked \`usearch's default\` repeats the equal-P@1 setting with threads = 0, i.e. hardware_concurrency. \`speedup\` is empty on HNSW rows (no backend of its own): the summary below divides each backend's fastest dense by it. \`[w; b] ip\` runs at ${HNSW_VARIANTS[0].onlyUpTo} classes only: ${HNSW_VARIANTS[0].skipWhy}.`,
      `**Physical limit** (columns \`KB read\`, \`limit ms\`, \`× limit\`): the bytes a method must read per query divided by the measured read bandwidth at that layer's size, all cores reading (tfjs-node's matMul uses both cores; LSH's kernel and usearch at 1 thread use one, so their floor with one core is the limit × the all-core / one-thread ratio above); \`× limit\` = measured ms / limit ms. A class row with its bias is (d+1)·4 = ${rowBytes} bytes, the query d·4. Dense: every row, shared by the batch: units·(d+1)·4/batch + d·4 (the [batch, units] logits a fused kernel need not write are not counted). LSH at batch 1: candidates·(d+1)·4 + d·4 (mean over the 16 queries timed); at batch 256: the distinct candidate rows of the whole batch (\`distinct rows / batch\`; the kernel scores the batch's pairs in class order and reads each row once per batch)·(d+1)·4/256 + d·4; bucket tables, hash permutations and the top-k are not counted, so the limit is a lower bound. HNSW: left empty — usearch's JavaScript binding does not return the visited-node count its C++ search computes (\`visited_members\`, \`computed_distances\`), and at least ef rows (ef·(d+1)·4 bytes) is a bound too loose to be useful. Dense at batch 256 is bound by arithmetic, not memory: 2·units·d FLOP per query (25.6 MFLOP at 100k).`,
      'Plot: [lsh-softmax-synthetic.svg](lsh-softmax-synthetic.svg), P@1 against ms/query per method, one panel per width and batch size (HNSW at 1 thread, its ef values joined by a line).',
    ],
    columns: [
      { key: 'backend', label: 'backend' }, { key: 'units', label: 'units' }, { key: 'method', label: 'method' }, { key: 'setting', label: 'setting' },
      { key: 'candidates', label: 'candidates / query' }, { key: 'distinct', label: 'distinct rows / batch' }, { key: 'p1', label: 'P@1' }, { key: 'relP1', label: 'P@1 / dense P@1' }, { key: 'p5', label: 'P@5' }, { key: 'agree', label: 'top-1 = dense' },
      { key: 'ms256', label: 'ms / query (batch 256)' }, { key: 'speedup256', label: 'speedup @256' }, { key: 'kb256', label: 'KB read / query @256' }, { key: 'limit256', label: 'limit ms @256' }, { key: 'x256', label: '× limit @256' },
      { key: 'ms1', label: 'ms / query (batch 1)' }, { key: 'speedup1', label: 'speedup @1' }, { key: 'kb1', label: 'KB read @1' }, { key: 'limit1', label: 'limit ms @1' }, { key: 'x1', label: '× limit @1' },
      { key: 'fastest', label: 'dense form fastest @' }, { key: 'baseline', label: 'baseline (fastest dense form)' }, { key: 'buildSec', label: 'build s' }, { key: 'built', label: 'index built' },
    ],
    rows: rows.map((r) => ({ ...r, x256: r.limit256 == null ? null : r.ms256 / r.limit256, x1: r.limit1 == null || r.ms1 == null ? null : r.ms1 / r.limit1 })),
    tables: [summary],
  });
}

/** The dense forms of topk(h·Wᵀ + b): weights prepared once (outside the timing), logits per call. */
const DENSE_FORMS = [
  {
    name: 'matMul + add',
    what: 'tf.add(tf.matMul(h, Wᵀ), b) with Wᵀ [d, units] transposed once',
    prepare: (w, b) => ({ wt: tf.transpose(w), b: tf.clone(b) }),
    logits: (q, { wt, b }) => tf.add(tf.matMul(q, wt), b),
  },
  {
    name: 'fused.matMul(bias)',
    what: 'tf.fused.matMul({ a: h, b: Wᵀ, bias: b }), Wᵀ transposed once',
    prepare: (w, b) => ({ wt: tf.transpose(w), b: tf.clone(b) }),
    logits: (q, { wt, b }) => tf.fused.matMul({ a: q, b: wt, bias: b }),
  },
  {
    name: 'bias folded',
    what: '[h, 1]·[W b]ᵀ: tf.matMul(tf.concat([h, ones], 1), [Wᵀ; bᵀ]) with [Wᵀ; bᵀ] [d+1, units] built once',
    prepare: (w, b) => ({ wbt: tf.tidy(() => tf.concat([tf.transpose(w), tf.expandDims(b, 0)], 0)) }),
    logits: (q, { wbt }) => tf.matMul(tf.concat([q, tf.ones([q.shape[0], 1])], 1), wbt),
  },
];

/** The HNSW peers (usearch): how a class and a query become vectors, and whether the ef returned are rescored. */
const HNSW_VARIANTS = [
  {
    name: '[w; b] ip', metric: 'ip', rescore: false, onlyUpTo: 100000,
    skipWhy: 'at 100k it stays far below the dense P@1 even at ef = 1024 (a first run: P@1 0.84 at ef = 2048, slower than dense), so a 500k build would add minutes for no equal-P@1 point',
  },
  { name: 'w cos + rescoring', metric: 'cos', rescore: true },
];

/** usearch's version (its package.json is not exported: read beside its entry point). */
const usearchVersion = (() => {
  let dir = dirname(require.resolve('usearch'));
  while (dir !== dirname(dir) && (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== 'usearch')) dir = dirname(dir);
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
})();

/** A usearch HNSW index of the classes (one build, timed); search(H, n, ef, threads) → top-5 ids [n·5]. */
function hnswPeer(variant, W, B, units, d) {
  const ip = variant.metric === 'ip';
  const dims = ip ? d + 1 : d;
  let items = W;
  if (ip) {
    items = new Float32Array(units * dims);
    for (let c = 0; c < units; c++) {
      items.set(W.subarray(c * d, (c + 1) * d), c * dims);
      items[c * dims + d] = B[c];
    }
  }
  // expansion_search 1: the beam is set per search through k (usearch searches with max(expansion_search, k))
  const config = { metric: variant.metric, dimensions: dims, connectivity: 16, expansion_add: 128, expansion_search: 1 };
  let index = new HNSWIndex(config);
  // the build (minutes at 500k) is cached under the OS temp dir, keyed by the exact vectors and the config; a
  // cached index is loaded and its row reports the build time of the run that built it (cachedFrom: its date)
  const dir = join(tmpdir(), 'hashlayers-bench-cache');
  const base = join(dir, `usearch-${usearchVersion}-${variant.metric}-${units}x${dims}-M${config.connectivity}-ea${config.expansion_add}-${checksum(items)}`);
  let buildSec;
  let cachedFrom = null;
  if (existsSync(`${base}.json`) && existsSync(`${base}.usearch`)) {
    index.load(`${base}.usearch`);
    ({ buildSec, date: cachedFrom } = JSON.parse(readFileSync(`${base}.json`, 'utf8')));
  } else {
    const start = performance.now();
    index.add(BigUint64Array.from({ length: units }, (_, i) => BigInt(i)), items, 0);
    buildSec = (performance.now() - start) / 1000;
    mkdirSync(dir, { recursive: true });
    index.save(`${base}.usearch`);
    writeFileSync(`${base}.json`, JSON.stringify({ buildSec, threads: availableParallelism(), date: new Date().toISOString() }) + '\n');
  }
  const search = (H, n, ef, threads) => {
    let q = H.subarray(0, n * d);
    if (ip) {
      q = new Float32Array(n * dims);
      for (let i = 0; i < n; i++) {
        q.set(H.subarray(i * d, (i + 1) * d), i * dims);
        q[i * dims + d] = 1;
      }
    }
    const r = index.search(q, ef, threads);
    const counts = r.counts ?? [BigInt(r.keys.length)];
    const pred = new Int32Array(n * 5).fill(-1);
    const ids = new Int32Array(ef);
    const scores = new Float32Array(ef);
    for (let i = 0; i < n; i++) {
      const found = Number(counts[i]);
      for (let j = 0; j < found; j++) ids[j] = Number(r.keys[i * ef + j]);
      if (!variant.rescore) {
        for (let j = 0; j < Math.min(5, found); j++) pred[i * 5 + j] = ids[j];
        continue;
      }
      // exact logits of the ef neighbours, then the 5 largest
      for (let j = 0; j < found; j++) {
        const c = ids[j];
        let s = B[c];
        for (let k = 0; k < d; k++) s += H[i * d + k] * W[c * d + k];
        scores[j] = s;
      }
      for (let t = 0; t < Math.min(5, found); t++) {
        let best = -1;
        for (let j = 0; j < found; j++) if (scores[j] > -Infinity && (best < 0 || scores[j] > scores[best])) best = j;
        pred[i * 5 + t] = ids[best];
        scores[best] = -Infinity;
      }
    }
    return pred;
  };
  return { buildSec, cachedFrom, search, dispose: () => (index = null) };
}

/** FNV-1a over the bits of a Float32Array (the cache key of an index built from it). */
function checksum(f32) {
  const u = new Uint32Array(f32.buffer, f32.byteOffset, f32.length);
  let hash = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) hash = Math.imul(hash ^ u[i], 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** The fraction of rows whose first id agrees between two [n·5] predictions. */
function agreement(a, b, n) {
  let same = 0;
  for (let i = 0; i < n; i++) if (a[i * 5] === b[i * 5]) same++;
  return same / n;
}

/**
 * The equal-P@1 comparison per backend, width and batch size: the fastest dense form, the fastest LSH
 * setting at the dense P@1, and each HNSW variant's equal-P@1 setting (1 thread), with their limits.
 */
function summarize(rows, backends) {
  const out = [];
  for (const backend of backends) {
    for (const units of [...new Set(rows.filter((r) => r.backend === backend).map((r) => r.units))]) {
      const here = rows.filter((r) => r.backend === backend && r.units === units);
      const dense = here.filter((r) => r.method === 'dense');
      const lsh = here.filter((r) => r.method.startsWith('LSH'));
      const hnsw = rows.filter((r) => r.backend === 'usearch (native)' && r.units === units && / \((equal|best) P@1/.test(r.setting));
      for (const batch of [256, 1]) {
        const ms = batch === 256 ? 'ms256' : 'ms1';
        const lim = batch === 256 ? 'limit256' : 'limit1';
        const bestDense = dense.reduce((a, r) => (r[ms] < a[ms] ? r : a));
        const p1 = dense[0].p1;
        const topP1 = Math.max(...lsh.map((r) => r.p1));
        const pool = lsh.filter((r) => r.p1 >= Math.min(p1, topP1));
        const bestLsh = pool.reduce((a, r) => (r[ms] < a[ms] ? r : a));
        const row = {
          backend, units, batch, denseP1: p1, denseForm: bestDense.setting, denseMs: bestDense[ms], denseLimit: bestDense[lim], denseX: bestDense[ms] / bestDense[lim],
          lshSetting: bestLsh.setting, lshP1: bestLsh.p1, lshMs: bestLsh[ms], lshSpeedup: bestDense[ms] / bestLsh[ms], lshLimit: bestLsh[lim], lshX: bestLsh[ms] / bestLsh[lim],
        };
        for (const [k, v] of HNSW_VARIANTS.entries()) {
          const h = hnsw.find((r) => r.method === `HNSW ${v.name}`);
          if (h == null) continue; // not run at this width (the column stays empty)
          row[`hnsw${k}`] = h.setting.split(',')[0];
          row[`hnsw${k}P1`] = h.p1;
          row[`hnsw${k}Ms`] = h[ms];
          row[`hnsw${k}Speedup`] = bestDense[ms] / h[ms];
          row[`hnsw${k}VsLsh`] = h[ms] / bestLsh[ms];
        }
        out.push(row);
      }
    }
  }
  return {
    title: 'At equal P@1: fastest dense form, LSH, HNSW (per backend, width and batch size)',
    notes: [
      'LSH: the fastest setting whose P@1 reaches the dense P@1 (else the most accurate). HNSW (native, 1 thread; the same rows on every backend): each variant\'s fastest ef reaching the dense P@1, else its most accurate ef. `speedup` = the fastest dense form\'s ms / the method\'s ms, on this backend and batch size; `HNSW ms / LSH ms` > 1 means LSH is faster. `× limit` = measured / physical limit (definitions above).',
    ],
    columns: [
      { key: 'backend', label: 'backend' }, { key: 'units', label: 'units' }, { key: 'batch', label: 'batch' }, { key: 'denseP1', label: 'dense P@1' },
      { key: 'denseForm', label: 'fastest dense form' }, { key: 'denseMs', label: 'dense ms / query' }, { key: 'denseX', label: 'dense × limit' },
      { key: 'lshSetting', label: 'LSH setting' }, { key: 'lshP1', label: 'LSH P@1' }, { key: 'lshMs', label: 'LSH ms / query' }, { key: 'lshSpeedup', label: 'LSH speedup' }, { key: 'lshLimit', label: 'LSH limit ms' }, { key: 'lshX', label: 'LSH × limit' },
      ...HNSW_VARIANTS.map((v, k) => [
        { key: `hnsw${k}`, label: `HNSW ${v.name}` }, { key: `hnsw${k}P1`, label: 'P@1' }, { key: `hnsw${k}Ms`, label: 'ms / query' }, { key: `hnsw${k}Speedup`, label: 'speedup' }, { key: `hnsw${k}VsLsh`, label: 'HNSW ms / LSH ms' },
      ]).flat(),
    ],
    rows: out,
  };
}

/** Real data: next-word prediction on SOTU with a 10k-word vocabulary, held-out speeches. */
export async function sotu({ quick }) {
  return sotuNextWord({ quick, vocabSize: 10000, name: 'lsh-softmax-sotu' });
}

/** The same with the full vocabulary of the training speeches (every word, ~24k). */
export async function sotuFull({ quick }) {
  return sotuNextWord({ quick, vocabSize: Infinity, name: 'lsh-softmax-sotu-full' });
}

async function sotuNextWord({ quick, vocabSize, name }) {
  const backend = await usePreferredBackend();
  const ctx = 3;
  const data = nextWordData({ vocabSize, context: ctx, maxTrain: quick ? 50000 : 100000, maxTest: 10000 });
  const vocab = data.vocabSize;
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
  await writeResults(name, {
    title: `LSHSoftmax on SOTU next-word prediction (${vocab} words, held-out speeches), ${backend} backend`,
    command: `npm run bench -- ${name}${quick ? ' --quick' : ''}`,
    notes: [`Train: ${data.train.n} positions of speeches before 2000, ${epochs} epoch(s), batch 256, learning rate 0.003 with tf.train.adam, or for the third run FusedAdam lazy (only the rows of classes in the step's candidate sets move), or for the last the layer's sparse engine (classOptimizer: lazy Adam 0.003 on the candidate rows inside the layer, tf.train.adam for the rest); test: ${data.test.n} positions of speeches from 2000 on. Model: 3 previous words → embedding 32 → Dense 128 relu → output. LSH: WTA L=16 window=8 band=3, ≤ 300 retrieved + 100 highest-bias head classes + 100 uniform tail samples in training. \`rel. P@1\` is relative to the full-softmax model with exact inference.`],
    columns: [
      { key: 'trained', label: 'trained with' }, { key: 'inference', label: 'inference' }, { key: 'p1', label: 'P@1' }, { key: 'p5', label: 'P@5' },
      { key: 'relP1', label: 'rel. P@1' }, { key: 'cand', label: 'retrieved / query' }, { key: 'ms256', label: 'ms / query @256' }, { key: 'ms1', label: 'ms / query @1' },
      { key: 'stepsPerSec', label: 'train steps/s' },
    ],
    rows,
  });
}
