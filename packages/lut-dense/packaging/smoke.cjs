// Runs from installed tarballs (see tools/packaging/pack-test.mjs).
const tf = require('@tensorflow/tfjs');
const { LUTDense, fitLUT } = require('@hashlayers/lut-dense');

const dense = tf.layers.dense({ inputShape: [16], units: 6 });
dense.build([null, 16]);
const x = tf.randomNormal([400, 16], 0, 1, 'float32', 3);
const lut = fitLUT(dense, x, { codebooks: 8 });
const y = lut.apply(x);
const ref = dense.apply(x);
const rel = tf.norm(tf.sub(y, ref)).dataSync()[0] / tf.norm(ref).dataSync()[0];
if (!(lut instanceof LUTDense) || y.shape[1] !== 6 || !(rel < 0.6)) throw new Error(`bad output (relative error ${rel})`);
console.log(`cjs ok: LUTDense output ${y.shape}, relative error ${rel.toFixed(3)} at C = 8`);
