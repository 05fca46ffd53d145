// Runs from installed tarballs (see tools/packaging/pack-test.mjs).
import * as tf from '@tensorflow/tfjs';
import { RepresenterSketch, convertToRepresenterSketch } from '@hashlayers/representer-sketch';

const model = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [8], units: 16, activation: 'relu', name: 'features' }),
    tf.layers.dense({ units: 32, activation: 'relu' }),
    tf.layers.dense({ units: 4 }),
  ],
});
const x = tf.randomNormal([64, 8], 0, 1, 'float32', 1);
const { model: sketched, reports: [{ sizing }] } = await convertToRepresenterSketch(model, {
  headFrom: 'features', data: x, rows: 8, bits: 4, seed: 2, refine: { epochs: 1 },
});
let saved;
await sketched.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
const a = sketched.predict(x).dataSync();
const b = loaded.predict(x).dataSync();
if (!(loaded.layers.at(-1) instanceof RepresenterSketch) || a.some((v, i) => v !== b[i])) throw new Error('RepresenterSketch not restored');
console.log(`esm ok: ${sizing.sketch.bytes} sketch bytes vs ${sizing.head.bytes} head bytes`);
