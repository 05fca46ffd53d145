// Experiment behind the headClasses option (docs/lsh-softmax.md): SOTU next-word prediction, 2,000 words,
// full softmax vs LSHSoftmax with and without an exact head, each evaluated with exact and with LSH inference.
// node tools/experiments/lsh-softmax-head.mjs [backend] [full,wta,head,head2,simhash]
import { tf, useBackend, benchBackends } from '../bench/harness.mjs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const L = require('@hashlayers/lsh-softmax');
const { nextWordData } = require('../data/sotu.cjs');
benchBackends();
await useBackend(process.argv[2] || 'tensorflow');
const vocab = 2000, ctx = 3;
const data = nextWordData({ vocabSize: vocab, context: ctx, maxTrain: 40000, maxTest: 5000 });
const xs = tf.tensor2d(data.train.x, [data.train.n, ctx], 'int32'), ys = tf.tensor1d(data.train.y, 'int32');
const xt = tf.tensor2d(data.test.x, [data.test.n, ctx], 'int32'); const yt = data.test.y;
async function run(name, opts) {
  const input = tf.input({ shape: [ctx], dtype: 'int32' });
  const emb = tf.layers.embedding({ inputDim: vocab + 1, outputDim: 24, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 1 }) }).apply(input);
  const hidden = tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(tf.layers.flatten().apply(emb));
  const layer = L.lshSoftmax({ units: vocab, seed: 3, ...opts });
  const { train } = L.trainingModel(input, hidden, layer);
  train.compile({ optimizer: tf.train.adam(0.005), loss: L.lshSoftmaxLoss });
  const t0 = performance.now();
  await train.fit([xs, ys], tf.zeros([data.train.n, 1]), { epochs: 2, batchSize: 256, verbose: 0, callbacks: opts.mode === 'full' ? [] : [new L.RehashCallback({ layer, everyBatches: 20 })] });
  const t1 = performance.now();
  layer.rehash();
  const evalWith = (mode) => { const m = layer.mode; layer.mode = mode; const t = L.predictTopK(train, [xt], 1); layer.mode = m; const p = t.indices.dataSync(); let h = 0; for (let i = 0; i < yt.length; i++) if (p[i] === yt[i]) h++; return (h / yt.length).toFixed(4); };
  console.log(name, 'eval exact', evalWith('full'), 'eval lsh', evalWith('lsh'));
  const top = L.predictTopK(train, [xt], 1);
  const pred = top.indices.dataSync(); let hit = 0; for (let i = 0; i < yt.length; i++) if (pred[i] === yt[i]) hit++;
  const cand = top.candidatesPerQuery.reduce((a, b) => a + b, 0) / yt.length;
  console.log(name, 'acc', (hit / yt.length).toFixed(4), 'cand', cand.toFixed(0), 'fit s', ((t1 - t0) / 1000).toFixed(1), 'predict s', ((performance.now() - t1) / 1000).toFixed(1), JSON.stringify(layer.lastTrainingStats));
}
const configs = {
  full: { mode: 'full' },
  wta: { tables: 16, window: 8, band: 2, maxCandidates: 200, uniformSamples: 50 },
  head: { tables: 16, window: 8, band: 2, maxCandidates: 200, uniformSamples: 50, headClasses: 100 },
  head2: { tables: 16, window: 8, band: 3, maxCandidates: 150, uniformSamples: 50, headClasses: 100 },
  simhash: { hash: 'simhash', tables: 16, bits: 6, maxCandidates: 200, uniformSamples: 50 },
  simhash8: { hash: 'simhash', tables: 24, bits: 8, maxCandidates: 200, uniformSamples: 50 },
};
for (const name of (process.argv[3] || 'full,wta,simhash').split(',')) await run(name, configs[name]);
