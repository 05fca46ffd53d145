// Demo of @hashlayers/lut-dense (called from tools/demo/demo.mjs): train a small MNIST MLP, replace its first
// hidden Dense layer by a LUTDense layer (MADDNESS look-up tables), fine-tune, and compare accuracy and time.
import { createRequire } from 'node:module';
import { benchBackends, readBack, time, tf, useBackend } from '../bench/harness.mjs';

const require = createRequire(import.meta.url);

export async function demoLUTDense() {
  const L = require('@hashlayers/lut-dense');
  const { loadMnist } = require('../data/mnist.cjs');
  const t0 = performance.now();
  const step = (msg) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
  const backends = benchBackends();
  const backend = backends.includes('tensorflow') ? 'tensorflow' : 'wasm';
  await useBackend(backend);
  const data = loadMnist();
  const xs = tf.tensor2d(data.train.x, [data.train.n, 784]);
  const ys = tf.oneHot(tf.tensor1d(data.train.y, 'int32'), 10);
  const xt = tf.tensor2d(data.test.x, [data.test.n, 784]);
  const accuracy = (model) => {
    const p = readBack(() => tf.argMax(model.predict(xt), 1));
    let hit = 0;
    for (let i = 0; i < p.length; i++) if (p[i] === data.test.y[i]) hit++;
    return hit / p.length;
  };
  step(`LUTDense demo on ${backend}: MNIST MLP 784-128-64-10, ${data.train.n} training / ${data.test.n} test images`);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  await model.fit(xs, ys, { epochs: 3, batchSize: 128, verbose: 0 });
  const denseAcc = accuracy(model);
  step(`dense MLP trained (3 epochs): test accuracy ${(100 * denseAcc).toFixed(1)}%`);

  const C = 32;
  const { model: lutModel, replaced, reports } = L.replaceDense(model, { layers: [0], codebooks: C, data: xs, objective: 'mse', partition: 'correlation' });
  const fitted = accuracy(lutModel);
  step(`hidden layer 1 (784→128) replaced by LUTDense, C = ${C} codebooks (${C} trees of 16 leaves), fitted in ${reports[0].seconds.toFixed(1)} s: accuracy ${(100 * fitted).toFixed(1)}%`);
  lutModel.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  await lutModel.fit(xs, ys, { epochs: 2, batchSize: 128, verbose: 0 });
  const tuned = accuracy(lutModel);
  step(`after 2 epochs of model.fit (tables and later layers train): accuracy ${(100 * tuned).toFixed(1)}% (dense ${(100 * denseAcc).toFixed(1)}%)`);

  // the replaced layer alone, batch 256: x·W + b (dense) against encode + C look-ups per output (LUT)
  const lut = replaced[0];
  const [w, b] = model.layers[0].getWeights();
  const x = tf.slice(xt, [0, 0], [256, 784]);
  const dense = time(() => readBack(() => tf.add(tf.matMul(x, w), b)), { warmup: 3, reps: 15, minMs: 300 }).ms;
  const look = time(() => readBack(() => lut.apply(x)), { warmup: 3, reps: 15, minMs: 300 }).ms;
  step(`layer time, batch 256 × 784 → 128: dense ${dense.toFixed(2)} ms, LUTDense ${look.toFixed(2)} ms (${dense >= look ? `${(dense / look).toFixed(2)}× faster` : `${(look / dense).toFixed(2)}× slower: see docs/lut-dense.md`}); ${C}·16·128 table entries replace 784·128 weights`);
  tf.dispose([xs, ys, xt, x]);
  lutModel.dispose();
}

if (import.meta.url === `file://${process.argv[1]}`) await demoLUTDense();
