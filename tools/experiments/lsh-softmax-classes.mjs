// Sampled (LSH) training against the full softmax as the class count grows, on the next-token task of
// tools/data/npm_code.cjs (identifier-like tokens of the code and docs the locked npm packages ship), and one
// factor at a time at 100k classes: candidate count, tail samples, rehash cadence, the output layer's learning
// rate, the exact head. Each run appends its row (P@1/P@5 on held-out package families at checkpoints, with the
// training time) to the results JSON; --report writes the .md and the P@1-vs-time SVG from it.
//
// flock /tmp/hashlayers-bench.lock node tools/experiments/lsh-softmax-classes.mjs --runs dense-100k,lsh-100k
// node tools/experiments/lsh-softmax-classes.mjs --report
import { createRequire } from 'node:module';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { join } from 'node:path';
import { parseCommandLine } from '../bench/cli.mjs';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '../..');
const OUT = join(root, 'docs/results/lsh-softmax-classes');

// the LSH baseline: the options of the SOTU benchmark (tools/bench/lsh_softmax.mjs sotu) and of the guide
const BASE = { tables: 16, window: 8, band: 3, maxCandidates: 300, uniformSamples: 100, headClasses: 100 };
const RUNS = {};
for (const [tag, V] of [['10k', 10000], ['30k', 30000], ['100k', 100000], ['all', Infinity]]) {
  RUNS[`dense-${tag}`] = { V, mode: 'full' };
  RUNS[`lsh-${tag}`] = { V, mode: 'lsh' };
}
// one factor at a time at 100k classes (everything else as lsh-100k)
const FACTORS = {
  'cand-100': { layer: { maxCandidates: 100 } },
  'cand-1000': { layer: { maxCandidates: 1000 } },
  'tables-32': { layer: { tables: 32, maxCandidates: 1000 } },
  'tail-0': { layer: { uniformSamples: 0 } },
  'tail-400': { layer: { uniformSamples: 400 } },
  'tail-1600': { layer: { uniformSamples: 1600 } },
  'rehash-10': { rehash: 10 },
  'rehash-200': { rehash: 200 },
  'rehash-none': { rehash: 0 },
  'clr-0.3': { clr: 0.3 },
  'clr-3': { clr: 3 },
  'clr-10': { clr: 10 },
  'head-0': { layer: { headClasses: 0 } },
  'head-1000': { layer: { headClasses: 1000 } },
  'head-3000': { layer: { headClasses: 3000 } },
};
for (const [name, f] of Object.entries(FACTORS)) RUNS[`lsh-100k-${name}`] = { V: 100000, mode: 'lsh', ...f };
// the head's effect by class count
RUNS['lsh-10k-head-0'] = { V: 10000, mode: 'lsh', layer: { headClasses: 0 } };
RUNS['lsh-30k-head-0'] = { V: 30000, mode: 'lsh', layer: { headClasses: 0 } };

const { values, fail } = parseCommandLine({
  usage: 'usage: node tools/experiments/lsh-softmax-classes.mjs [--runs <list>] [--train <n>] [--report]\n\nFull softmax against LSHSoftmax (sparse engine) on the npm-code next-token task as the class count grows.',
  options: {
    runs: { type: 'string', arg: 'list', help: `comma-separated, of ${Object.keys(RUNS).join(', ')}` },
    train: { type: 'string', arg: 'n', default: '100000', help: 'training positions (one epoch)' },
    test: { type: 'string', arg: 'n', default: '10000', help: 'held-out positions' },
    seed: { type: 'string', arg: 'n', default: '1', help: 'model seed (the data sample is fixed)' },
    lr: { type: 'string', arg: 'rate', default: '0.003', help: 'learning rate (tf.train.adam, and the engine unless the run scales it)' },
    checkpoints: { type: 'string', arg: 'n', default: '6', help: 'evaluations during training (besides the end)' },
    report: { type: 'boolean', help: 'write the .md and .svg from the JSON (no training)' },
    tag: { type: 'string', arg: 'name', help: 'suffix of the result keys (@name), to keep runs of a changed implementation beside the earlier ones' },
  },
});

const load = () => (existsSync(`${OUT}.json`) ? JSON.parse(readFileSync(`${OUT}.json`, 'utf8')) : { runs: {} });

if (values.report) {
  await report(load());
  process.exit(0);
}
if (!values.runs) fail('--runs or --report');
const names = values.runs.split(',');
if (names.some((n) => !RUNS[n])) fail(`unknown run in '${values.runs}'`);

const { tf, usePreferredBackend, machine } = await import('../bench/harness.mjs');
const L = require('@hashlayers/lsh-softmax');
const { nextTokenData } = require('../data/npm_code.cjs');
const { nextWordModel } = require('../data/next_word_model.cjs');
const { precision } = require('../data/metrics.cjs');
const backend = await usePreferredBackend();
const nTrain = Number(values.train);
const nTest = Number(values.test);
const seed = Number(values.seed);
const LR = Number(values.lr);
const BATCH = 256;
const ctx = 3;
const dataCache = new Map();

for (const name of names) {
  const run = RUNS[name];
  const key = `${run.V}`;
  if (!dataCache.has(key)) {
    const t = performance.now();
    dataCache.clear();
    dataCache.set(key, nextTokenData({ vocabSize: run.V, context: ctx, maxTrain: nTrain, maxTest: nTest }));
    console.log(`data V=${run.V}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const data = dataCache.get(key);
  const row = await train(name, run, data);
  const results = load();
  if (values.tag) row.tag = values.tag;
  results.runs[`${name}${seed === 1 ? '' : `@seed${seed}`}${LR === 0.003 ? '' : `@lr${LR}`}${nTrain === 100000 ? '' : `@n${nTrain}`}${values.tag ? `@${values.tag}` : ''}`] = row;
  results.machine = machine();
  results.data = { ...data.stats, train: data.train.n, test: data.test.n };
  results.dataByClasses = { ...(results.dataByClasses ?? {}), [data.vocabSize]: results.data };
  writeFileSync(`${OUT}.json`, JSON.stringify(results, null, 1) + '\n');
}

async function train(name, run, data) {
  const V = data.vocabSize;
  const layerArgs = run.mode === 'full' ? { mode: 'full' } : { ...BASE, ...(run.layer ?? {}), ...(run.clr != null ? { classOptimizer: { learningRate: LR * run.clr } } : {}) };
  const { train: model, layer } = nextWordModel(tf, L, {
    vocab: V, context: ctx, embDim: 32, hidden: 128, lr: LR, seed,
    optimizer: run.mode === 'full' ? 'adam' : 'engine', layer: layerArgs,
  });
  const xs = tf.tensor2d(data.train.x, [data.train.n, ctx], 'int32');
  const ys = tf.tensor1d(data.train.y, 'int32');
  const xt = tf.tensor2d(data.test.x, [data.test.n, ctx], 'int32');
  const zeros = tf.zeros([data.train.n, 1]);
  const steps = Math.ceil(data.train.n / BATCH);
  const every = Math.max(1, Math.round(steps / (Number(values.checkpoints) + 1)));
  const feats = L.featureModel(model);
  const curve = [];
  let trainMs = 0;
  let t0 = performance.now();
  // checkpoints: LSH inference only for LSH runs; the end: LSH and exact (every class) inference
  const nCheck = data.test.n;
  const xtCheck = tf.slice(xt, [0, 0], [nCheck, ctx]);
  const evaluate = (step, final) => {
    const ht = feats.predict(final ? xt : xtCheck);
    const labels = final ? data.test.y : data.test.y.subarray(0, nCheck);
    const out = { step, seconds: trainMs / 1000 };
    for (const m of run.mode === 'full' ? ['full'] : final ? ['lsh', 'full'] : ['lsh']) {
      const keep = layer.mode;
      layer.mode = m;
      // in chunks: exact top-k at the full vocabulary (261k) over every held-out row would not fit in memory
      const top = new Int32Array(labels.length * 5);
      let cand = 0;
      for (let i = 0; i < labels.length; i += 2000) {
        const n = Math.min(2000, labels.length - i);
        const hi = tf.slice(ht, [i, 0], [n, ht.shape[1]]);
        const r = layer.topK(hi, 5);
        top.set(r.indices.dataSync(), i * 5);
        cand += (r.candidatesPerQuery ?? []).reduce((a, c) => a + c, 0);
        tf.dispose([hi, r.indices, r.values]);
      }
      const p = precision(top, 5, labels);
      if (m === 'lsh' && final) out.candidates = cand / labels.length;
      layer.mode = keep;
      out[m === 'full' ? 'exactP1' : 'p1'] = p.p1;
      out[m === 'full' ? 'exactP5' : 'p5'] = p.p5;
    }
    if (run.mode === 'full') Object.assign(out, { p1: out.exactP1, p5: out.exactP5 });
    ht.dispose();
    return out;
  };
  const rehash = run.rehash ?? 50;
  const callbacks = [];
  if (run.mode === 'lsh' && rehash > 0) callbacks.push(new L.RehashCallback({ layer, everyBatches: rehash }));
  let loss = 0;
  callbacks.push(
    new tf.CustomCallback({
      onBatchEnd: async (batch, logs) => {
        loss = logs.loss;
        const step = batch + 1;
        if (step % every !== 0 || step >= steps) return;
        trainMs += performance.now() - t0;
        curve.push(evaluate(step, false));
        console.log(`  ${name} step ${step}/${steps} ${(trainMs / 1000).toFixed(0)} s loss ${loss.toFixed(3)} P@1 ${curve.at(-1).p1.toFixed(4)}`);
        t0 = performance.now();
      },
    }),
  );
  if (run.mode === 'lsh' && rehash === 0) layer.rehash();
  await model.fit([xs, ys], zeros, { epochs: 1, batchSize: BATCH, verbose: 0, shuffle: false, callbacks });
  trainMs += performance.now() - t0;
  const final = evaluate(steps, true);
  curve.push(final);
  tf.dispose([xs, ys, xt, xtCheck, zeros]);
  const load1 = execSync('uptime').toString().trim();
  console.log(`${name}: ${(trainMs / 1000).toFixed(0)} s, P@1 ${final.p1.toFixed(4)} (exact ${final.exactP1.toFixed(4)}), P@5 ${final.p5.toFixed(4)}; ${load1}`);
  return {
    run: name, mode: run.mode, classes: V, backend, train: data.train.n, test: data.test.n, epochs: 1, steps, lr: LR,
    classLr: run.mode === 'lsh' ? LR * (run.clr ?? 1) : null, rehashEvery: run.mode === 'lsh' ? rehash : null,
    layer: layerArgs, trainSeconds: trainMs / 1000, msPerStep: trainMs / steps, lastLoss: loss, ...final, curve, uptime: load1,
  };
}

async function report(results) {
  const { toSvg } = await import('../bench/plots.mjs');
  const rows = Object.entries(results.runs).map(([key, r]) => ({ ...r, key }));
  // the dense run trained on the same data (classes, rows) at the same learning rate
  const same = (r) => `${r.classes}/${r.train}/${r.lr}`;
  const dense = Object.fromEntries(rows.filter((r) => r.mode === 'full').map((r) => [same(r), r]));
  const fmt = (v, d = 3) => (v == null ? '–' : v.toFixed(d));
  // time for an LSH run to reach the dense run's final P@1 (first checkpoint at or above it)
  const reach = (r) => {
    const d = dense[same(r)];
    if (!d) return null;
    const hit = r.curve.find((c) => c.p1 >= d.p1);
    return hit ? hit.seconds : null;
  };
  const d100k = results.dataByClasses?.[100000] ?? results.data;
  const lines = [
    '# LSHSoftmax against the full softmax as the class count grows (npm-code next-token task)',
    '',
    'Command: `flock /tmp/hashlayers-bench.lock node tools/experiments/lsh-softmax-classes.mjs --runs <names>` (one or a few runs per invocation, each appends to the JSON), then `node tools/experiments/lsh-softmax-classes.mjs --report`.',
    '',
    `Machine: ${results.machine?.cpu}, ${results.machine?.cores} cores, Node ${results.machine?.node}, tfjs ${results.machine?.tfjs}, backend ${rows[0]?.backend}; shared with other engineers (possibly loaded: each row's \`uptime\` at its end is in the JSON). Times are training wall time (evaluations excluded).`,
    '',
    `Data: tools/data/npm_code.cjs (see docs/lsh-softmax.md, "Real tasks"): ${d100k?.train} training positions drawn uniformly from ${d100k?.eligibleTrain?.toLocaleString('en')} (at V = 100k) of the training families, one epoch, batch 256; ${d100k?.test} held-out positions of held-out package families. Model: 3 previous tokens → embedding 32 → Dense 128 relu → output; tf.train.adam at the row's learning rate for the full softmax and for the body of the LSH model; LSH output: the sparse engine (classOptimizer lazy Adam), WTA L=16 window 8 band 3, ≤ 300 retrieved + 100 head + 100 tail samples, RehashCallback every 50 batches, unless the run says otherwise. P@1 of LSH runs is with LSH inference; "exact P@1" queries the same network with every class.`,
    '',
    '| run | classes | train rows | lr | P@1 | P@1 / dense | exact P@1 | P@5 | P@5 / dense | retrieved / query | train s | ms / step | s to reach dense final P@1 | dense train s | time ratio | last loss | uptime at end |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const d = dense[same(r)];
    const t = r.mode === 'lsh' ? reach(r) : null;
    lines.push(
      `| ${r.key} | ${r.classes} | ${r.train} | ${r.lr}${r.classLr != null && r.classLr !== r.lr ? ` (output ${r.classLr})` : ''} | ${fmt(r.p1, 4)} | ${d ? fmt(r.p1 / d.p1) : '–'} | ${fmt(r.exactP1, 4)} | ${fmt(r.p5, 4)} | ${d ? fmt(r.p5 / d.p5) : '–'} | ${r.candidates ? r.candidates.toFixed(0) : r.classes} | ${r.trainSeconds.toFixed(0)} | ${r.msPerStep.toFixed(0)} | ${t == null ? (r.mode === 'lsh' ? 'not reached' : '–') : t.toFixed(0)} | ${d ? d.trainSeconds.toFixed(0) : '–'} | ${t != null && d ? (d.trainSeconds / t).toFixed(1) + 'x' : '–'} | ${fmt(r.lastLoss, 2)} | ${r.uptime.replace(/.*load average: /, '')} |`,
    );
  }
  for (const [V, st] of Object.entries(results.dataByClasses ?? { [results.data.classes]: results.data })) lines.push('', `Data statistics at ${V} classes: \`${JSON.stringify(st)}\``);
  lines.push('');
  writeFileSync(`${OUT}.md`, lines.join('\n'));
  const pts = [];
  // the class-count runs at learning rate 0.01, 100k rows (the factor runs are in the table only)
  for (const r of rows.filter((r) => /^(dense|lsh)-(10k|30k|100k|all)@lr0\.01$/.test(r.key)).sort((a, b) => a.classes - b.classes)) {
    const classes = r.classes >= 1000 ? `${Math.round(r.classes / 1000)}k classes` : `${r.classes} classes`;
    const method = r.mode === 'full' ? 'full softmax' : 'LSHSoftmax (sparse engine)';
    for (const c of [{ step: 0, seconds: 0, p1: 0 }, ...r.curve]) pts.push({ series: `${method}, ${classes}`, classes, method, seconds: c.seconds, p1: c.p1 });
  }
  const svg = await toSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Held-out P@1 against training time (npm-code next token, 100k rows, one epoch, lr 0.01)',
    width: 520, height: 320,
    data: { values: pts },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'seconds', type: 'quantitative', title: 'training time (s)' },
          y: { field: 'p1', type: 'quantitative', title: 'P@1 (held-out families)' },
          color: { field: 'classes', type: 'nominal', title: 'classes', sort: null },
          strokeDash: { field: 'method', type: 'nominal', title: 'trained with', legend: { labelLimit: 300 } },
          detail: { field: 'series' },
        },
      },
      { mark: { type: 'point', filled: true, size: 40 }, encoding: { x: { field: 'seconds', type: 'quantitative' }, y: { field: 'p1', type: 'quantitative' }, color: { field: 'classes', type: 'nominal', sort: null }, shape: { field: 'method', type: 'nominal', title: 'trained with', legend: { labelLimit: 300 } } } },
    ],
  });
  writeFileSync(`${OUT}.svg`, svg + '\n');
  console.log(`wrote ${OUT}.md and .svg`);
}
