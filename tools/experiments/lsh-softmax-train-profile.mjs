// Where an LSHSoftmax training step spends its time (batch 256, d = 128, Adam):
//   node tools/experiments/lsh-softmax-train-profile.mjs <wasm|tensorflow> [units]
import { createRequire } from 'node:module';
import { time, tf, useBackend, benchBackends } from '../bench/harness.mjs';

const require = createRequire(import.meta.url);
const L = require('@hashlayers/lsh-softmax');
const backend = process.argv[2] ?? 'wasm';
const units = Number(process.argv[3] ?? 100000);
if (backend === 'tensorflow') benchBackends();
await useBackend(backend);
const d = 128;
const batch = 256;
const w = tf.tidy(() => tf.div(tf.randomNormal([units, d], 0, 1, 'float32', 1), Math.sqrt(d)));
const b = tf.tidy(() => tf.mul(-0.2, tf.log(tf.add(tf.range(0, units), 1))));
const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7919) % units);
const h = tf.tidy(() => tf.add(tf.mul(8, tf.gather(w, tf.tensor1d(labels, 'int32'))), tf.randomNormal([batch, d], 0, 0.15, 'float32', 2)));
const y = tf.tensor1d(labels, 'int32');
const opts = { warmup: 1, reps: 5, minMs: 0 };
for (const mode of ['full', 'lsh']) {
  const layer = L.lshSoftmax({ units, seed: 1, mode, tables: 16, window: 8, band: 3, maxCandidates: 256, uniformSamples: 64 });
  layer.build([null, d]);
  layer.kernel.write(w);
  layer.bias.write(b);
  layer.buildIndex();
  const vars = [layer.kernel.read(), layer.bias.read()];
  const tLoss = time(() => { const c = tf.tidy(() => tf.mean(layer.call([h, y], {}))); c.dataSync(); c.dispose(); }, opts).ms;
  const tGrads = time(() => {
    const { value, grads } = tf.variableGrads(() => tf.mean(layer.call([h, y], {})), vars);
    value.dataSync();
    Object.values(grads).forEach((g) => g.dataSync());
    tf.dispose([value, ...Object.values(grads)]);
  }, opts).ms;
  const opt = tf.train.adam(1e-3);
  const tStep = time(() => { const c = opt.minimize(() => tf.mean(layer.call([h, y], {})), true, vars); c.dataSync(); c.dispose(); }, opts).ms;
  const g = { [vars[0].name]: tf.zerosLike(vars[0]), [vars[1].name]: tf.zerosLike(vars[1]) };
  const tAdam = time(() => { opt.applyGradients(g); vars[0].dataSync(); }, opts).ms;
  const sgd = tf.train.sgd(1e-3);
  const tSgd = time(() => { sgd.applyGradients(g); vars[0].dataSync(); }, opts).ms;
  console.log(`${backend} ${units} ${mode}: loss ${tLoss.toFixed(1)} ms, loss+grads ${tGrads.toFixed(1)} ms, Adam step ${tStep.toFixed(1)} ms, Adam update alone ${tAdam.toFixed(1)} ms, SGD update alone ${tSgd.toFixed(1)} ms`);
  tf.dispose(Object.values(g));
  opt.dispose();
  layer.dispose();
}
