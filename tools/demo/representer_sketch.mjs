// Demo part for @hashlayers/representer-sketch (called from the root demo):
// train a small MNIST network, replace its head by count arrays with the conversion's defaults,
// compare accuracy, bytes, operations and ms/query against the replaced head and against the
// same head trained the extra epochs the sketch's refinement gets (the fair baseline).
import { createRequire } from 'node:module';
import { readBack, stepLog, time, tf, usePreferredBackend } from '../bench/harness.mjs';

const require = createRequire(import.meta.url);
const { convertToRepresenterSketch } = require('@hashlayers/representer-sketch');
const { loadMnist } = require('../data/mnist.cjs');
const { frozenTwin, mnistHeadNetwork, mnistTensors, trainClassifier } = require('../data/models.cjs');
const { accuracy } = require('../data/metrics.cjs');

export async function demoRepresenterSketch(step = stepLog()) {
  const backend = await usePreferredBackend();
  const m = loadMnist();
  step(`Representer Sketch on MNIST (${m.train.n} train / ${m.test.n} test digits), backend ${backend}`);
  const { xs, yl, ys, xt } = mnistTensors(m);
  const build = () => mnistHeadNetwork({ dim: m.dim, classes: m.classes });
  const model = build();
  await trainClassifier(model, xs, ys, { epochs: 3, batchSize: 64, logits: true });
  const acc = (mm) => accuracy(mm, xt, m.test.y, { batchSize: 1024 });
  const headAcc = acc(model);
  step(`trained 784 → 64 features → 512 → 512 → 10: test accuracy ${(100 * headAcc).toFixed(2)}%`);

  // the conversion's defaults (R sized against the head, K=4, sparse ±1 projection regenerated from the
  // seed, 8-bit counts, refinement Adam 0.1); the refinement's epochs are the baseline's extra epochs
  const refineEpochs = 10;
  const { model: sketched, layers: [sketch], reports: [{ sizing }] } = await convertToRepresenterSketch(model, {
    headFrom: 'features', data: xs, seed: 7,
    refine: { epochs: refineEpochs, target: 'labels', labels: yl },
  });
  const sketchAcc = acc(sketched);
  step(`head after 'features' → RepresenterSketch (R=${sketch.rows} rows × 2^${sketch.bits} cells × 10, ${sketch.projectionKind} projection, ${sketch.countBits}-bit counts; filled with the head's logits, refined ${refineEpochs} epochs on the labels): accuracy ${(100 * sketchAcc).toFixed(2)}%`);

  // the fair baseline: the same head (features frozen) trained the epochs the sketch's refinement got
  const twin = frozenTwin(build, model, 0);
  await trainClassifier(twin, xs, ys, { epochs: refineEpochs, batchSize: 64, logits: true });
  const headEqAcc = acc(twin);
  step(`the replaced head trained ${refineEpochs} more epochs on the same (frozen) features: accuracy ${(100 * headEqAcc).toFixed(2)}%`);

  const f = readBack(() => model.layers[0].apply(tf.slice(xt, [0, 0], [256, m.dim])));
  const feats = tf.tensor2d(f, [256, 64]);
  const head = (h) => model.layers.slice(1).reduce((z, l) => l.apply(z), h);
  const opts = { warmup: 3, reps: 9, minMs: 300 };
  const headMs = time(() => readBack(() => head(feats)), opts).ms / 256;
  const sketchMs = time(() => readBack(() => sketch.apply(feats)), opts).ms / 256;
  const pct = (a) => `${(100 * a).toFixed(2).padStart(6)}%`;
  const num = (v) => String(v).padStart(9);
  console.log('');
  console.log('                                 accuracy   bytes saved   operations/query   ms/query (batch 256)');
  console.log(`  Dense head, as converted       ${pct(headAcc)}   ${num(sizing.head.bytes)}     ${num(sizing.head.multiplyAdds)}          ${headMs.toFixed(4)}`);
  console.log(`  Dense head, +${refineEpochs} epochs         ${pct(headEqAcc)}   ${num(sizing.head.bytes)}     ${num(sizing.head.multiplyAdds)}          ${headMs.toFixed(4)}`);
  console.log(`  sketch                         ${pct(sketchAcc)}   ${num(sizing.sketch.bytes)}     ${num(sizing.sketch.multiplyAdds)}          ${sketchMs.toFixed(4)}`);
  console.log(`  → ${(100 * (sketchAcc - headAcc)).toFixed(2)} points against the head as converted, ${(100 * (sketchAcc - headEqAcc)).toFixed(2)} against the equally trained head;`);
  console.log(`    ${sizing.storageReduction.toFixed(1)}× fewer bytes (every byte the saved sketch holds: ${sizing.sketch.countsBytes} of counts, ${sizing.sketch.otherWeightBytes} of center, ${sizing.sketch.configBytes} of config; no projection),`);
  const speedUp = headMs / sketchMs;
  const speed = speedUp >= 1 ? `${speedUp.toFixed(1)}× faster` : `${(1 / speedUp).toFixed(1)}× slower`;
  console.log(`    ${sizing.computeReduction.toFixed(1)}× fewer operations (${sizing.sketch.multiplies} multiplications), ${speed} than the head at batch 256 on ${backend}`);
  console.log('');
  tf.dispose([xs, yl, ys, xt, feats]);
  sketch.dispose();
  twin.dispose();
  model.dispose();
  step('representer-sketch demo done');
}

// run directly: node tools/demo/representer_sketch.mjs
if (import.meta.url === `file://${process.argv[1]}`) await demoRepresenterSketch();
