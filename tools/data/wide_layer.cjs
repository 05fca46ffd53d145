// The synthetic wide output layer of the lsh-softmax benchmarks (lsh-softmax-synthetic, wasm-simd)
// and experiments, and the LSHSoftmax layer holding its weights.
'use strict';

const tf = require('@tensorflow/tfjs');

/**
 * Class vectors w [units, d] ~ N(0, 1/d), Zipf-like biases b = −0.2·log(rank), and `queries` rows
 * h = 8·w[label] + N(0, 0.15²) with labels (i·7919) mod units, so that the dense layer ranks the
 * planted label first for most queries. Seeded: the same tensors in every run and on every backend.
 * Returns the tensors {w, b, h} (the caller disposes them) and the labels.
 */
function syntheticWideLayer(units, { d = 128, queries = 256 } = {}) {
  const w = tf.tidy(() => tf.div(tf.randomNormal([units, d], 0, 1, 'float32', 1), Math.sqrt(d)));
  const b = tf.tidy(() => tf.mul(-0.2, tf.log(tf.add(tf.range(0, units), 1))));
  const labels = Int32Array.from({ length: queries }, (_, i) => (i * 7919) % units);
  const h = tf.tidy(() => tf.add(tf.mul(8, tf.gather(w, tf.tensor1d(labels, 'int32'))), tf.randomNormal([queries, d], 0, 0.15, 'float32', 2)));
  return { w, b, h, labels };
}

/**
 * An LSHSoftmax layer (seed 1 unless opts says otherwise) holding the weights w [units, d] and b, its index built.
 * Without an exact head or tail samples unless opts asks for them: the synthetic labels are uniform, not Zipfian,
 * so the layer's default head (100 highest-bias classes) would only add candidates; the benchmarks that use this
 * layer name every option they measure.
 */
function layerWith(w, b, opts = {}) {
  const L = require('@hashlayers/lsh-softmax');
  const layer = L.lshSoftmax({ units: w.shape[0], seed: 1, headClasses: 0, uniformSamples: 0, ...opts });
  layer.build([null, w.shape[1]]);
  layer.kernel.write(w);
  layer.bias.write(b);
  layer.rehash(); // re-hashes the written weights into the tables
  return layer;
}

module.exports = { syntheticWideLayer, layerWith };
