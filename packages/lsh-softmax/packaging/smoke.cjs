// Runs from installed tarballs (see tools/packaging/pack-test.mjs).
const tf = require('@tensorflow/tfjs');
const { LSHSoftmax, lshSoftmax } = require('@hashlayers/lsh-softmax');

const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [8], units: 16 }), lshSoftmax({ units: 200, seed: 2 })] });
const x = tf.randomNormal([5, 8], 0, 1, 'float32', 3);
const p = model.predict(x);
const top = model.layers[1].topK(model.layers[0].apply(x), 2);
if (!(model.layers[1] instanceof LSHSoftmax) || p.shape[1] !== 200 || top.indices.shape[1] !== 2) throw new Error('bad output');
console.log(`cjs ok: probabilities ${p.shape}, top-2 ${top.indices.shape}`);
