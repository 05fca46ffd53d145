// Experiment behind the headClasses option (docs/lsh-softmax.md): SOTU next-word prediction, 2,000 words,
// full softmax vs LSHSoftmax with and without an exact head, each evaluated with exact and with LSH inference.
// node tools/experiments/lsh-softmax-head.mjs [--backend tensorflow] [--configs full,wta,head,head2,simhash]
import { parseCommandLine } from '../bench/cli.mjs';
import { tf, useBackend, preferredBackend, benchBackends } from '../bench/harness.mjs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const L = require('@hashlayers/lsh-softmax');
const { nextWordData } = require('../data/sotu.cjs');
const { nextWordModel } = require('../data/next_word_model.cjs');
const { precision } = require('../data/metrics.cjs');
const configs = {
  full: { mode: 'full' },
  wta: { tables: 16, window: 8, band: 2, maxCandidates: 200, uniformSamples: 50 },
  head: { tables: 16, window: 8, band: 2, maxCandidates: 200, uniformSamples: 50, headClasses: 100 },
  head2: { tables: 16, window: 8, band: 3, maxCandidates: 150, uniformSamples: 50, headClasses: 100 },
  simhash: { hash: 'simhash', tables: 16, bits: 6, maxCandidates: 200, uniformSamples: 50 },
  simhash8: { hash: 'simhash', tables: 24, bits: 8, maxCandidates: 200, uniformSamples: 50 },
};
const { values, fail } = parseCommandLine({
  usage: 'usage: node tools/experiments/lsh-softmax-head.mjs [--backend <name>] [--configs <list>]\n\nSOTU next-word prediction (2,000 words): full softmax against LSHSoftmax with and without an exact head.',
  options: {
    backend: { type: 'string', arg: 'name', help: 'cpu, wasm or tensorflow (default: tensorflow when built, else wasm)' },
    configs: { type: 'string', arg: 'list', default: 'full,wta,simhash', help: `comma-separated, of ${Object.keys(configs).join(', ')}` },
  },
});
const names = values.configs.split(',');
if (names.some((n) => !configs[n])) fail(`unknown config in '${values.configs}'`);
await useBackend(values.backend ?? preferredBackend(benchBackends()));
const vocab = 2000, ctx = 3;
const data = nextWordData({ vocabSize: vocab, context: ctx, maxTrain: 40000, maxTest: 5000 });
const xs = tf.tensor2d(data.train.x, [data.train.n, ctx], 'int32'), ys = tf.tensor1d(data.train.y, 'int32');
const xt = tf.tensor2d(data.test.x, [data.test.n, ctx], 'int32'); const yt = data.test.y;
async function run(name, opts) {
  // embedding 24 (seed 1) → Dense 64 relu (seed 2) → LSHSoftmax (seed 3), Adam 0.005
  const { train, layer } = nextWordModel(tf, L, { vocab, context: ctx, layer: opts });
  const t0 = performance.now();
  await train.fit([xs, ys], tf.zeros([data.train.n, 1]), { epochs: 2, batchSize: 256, verbose: 0, callbacks: opts.mode === 'full' ? [] : [new L.RehashCallback({ layer, everyBatches: 20 })] });
  const t1 = performance.now();
  layer.rehash();
  const evalWith = (mode) => { const m = layer.mode; layer.mode = mode; const t = L.predictTopK(train, [xt], 1); layer.mode = m; return precision(t.indices.dataSync(), 1, yt).p1.toFixed(4); };
  console.log(name, 'eval exact', evalWith('full'), 'eval lsh', evalWith('lsh'));
  const top = L.predictTopK(train, [xt], 1);
  const acc = precision(top.indices.dataSync(), 1, yt).p1;
  const cand = top.candidatesPerQuery.reduce((a, b) => a + b, 0) / yt.length;
  console.log(name, 'acc', acc.toFixed(4), 'cand', cand.toFixed(0), 'fit s', ((t1 - t0) / 1000).toFixed(1), 'predict s', ((performance.now() - t1) / 1000).toFixed(1), JSON.stringify(layer.lastTrainingStats));
}
for (const name of names) await run(name, configs[name]);
