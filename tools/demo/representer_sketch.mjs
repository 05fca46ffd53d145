// Demo part for @hashlayers/representer-sketch (called from the root demo):
// train a small MNIST network, replace its head by count arrays, compare
// accuracy, bytes and ms/query against the original head.
import { createRequire } from 'node:module';
import { benchBackends, readBack, time, tf, useBackend } from '../bench/harness.mjs';

const require = createRequire(import.meta.url);
const { RepresenterSketch } = require('@hashlayers/representer-sketch');
const { loadMnist } = require('../data/mnist.cjs');

export async function demoRepresenterSketch() {
  const t0 = performance.now();
  const step = (msg) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
  const backends = benchBackends();
  const backend = backends.includes('tensorflow') ? 'tensorflow' : 'wasm';
  await useBackend(backend);
  const m = loadMnist();
  step(`Representer Sketch on MNIST (${m.train.n} train / ${m.test.n} test digits), backend ${backend}`);
  const xs = tf.tensor2d(m.train.x, [m.train.n, m.dim]);
  const yl = tf.tensor1d(m.train.y, 'int32');
  const ys = tf.oneHot(yl, m.classes);
  const xt = tf.tensor2d(m.test.x, [m.test.n, m.dim]);
  const init = (seed) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [m.dim], units: 64, activation: 'relu', name: 'features', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 512, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 512, activation: 'relu', kernelInitializer: init(3) }),
      tf.layers.dense({ units: m.classes, kernelInitializer: init(4) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: (y, z) => tf.losses.softmaxCrossEntropy(y, z) });
  await model.fit(xs, ys, { epochs: 3, batchSize: 64, verbose: 0 });
  const acc = (mm) => {
    const pred = readBack(() => tf.argMax(mm.predict(xt, { batchSize: 1024 }), 1));
    let hit = 0;
    for (let i = 0; i < m.test.n; i++) if (pred[i] === m.test.y[i]) hit++;
    return hit / m.test.n;
  };
  const headAcc = acc(model);
  step(`trained 784 → 64 features → 512 → 512 → 10: test accuracy ${(100 * headAcc).toFixed(2)}%`);

  const { model: sketched, sketch, sizing } = await RepresenterSketch.fromModel(model, {
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
