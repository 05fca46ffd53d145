// Runs from an installed tarball (see tools/packaging/pack-test.mjs).
const tf = require('@tensorflow/tfjs');
const { HashIndex, SimHash, gatherDot } = require('@hashlayers/hashing');

const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [8], units: 16, kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) })] });
const items = model.predict(tf.randomNormal([200, 8], 0, 1, 'float32', 2));
const index = new HashIndex(new SimHash({ inputDim: 16, tables: 8, bits: 6, seed: 3 }));
index.build(items);
const hits = index.retrieve(items.slice([0, 0], [5, 16]), { maxCandidates: 10 });
for (let i = 0; i < 5; i++) if (!hits.ids.subarray(hits.offsets[i], hits.offsets[i + 1]).includes(i)) throw new Error(`item ${i} not retrieved`);
const cand = tf.tensor2d([[0, 1], [2, -1]], [2, 2], 'int32');
const g = tf.grad((q) => tf.sum(gatherDot(q, items, cand)))(items.slice([0, 0], [2, 16]));
if (g.shape.join() !== '2,16') throw new Error('bad gradient shape');
console.log(`cjs ok: ${index.size} items, ${hits.ids.length} candidates`);
