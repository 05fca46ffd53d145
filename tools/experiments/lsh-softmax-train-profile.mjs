// Where an LSHSoftmax training step spends its time (batch 256, d = 128, Adam):
//   node tools/experiments/lsh-softmax-train-profile.mjs [--backend wasm] [--units 100000]
import { createRequire } from 'node:module';
import { parseCommandLine } from '../bench/cli.mjs';
import { time, tf, useBackend } from '../bench/harness.mjs';

const require = createRequire(import.meta.url);
const { layerWith, syntheticWideLayer } = require('../data/wide_layer.cjs');
const { values } = parseCommandLine({
  usage: 'usage: node tools/experiments/lsh-softmax-train-profile.mjs [--backend <name>] [--units <n>]\n\nWhere an LSHSoftmax training step spends its time (batch 256, d = 128, Adam).',
  options: {
    backend: { type: 'string', arg: 'name', default: 'wasm', help: 'wasm or tensorflow' },
    units: { type: 'string', arg: 'n', default: '100000', help: 'classes' },
  },
});
const backend = values.backend;
const units = Number(values.units);
await useBackend(backend);
const d = 128;
const batch = 256;
const { w, b, h, labels } = syntheticWideLayer(units, { d, queries: batch });
const y = tf.tensor1d(labels, 'int32');
const opts = { warmup: 1, reps: 5, minMs: 0 };
for (const mode of ['full', 'lsh']) {
  const layer = layerWith(w, b, { mode, tables: 16, window: 8, band: 3, maxCandidates: 256, uniformSamples: 64 });
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
