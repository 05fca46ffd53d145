// Demo part for @hashlayers/representer-sketch (called from the root demo):
// train a small MNIST network, replace its head by count arrays, compare
// accuracy, bytes and ms/query against the original head.
import { createRequire } from 'node:module';
import { readBack, stepLog, time, tf, usePreferredBackend } from '../bench/harness.mjs';

const require = createRequire(import.meta.url);
const { convertToRepresenterSketch } = require('@hashlayers/representer-sketch');
const { loadMnist } = require('../data/mnist.cjs');
const { mnistHeadNetwork, mnistTensors, trainClassifier } = require('../data/models.cjs');
const { accuracy } = require('../data/metrics.cjs');

export async function demoRepresenterSketch(step = stepLog()) {
  const backend = await usePreferredBackend();
  const m = loadMnist();
  step(`Representer Sketch on MNIST (${m.train.n} train / ${m.test.n} test digits), backend ${backend}`);
  const { xs, yl, ys, xt } = mnistTensors(m);
  const model = mnistHeadNetwork({ dim: m.dim, classes: m.classes });
  await trainClassifier(model, xs, ys, { epochs: 3, batchSize: 64, logits: true });
  const acc = (mm) => accuracy(mm, xt, m.test.y, { batchSize: 1024 });
  const headAcc = acc(model);
  step(`trained 784 → 64 features → 512 → 512 → 10: test accuracy ${(100 * headAcc).toFixed(2)}%`);

  const { model: sketched, layers: [sketch], reports: [{ sizing }] } = await convertToRepresenterSketch(model, {
    headFrom: 'features', data: xs, rows: 64, bits: 6, seed: 7,
    refine: { epochs: 10, target: 'labels', labels: yl, learningRate: 0.05 },
  });
  const sketchAcc = acc(sketched);
  step(`head after 'features' → RepresenterSketch (R=64 rows × 2^6 cells × 10; filled with the head's logits, counts refined 10 epochs): accuracy ${(100 * sketchAcc).toFixed(2)}%`);

  const f = readBack(() => model.layers[0].apply(tf.slice(xt, [0, 0], [256, m.dim])));
  const feats = tf.tensor2d(f, [256, 64]);
  const head = (h) => model.layers.slice(1).reduce((z, l) => l.apply(z), h);
  const opts = { warmup: 3, reps: 9, minMs: 300 };
  const headMs = time(() => readBack(() => head(feats)), opts).ms / 256;
  const sketchMs = time(() => readBack(() => sketch.apply(feats)), opts).ms / 256;
  console.log('');
  console.log('               accuracy   bytes        multiply-adds/query   ms/query (batch 256)');
  console.log(`  Dense head    ${(100 * headAcc).toFixed(2).padStart(6)}%   ${String(sizing.head.bytes).padStart(9)}    ${String(sizing.head.multiplyAdds).padStart(9)}             ${headMs.toFixed(4)}`);
  console.log(`  sketch        ${(100 * sketchAcc).toFixed(2).padStart(6)}%   ${String(sizing.sketch.bytes).padStart(9)}    ${String(sizing.sketch.multiplyAdds).padStart(9)}             ${sketchMs.toFixed(4)}`);
  console.log(`  → ${sizing.storageReduction.toFixed(1)}× fewer bytes (${sizing.storageReductionCountsOnly.toFixed(1)}× with the projection regenerated from its seed), ${sizing.computeReduction.toFixed(1)}× fewer multiply-adds, ${(headMs / sketchMs).toFixed(1)}× faster on ${backend}`);
  console.log('');
  tf.dispose([xs, yl, ys, xt, feats]);
  sketch.dispose();
  model.dispose();
  step('representer-sketch demo done');
}

// run directly: node tools/demo/representer_sketch.mjs
if (import.meta.url === `file://${process.argv[1]}`) await demoRepresenterSketch();
