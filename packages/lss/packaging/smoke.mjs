// Runs from installed tarballs (see tools/packaging/pack-test.mjs).
import * as tf from '@tensorflow/tfjs';
import { LSSHashCallback, lss } from '@hashlayers/lss';
import { LSHSoftmax, lshSoftmaxLoss, trainingModel } from '@hashlayers/lsh-softmax';

const input = tf.input({ shape: [8] });
const hidden = tf.layers.dense({ units: 16, activation: 'relu' }).apply(input);
const layer = lss({ units: 300, tables: 8, bits: 4, seed: 1, uniformSamples: 10 });
const { train } = trainingModel(input, hidden, layer);
train.compile({ optimizer: 'adam', loss: lshSoftmaxLoss });
const x = tf.randomNormal([64, 8], 0, 1, 'float32', 1);
const y = tf.randomUniform([64], 0, 300, 'int32', 2);
const cb = new LSSHashCallback({ layer, x, y, seed: 1 });
await train.fit([x, y], tf.zeros([64, 1]), { epochs: 1, batchSize: 32, verbose: 0, callbacks: [cb] });
let saved;
await train.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
const restored = loaded.layers.at(-1);
if (!(restored instanceof LSHSoftmax) || restored.hash !== 'learned') throw new Error('LSS layer not restored');
console.log(`esm ok: ${cb.events.length} hash round(s), ${(100 * cb.events[0].changedFraction).toFixed(1)}% codes changed`);
