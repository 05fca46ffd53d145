// Label Superior Sampling, both workflows, on the planted problem (runs in about a minute):
//   node docs/examples/lss-quickstart.mjs
// Outside the clone: `npm install @hashlayers/lss @hashlayers/lsh-softmax @tensorflow/tfjs @tensorflow/tfjs-backend-wasm`, then put this file and data.cjs in one directory and run `node lss-quickstart.mjs`.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { LSSHashCallback, LSSHashTrainer, convertToLSS, lss } from '@hashlayers/lss';
import { convertToLSHSoftmax, lshSoftmaxLoss, predictTopK, trainingModel } from '@hashlayers/lsh-softmax';

const require = createRequire(import.meta.url);
try {
  require('@tensorflow/tfjs-node'); // fastest when built (tools/tfjs-node/install-offline.mjs)
} catch {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
}
const { plantedWOL } = require('./data.cjs');
const P = plantedWOL({ units: 5000, train: 10000, test: 1000, seed: 1 });
const accuracy = (pred, y) => pred.reduce((a, p, i) => a + (p === y[i] ? 1 : 0), 0) / y.length;

// 1. Post hoc: a trained model with a Dense softmax output (here: the planted layer itself)
const dense = tf.layers.dense({ units: P.units, inputShape: [P.dim], activation: 'softmax' });
const model = tf.sequential({ layers: [dense] });
dense.setWeights([tf.tensor2d(P.kernel, [P.dim, P.units]), tf.tensor1d(P.bias)]);
const xTrain = tf.tensor2d(P.train.x, [P.train.n, P.dim]); // penultimate activations (here the input)
const yTrain = tf.tensor1d(P.train.y, 'int32');
const xTest = tf.tensor2d(P.test.x, [P.test.n, P.dim]);
const yTest = tf.tensor1d(P.test.y, 'int32');
const full = accuracy(Array.from(tf.argMax(model.predict(xTest), 1).dataSync()), P.test.y);

const { layers: [layer] } = await convertToLSS(model, { tables: 16, bits: 8, maxCandidates: 100, seed: 1 });
const { layers: [simhash] } = await convertToLSHSoftmax(model, { hash: 'simhash', tables: 16, bits: 6, maxCandidates: 100, seed: 1 });
console.log(`before hash training: correct label retrieved ${layer.labelRecall(xTest, yTest).recall.toFixed(3)} (SimHash ${simhash.labelRecall(xTest, yTest).recall.toFixed(3)}) with 100 candidates of ${P.units}`);
const trainer = new LSSHashTrainer(layer, { learningRate: 0.01 });
const report = trainer.fit(xTrain, yTrain, { epochs: 2 });
console.log(`hash loss ${report.losses.map((l) => l.toFixed(3)).join(' → ')}, ${(100 * report.rehash.changedFraction).toFixed(1)}% label codes changed`);
const top = layer.topK(xTest, 1);
console.log(`after: recall ${layer.labelRecall(xTest, yTest).recall.toFixed(3)}; P@1 ${accuracy(Array.from(top.indices.dataSync()), P.test.y).toFixed(3)} vs full softmax ${full.toFixed(3)}`);

// 2. Joint: train a network through the LSS layer with model.fit, the hash trained every epoch
const input = tf.input({ shape: [P.dim] });
const hidden = tf.layers.dense({ units: 64, activation: 'relu' }).apply(input);
const out = lss({ units: P.units, tables: 16, bits: 8, maxCandidates: 200, uniformSamples: 50, seed: 2 });
const { train } = trainingModel(input, hidden, out);
train.compile({ optimizer: tf.train.adam(0.005), loss: lshSoftmaxLoss });
const hashCallback = new LSSHashCallback({ layer: out, x: xTrain, y: yTrain, samples: 5000 });
await train.fit([xTrain, yTrain], tf.zeros([P.train.n, 1]), { epochs: 3, batchSize: 256, verbose: 0, callbacks: [hashCallback] });
const jointTop = predictTopK(train, [xTest], 1);
console.log(`joint: P@1 ${accuracy(Array.from(jointTop.indices.dataSync()), P.test.y).toFixed(3)}; hash rounds: ${hashCallback.events.map((e) => `loss ${e.loss.toFixed(3)}`).join(', ')}`);
