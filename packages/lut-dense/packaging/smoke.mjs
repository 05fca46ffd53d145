// Runs from installed tarballs (see tools/packaging/pack-test.mjs).
import * as tf from '@tensorflow/tfjs';
import { LUTDense, convertToLUTDense } from '@hashlayers/lut-dense';

const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [12], units: 16, activation: 'relu' }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
const x = tf.randomNormal([256, 12], 0, 1, 'float32', 1);
const y = tf.oneHot(tf.randomUniform([256], 0, 3, 'int32', 2), 3);
const { model: lutModel, layers: replaced } = await convertToLUTDense(model, { layers: [0], codebooks: 4, data: x });
lutModel.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
await lutModel.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
let saved;
await lutModel.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
const same = tf.max(tf.abs(tf.sub(loaded.predict(x), lutModel.predict(x)))).dataSync()[0];
if (!(loaded.layers[1] instanceof LUTDense) || same !== 0) throw new Error(`LUTDense not restored exactly (max difference ${same})`);
console.log(`esm ok: ${replaced[0].name} (${replaced[0].codebooks} codebooks) saved and reloaded, identical predictions`);
