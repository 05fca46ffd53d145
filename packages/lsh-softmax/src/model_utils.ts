import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ConversionResult } from '@hashlayers/core';
import { fail, readDense } from '@hashlayers/core/internal';
import type { BuildReport } from '@hashlayers/hashing';
import { isLSHSoftmax, LSHSoftmax, LSHSoftmaxArgs, lshSoftmaxInternals, TopK } from './layers/lsh_softmax.js';


function lastLSH(model: tfl.LayersModel): LSHSoftmax {
  const layer = [...model.layers].reverse().find((l) => isLSHSoftmax(l));
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
    const input = layer.getInputAt(0) as tfl.SymbolicTensor | tfl.SymbolicTensor[];
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

/** convertToLSHSoftmax's options: which Dense layer to replace, and the new layer's options. */
export interface ConvertToLSHSoftmaxOptions extends Omit<LSHSoftmaxArgs, 'units' | 'useBias'> {
  /**
   * The Dense layer to replace: its name or its index in `model.layers`
   * (default: the last layer). It must be an output of the model, with a
   * softmax or linear activation.
   */
  layer?: string | number;
}

/** What convertToLSHSoftmax reports per new layer: the Dense it replaced and the hash tables it built. */
export interface LSHSoftmaxReport extends BuildReport {
  /** Name of the replaced Dense layer. */
  replaced: string;
  classes: number;
  tables: number;
  hash: LSHSoftmax['hash'];
}

/**
 * Converts a trained model whose output layer is a Dense softmax (or linear)
 * layer into a model with an LSHSoftmax output: the same weights (the kernel
 * stored transposed), the classes hashed into the tables. The layers before
 * it are shared with the input model.
 */
export async function convertToLSHSoftmax(
  model: tfl.LayersModel,
  options: ConvertToLSHSoftmaxOptions = {},
): Promise<ConversionResult<tfl.LayersModel, LSHSoftmax, LSHSoftmaxReport>> {
  if (model == null || !Array.isArray((model as tfl.LayersModel).layers) || !Array.isArray((model as tfl.LayersModel).outputs)) fail('model', 'a tf.LayersModel', model);
  const { layer: which, ...args } = options ?? {};
  const layers = model.layers;
  let dense: tfl.layers.Layer | undefined;
  if (which == null) dense = layers[layers.length - 1];
  else if (typeof which === 'number') dense = Number.isInteger(which) ? layers[which] : undefined;
  else if (typeof which === 'string') dense = layers.find((l) => l.name === which);
  if (dense == null) fail('options.layer', `a layer name or an index in [0, ${layers.length})`, typeof which === 'string' ? `'${which}'` : which);
  const { kernel, bias, units } = readDense(dense, { arg: 'dense', activations: ['softmax', 'linear'] });
  const output = dense.output as tfl.SymbolicTensor;
  const at = model.outputs.indexOf(output);
  if (at < 0) fail('options.layer', 'an output layer of the model (LSHSoftmax is an output layer)', `'${dense.name}'`);
  const layer = new LSHSoftmax({ ...args, units, useBias: bias != null });
  let report: BuildReport;
  try {
    report = lshSoftmaxInternals(layer).setDenseWeights(kernel, bias);
  } catch (e) {
    if (layer.built) layer.dispose();
    throw e;
  }
  const out = layer.apply(dense.input as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  const outputs = model.outputs.map((o, i) => (i === at ? out : o));
  return {
    model: tfl.model({ inputs: model.inputs, outputs: outputs.length === 1 ? outputs[0] : outputs }),
    layers: [layer],
    reports: [{ ...report, replaced: dense.name, classes: units, tables: layer.tables, hash: layer.hash }],
  };
}

/**
 * The Keras-style training pair for an LSHSoftmax head: a two-input model
 * [x..., labels] → per-example loss (compile with lshSoftmaxLoss) and the
 * inference model x → probabilities, sharing every layer and weight.
 */
export function trainingModel(
  inputs: tfl.SymbolicTensor | tfl.SymbolicTensor[],
  features: tfl.SymbolicTensor | tfl.SymbolicTensor[] | tf.Tensor | tf.Tensor[],
  layer: LSHSoftmax,
): { train: tfl.LayersModel; infer: tfl.LayersModel; labels: tfl.SymbolicTensor } {
  if (layer == null || typeof layer.getClassName !== 'function' || layer.getClassName() !== 'LSHSoftmax') fail('layer', 'an LSHSoftmax layer', layer);
  // typed as what layer.apply() returns; it must be one SymbolicTensor (or an array of one)
  const h = Array.isArray(features) && features.length === 1 ? features[0] : features;
  if (!(h instanceof tfl.SymbolicTensor)) fail('features', 'a SymbolicTensor (the features that enter the layer, from layer.apply())', Array.isArray(h) ? `an array of ${h.length}` : h);
  const xs = Array.isArray(inputs) ? inputs : [inputs];
  // float32, not int32: an int32 input would truncate float labels (2.7 → 2, NaN → 0) before the layer's
  // label check sees them; class ids are exact in float32 up to 2^24
  const labels = tfl.input({ shape: [1], dtype: 'float32', name: `${layer.name}_labels` });
  const loss = layer.apply([h, labels]) as tfl.SymbolicTensor;
  const probs = layer.apply(h) as tfl.SymbolicTensor;
  return {
    train: tfl.model({ inputs: [...xs, labels], outputs: loss }),
    infer: tfl.model({ inputs: xs, outputs: probs }),
    labels,
  };
}
