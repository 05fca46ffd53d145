// Runs from an installed tarball (see tools/packaging/pack-test.mjs).
const tf = require('@tensorflow/tfjs');
const { fusedAdam } = require('@hashlayers/core');
const internal = require('@hashlayers/core/internal');

const w = tf.variable(tf.tensor2d([[1, 2], [3, 4]]), true, 'smoke_w');
const ref = tf.variable(tf.tensor2d([[1, 2], [3, 4]]), true, 'smoke_ref');
const g = tf.tensor2d([[0.5, -1], [2, 0.25]]);
fusedAdam(0.1).applyGradients({ smoke_w: g });
tf.train.adam(0.1).applyGradients({ smoke_ref: g });
const diff = tf.max(tf.abs(tf.sub(w, ref))).dataSync()[0];
if (!(diff < 1e-6)) throw new Error(`fusedAdam differs from tf.train.adam by ${diff}`);
if (typeof internal.registerKernelSpec !== 'function') throw new Error('internal entry lacks registerKernelSpec');
console.log(`cjs ok: fusedAdam = tf.train.adam (max diff ${diff})`);
