// Runs from installed tarballs (see tools/packaging/pack-test.mjs).
import * as tf from '@tensorflow/tfjs';
import { LSHSoftmax, lshSoftmax, lshSoftmaxLoss, predictTopK, trainingModel } from '@hashlayers/lsh-softmax';

const input = tf.input({ shape: [8] });
const hidden = tf.layers.dense({ units: 16, activation: 'relu' }).apply(input);
const layer = lshSoftmax({ units: 300, tables: 8, window: 4, band: 3, seed: 1, uniformSamples: 10 });
const { train } = trainingModel(input, hidden, layer);
train.compile({ optimizer: 'adam', loss: lshSoftmaxLoss });
const x = tf.randomNormal([64, 8], 0, 1, 'float32', 1);
const y = tf.randomUniform([64], 0, 300, 'int32', 2);
await train.fit([x, y], tf.zeros([64, 1]), { epochs: 1, batchSize: 32, verbose: 0 });
const top = predictTopK(train, [x], 3);
let saved;
await train.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
if (!(loaded.layers.at(-1) instanceof LSHSoftmax)) throw new Error('LSHSoftmax not restored');
console.log(`esm ok: top-3 ${top.indices.shape}, ${layer.lastTrainingStats.meanSetSize.toFixed(0)} classes per row`);
