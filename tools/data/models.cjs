// The models shared by the tests, the benchmarks and the demo (one definition each, so that
// a test, a benchmark row and a demo line that say "the MNIST MLP" mean the same network).
// Plain CommonJS so TypeScript specs (through models.d.cts) and .mjs tools share it.
'use strict';

const tf = require('@tensorflow/tfjs');

const glorot = (seed) => tf.initializers.glorotUniform({ seed });

/** The MNIST MLP of lut-dense: 784-128(relu)-64(relu)-10(softmax), glorotUniform seeds seed, seed+1, seed+2. */
function mnistMLP(seed = 1) {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu', kernelInitializer: glorot(seed) }),
      tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: glorot(seed + 1) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(seed + 2) }),
    ],
  });
}

/**
 * The network whose head representer-sketch replaces: dim → 64 ReLU features (layer 'features') →
 * hidden ReLU → hidden ReLU → classes logits, glorotUniform seeds 1 to 4. With hidden = 512 the head
 * (the three layers after the features) has 300k parameters and 300k multiply-adds per query: a
 * substantial head, as in the paper, so that the comparison of bytes and multiply-adds means something.
 */
function mnistHeadNetwork({ dim = 784, classes = 10, hidden = 512 } = {}) {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [dim], units: 64, activation: 'relu', name: 'features', kernelInitializer: glorot(1) }),
      tf.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: glorot(2) }),
      tf.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: glorot(3) }),
      tf.layers.dense({ units: classes, kernelInitializer: glorot(4) }),
    ],
  });
}

/**
 * A copy of `model` (a fresh network from `build()`, holding `model`'s current weights) whose layers up
 * to index `from` (inclusive) are frozen: training it trains only the layers after `from`, on the same
 * features. The baseline of representer-sketch: the replaced head trained the epochs the sketch's
 * refinement gets ("the equally trained head").
 */
function frozenTwin(build, model, from) {
  const twin = build();
  twin.setWeights(model.getWeights());
  twin.layers.forEach((l, i) => (l.trainable = i > from));
  return twin;
}

/** A split of tools/data/mnist.cjs as tensors: inputs xs [n, dim], labels yl (int32), one-hot ys; test inputs xt. */
function mnistTensors(data) {
  const xs = tf.tensor2d(data.train.x, [data.train.n, data.dim]);
  const yl = tf.tensor1d(data.train.y, 'int32');
  const ys = tf.oneHot(yl, data.classes);
  const xt = tf.tensor2d(data.test.x, [data.test.n, data.dim]);
  return { xs, yl, ys, xt };
}

/**
 * Compiles `model` with Adam(lr) and fits it silently. Loss: categorical cross-entropy on its
 * softmax outputs, or with `logits: true` softmax cross-entropy on its logits.
 */
function trainClassifier(model, xs, ys, { epochs, batchSize, lr = 1e-3, logits = false, shuffle = true }) {
  const loss = logits ? (y, z) => tf.losses.softmaxCrossEntropy(y, z) : 'categoricalCrossentropy';
  model.compile({ optimizer: tf.train.adam(lr), loss });
  // shuffle: false keeps the (seeded) order of the data: fit's own shuffle uses Math.random
  return model.fit(xs, ys, { epochs, batchSize, verbose: 0, shuffle });
}

/** A built Dense layer with seeded random weights: glorotNormal kernel (seed), N(0, biasStddev²) bias (seed + 1). */
function randomDense(inputDim, units, { activation = 'linear', seed = 1, biasStddev = 0.05 } = {}) {
  const layer = tf.layers.dense({
    units, activation, inputShape: [inputDim],
    kernelInitializer: tf.initializers.glorotNormal({ seed }),
    biasInitializer: tf.initializers.randomNormal({ seed: seed + 1, stddev: biasStddev }),
  });
  layer.build([null, inputDim]);
  return layer;
}

/** A softmax Dense layer (in a one-layer model) holding a trained output layer's kernel [dim, units] and bias tensors. */
function denseWith(kernel, bias, activation = 'softmax') {
  const dense = tf.layers.dense({ units: kernel.shape[1], inputShape: [kernel.shape[0]], activation });
  tf.sequential({ layers: [dense] });
  dense.setWeights([kernel, bias]);
  return dense;
}

module.exports = { mnistMLP, mnistHeadNetwork, frozenTwin, mnistTensors, trainClassifier, randomDense, denseWith };
