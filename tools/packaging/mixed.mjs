// Runs from installed tarballs (see tools/packaging/pack-test.mjs): the dual-package case.
// `import` and `require` load two copies of each hashlayers package (dist/esm and dist/cjs);
// objects built through one copy must work with the functions of the other.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import * as esm from '@hashlayers/lsh-softmax';
import * as esmSketch from '@hashlayers/representer-sketch';
import * as esmLss from '@hashlayers/lss';

const require = createRequire(import.meta.url);
const cjs = require('@hashlayers/lsh-softmax');
const cjsSketch = require('@hashlayers/representer-sketch');
const cjsLss = require('@hashlayers/lss');
if (esm.LSHSoftmax === cjs.LSHSoftmax) throw new Error('expected two module copies (import and require), got one');

const x = tf.randomNormal([64, 8], 0, 1, 'float32', 1);
const y = tf.randomUniform([64], 0, 300, 'int32', 2);
async function trained(build, use) {
  const input = tf.input({ shape: [8] });
  const hidden = tf.layers.dense({ units: 16, activation: 'relu' }).apply(input);
  const layer = build.lshSoftmax({ units: 300, tables: 8, window: 4, band: 3, seed: 1, uniformSamples: 10 });
  const { train } = build.trainingModel(input, hidden, layer);
  train.compile({ optimizer: 'adam', loss: build.lshSoftmaxLoss });
  const rehash = new use.RehashCallback({ layer, everyBatches: 1 }); // the other copy's callback
  await train.fit([x, y], tf.zeros([64, 1]), { epochs: 1, batchSize: 32, verbose: 0, callbacks: [rehash] });
  const a = use.predictTopK(train, [x], 3); // the other copy's function
  const b = build.predictTopK(train, [x], 3);
  const same = tf.max(tf.abs(tf.sub(a.indices, b.indices))).dataSync()[0] === 0;
  if (!same) throw new Error('predictTopK differs between the two copies');
  return a.indices.shape;
}
const s1 = await trained(cjs, esm);
const s2 = await trained(esm, cjs);

// an LSS layer built through require, its hash trained by import's callback and trainer
{
  const input = tf.input({ shape: [8] });
  const hidden = tf.layers.dense({ units: 16, activation: 'relu' }).apply(input);
  const layer = cjsLss.lss({ units: 300, tables: 8, bits: 4, seed: 1, uniformSamples: 10 });
  const { train } = esm.trainingModel(input, hidden, layer);
  train.compile({ optimizer: 'adam', loss: cjs.lshSoftmaxLoss });
  const cb = new esmLss.LSSHashCallback({ layer, x, y, seed: 1 });
  await train.fit([x, y], tf.zeros([64, 1]), { epochs: 1, batchSize: 32, verbose: 0, callbacks: [cb] });
  if (cb.events.length !== 1) throw new Error('LSSHashCallback (import) did not train the hash of a layer built through require');
  const features = esm.featureModel(train).predict(x);
  new esmLss.LSSHashTrainer(layer).fit(features, y, { epochs: 1 });
}

const model = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [8], units: 16, activation: 'relu', name: 'features' }),
    tf.layers.dense({ units: 4 }),
  ],
});
const { layers: [sketch] } = await cjsSketch.convertToRepresenterSketch(model, { headFrom: 'features', data: x, rows: 8, bits: 4, seed: 2 });
const cost = esmSketch.sketchCost(sketch);
console.log(`mixed ok: built by require, used by import (top-3 ${s1}) and the reverse (${s2}); an LSS layer trained across copies; sketchCost across copies: ${cost.bytes} bytes`);
