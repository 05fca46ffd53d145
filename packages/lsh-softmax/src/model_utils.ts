import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fail } from '@hashlayers/core/internal';
import { LSHSoftmax, LSHSoftmaxArgs, TopK } from './layers/lsh_softmax.js';

type SymbolicTensor = tfl.SymbolicTensor;

function lastLSH(model: tfl.LayersModel): LSHSoftmax {
  const layer = [...model.layers].reverse().find((l) => l instanceof LSHSoftmax);
  if (layer == null) fail('model', 'a model with an LSHSoftmax layer', 'none');
  return layer as LSHSoftmax;
}

const featureModels = new WeakMap<tfl.LayersModel, tfl.LayersModel>();

/** The sub-model from the model's inputs to the features that enter its LSHSoftmax layer. */
export function featureModel(model: tfl.LayersModel): tfl.LayersModel {
  let m = featureModels.get(model);
  if (m == null) {
    const layer = lastLSH(model);
    // node 0 is the first application: [features, labels] in a training model, features otherwise
    const input = layer.getInputAt(0) as SymbolicTensor | SymbolicTensor[];
    const h = Array.isArray(input) ? input[0] : input;
    const labels = Array.isArray(input) ? input[1] : null;
    const inputs = model.inputs.filter((t) => t !== labels);
    m = tfl.model({ inputs, outputs: h });
    featureModels.set(model, m);
  }
  return m;
}

/** Top-k classes for model inputs x, computed from the LSHSoftmax candidates only. */
export function predictTopK(model: tfl.LayersModel, x: tf.Tensor | tf.Tensor[], k = 1): TopK {
  const layer = lastLSH(model);
  const h = featureModel(model).predict(x) as tf.Tensor2D;
  try {
    return layer.topK(h, k);
  } finally {
    h.dispose();
  }
}

/**
 * Converts a trained model whose last layer is a Dense softmax into a model
 * with an LSHSoftmax output (same weights, shared earlier layers).
 */
export function convertDenseSoftmax(
  model: tfl.LayersModel,
  options: Omit<LSHSoftmaxArgs, 'units' | 'useBias'> = {},
): { model: tfl.LayersModel; layer: LSHSoftmax } {
  const dense = model.layers[model.layers.length - 1];
  if (dense == null || dense.getClassName() !== 'Dense') fail('model', 'a model whose last layer is Dense', dense?.getClassName());
  const layer = LSHSoftmax.fromDense(dense, options);
  const out = layer.apply(dense.input as SymbolicTensor) as SymbolicTensor;
  return { model: tfl.model({ inputs: model.inputs, outputs: out }), layer };
}

/**
 * The Keras-style training pair for an LSHSoftmax head: a two-input model
 * [x..., labels] → per-example loss (compile with lshSoftmaxLoss) and the
 * inference model x → probabilities, sharing every layer and weight.
 */
export function trainingModel(
  inputs: SymbolicTensor | SymbolicTensor[],
  features: SymbolicTensor,
  layer: LSHSoftmax,
): { train: tfl.LayersModel; infer: tfl.LayersModel; labels: SymbolicTensor } {
  const xs = Array.isArray(inputs) ? inputs : [inputs];
  const labels = tfl.input({ shape: [1], dtype: 'int32', name: `${layer.name}_labels` });
  const loss = layer.apply([features, labels]) as SymbolicTensor;
  const probs = layer.apply(features) as SymbolicTensor;
  return {
    train: tfl.model({ inputs: [...xs, labels], outputs: loss }),
    infer: tfl.model({ inputs: xs, outputs: probs }),
    labels,
  };
}
