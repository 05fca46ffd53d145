// The small next-word model shared by the lsh-softmax test, demo, benchmark and experiment:
// previous `context` word ids → embedding → Dense relu → LSHSoftmax (training pair from trainingModel).
'use strict';
const { fusedAdam } = require('@hashlayers/core');

/**
 * optimizer: 'adam' (tf.train.adam), 'lazyAdam' (FusedAdam with lazy row updates of the output layer) or
 * 'engine' (the output layer trains its rows in its sparse engine, classOptimizer lazy Adam at the same
 * learning rate; tf.train.adam for the rest).
 */
function nextWordModel(tf, L, { vocab, context, embDim = 24, hidden = 64, layer: layerArgs = {}, lr = 0.005, seed = 1, optimizer = 'adam' }) {
  const input = tf.input({ shape: [context], dtype: 'int32' });
  const emb = tf.layers
    .embedding({ inputDim: vocab + 1, outputDim: embDim, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }) })
    .apply(input);
  const h = tf.layers
    .dense({ units: hidden, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) })
    .apply(tf.layers.flatten().apply(emb));
  const engine = optimizer === 'engine' ? { classOptimizer: { learningRate: lr } } : {};
  const layer = L.lshSoftmax({ units: vocab, seed: seed + 2, ...engine, ...layerArgs });
  const { train, infer } = L.trainingModel(input, h, layer);
  // the layer reports the rows each step touched (RowSparseSource); the lazy optimizer updates only those
  const opt = optimizer === 'lazyAdam' ? fusedAdam(lr, 0.9, 0.999, undefined, { lazy: true, rowSources: [layer] }) : tf.train.adam(lr);
  train.compile({ optimizer: opt, loss: L.lshSoftmaxLoss });
  return { train, infer, layer };
}

module.exports = { nextWordModel };
