// Demo of @hashlayers/lut-dense (called from tools/demo/demo.mjs): train a small MNIST MLP, replace its first
// hidden Dense layer by a LUTDense layer (MADDNESS look-up tables), fine-tune, and compare accuracy and time.
import { createRequire } from 'node:module';
import { readBack, stepLog, time, tf, usePreferredBackend } from '../bench/harness.mjs';

const require = createRequire(import.meta.url);

export async function demoLUTDense(step = stepLog()) {
  const L = require('@hashlayers/lut-dense');
  const { loadMnist } = require('../data/mnist.cjs');
  const { mnistMLP, mnistTensors, trainClassifier } = require('../data/models.cjs');
  const { accuracy } = require('../data/metrics.cjs');
  const backend = await usePreferredBackend();
  const data = loadMnist();
  const { xs, yl, ys, xt } = mnistTensors(data);
  const testAccuracy = (model) => accuracy(model, xt, data.test.y);
  step(`LUTDense demo on ${backend}: MNIST MLP 784-128-64-10, ${data.train.n} training / ${data.test.n} test images`);
  const model = mnistMLP(1);
  await trainClassifier(model, xs, ys, { epochs: 3, batchSize: 128 });
  const denseAcc = testAccuracy(model);
  step(`dense MLP trained (3 epochs): test accuracy ${(100 * denseAcc).toFixed(1)}%`);

  const C = 32;
  const { model: lutModel, layers: replaced, reports } = await L.convertToLUTDense(model, { layers: [0], codebooks: C, data: xs, objective: 'mse', partition: 'correlation' });
  const fitted = testAccuracy(lutModel);
  step(`hidden layer 1 (784→128) replaced by LUTDense, C = ${C} codebooks (${C} trees of 16 leaves), fitted in ${reports[0].seconds.toFixed(1)} s: accuracy ${(100 * fitted).toFixed(1)}%`);
  await trainClassifier(lutModel, xs, ys, { epochs: 2, batchSize: 128 });
  const tuned = testAccuracy(lutModel);
  step(`after 2 epochs of model.fit (tables and later layers train): accuracy ${(100 * tuned).toFixed(1)}% (dense ${(100 * denseAcc).toFixed(1)}%)`);

  // the replaced layer alone, batch 256: x·W + b (dense) against encode + C look-ups per output (LUT)
  const lut = replaced[0];
  const [w, b] = model.layers[0].getWeights();
  const x = tf.slice(xt, [0, 0], [256, 784]);
  const dense = time(() => readBack(() => tf.add(tf.matMul(x, w), b)), { warmup: 3, reps: 15, minMs: 300 }).ms;
  const look = time(() => readBack(() => lut.apply(x)), { warmup: 3, reps: 15, minMs: 300 }).ms;
  step(`layer time, batch 256 × 784 → 128: dense ${dense.toFixed(2)} ms, LUTDense ${look.toFixed(2)} ms (${dense >= look ? `${(dense / look).toFixed(2)}× faster` : `${(look / dense).toFixed(2)}× slower: see docs/lut-dense.md`}); ${C}·16·128 table entries replace 784·128 weights`);
  tf.dispose([xs, yl, ys, xt, x]);
  lutModel.dispose();
}

if (import.meta.url === `file://${process.argv[1]}`) await demoLUTDense();
