// LSHSoftmax's training tie-break (`tieBreak`: which classes of a group with equal table hits survive the cut to
// maxCandidates) on SOTU next-word prediction with the full vocabulary: the lsh-softmax-sotu-full benchmark's model,
// data and layer options, one rule at a time; prints P@1 of exact and LSH inference on the held-out speeches.
//
// flock /tmp/hashlayers-bench.lock node tools/experiments/lsh-softmax-tie-break.cjs [engine|adam] [id,random,bias] [seed]
'use strict';
const tf = require('@tensorflow/tfjs-node');
const L = require('@hashlayers/lsh-softmax');
const { nextWordData } = require('../data/sotu.cjs');
const { nextWordModel } = require('../data/next_word_model.cjs');
const { shuffledRows } = require('../data/rng.cjs');
const { precision } = require('../data/metrics.cjs');
(async () => {
  await tf.setBackend('tensorflow');
  const ctx = 3;
  const data = nextWordData({ vocabSize: Infinity, context: ctx, maxTrain: 100000, maxTest: 10000 });
  const shuffled = shuffledRows(data.train, ctx, 7);
  const xs = tf.tensor2d(shuffled.x, [data.train.n, ctx], 'int32');
  const ys = tf.tensor1d(shuffled.y, 'int32');
  const xt = tf.tensor2d(data.test.x, [data.test.n, ctx], 'int32');
  const optimizer = process.argv[2] || 'engine';
  const rules = (process.argv[3] || 'id,random,bias').split(',');
  const seed = +(process.argv[4] || 1);
  for (const tieBreak of rules) {
    const { train, layer } = nextWordModel(tf, L, {
      vocab: data.vocabSize, context: ctx, embDim: 32, hidden: 128, lr: 0.003, optimizer, seed,
      layer: { mode: 'lsh', tables: 16, window: 8, band: 3, maxCandidates: 300, uniformSamples: 100, headClasses: 100, tieBreak },
    });
    const zeros = tf.zeros([data.train.n, 1]);
    const t0 = performance.now();
    await train.fit([xs, ys], zeros, { epochs: 2, batchSize: 256, verbose: 0, shuffle: false, callbacks: [new L.RehashCallback({ layer, everyBatches: 50 })] });
    const sec = (performance.now() - t0) / 1000;
    zeros.dispose();
    const ht = L.featureModel(train).predict(xt);
    const res = {};
    for (const m of ['full', 'lsh']) {
      layer.mode = m;
      const r = layer.topK(ht, 5);
      res[m] = precision(r.indices.dataSync(), 5, data.test.y).p1;
      tf.dispose([r.indices, r.values]);
    }
    layer.mode = 'lsh';
    ht.dispose();
    console.log(`${optimizer} tieBreak=${tieBreak} seed=${seed}: fit ${sec.toFixed(0)} s, P@1 exact ${res.full.toFixed(4)}, LSH ${res.lsh.toFixed(4)}`);
  }
})();
