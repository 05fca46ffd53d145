import * as tf from '@tensorflow/tfjs';
import { describeBackends } from '../../../tools/testing/backends';
import { lshSoftmax, lshSoftmaxLoss, predictTopK, trainingModel } from '../src';

// What tfjs hands a user: layer.apply() → SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[],
// model.predict() → Tensor | Tensor[]. The functions take those types and check the shape at run time.
describeBackends('tfjs-shaped arguments', () => {
  const dim = 6;
  const units = 30;

  function model() {
    const input = tf.input({ shape: [4] });
    const hidden = tf.layers.dense({ units: dim, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }).apply(input);
    const layer = lshSoftmax({ units, tables: 4, window: 4, band: 2, seed: 2, exactBelow: units + 1 });
    const { train, infer } = trainingModel(input, hidden, layer); // hidden: apply()'s union type
    return { train, infer, layer, hidden: tf.model({ inputs: input, outputs: hidden as tf.SymbolicTensor }) };
  }

  it('topK and labelRecall take model.predict output (a tensor or an array of one) and agree with the tensor itself', () => {
    const { layer, hidden, train } = model();
    train.compile({ optimizer: 'adam', loss: lshSoftmaxLoss });
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 3);
    const h = hidden.predict(x); // typed tf.Tensor | tf.Tensor[]
    const a = layer.topK(h, 3);
    const b = layer.topK([h as tf.Tensor], 3);
    expect(Array.from(b.indices.dataSync())).toEqual(Array.from(a.indices.dataSync()));
    // exactBelow > units: every query is answered exactly, so topK is the dense top-k of h Wᵀ + b
    // (the kernel is stored transposed, [units, dim])
    const dense = tf.topk(tf.add(tf.matMul(h as tf.Tensor2D, layer.kernel!.read() as tf.Tensor2D, false, true), layer.bias!.read()), 3);
    expect(Array.from(a.indices.dataSync())).toEqual(Array.from(dense.indices.dataSync()));
    const viaModel = predictTopK(train, [x], 3);
    expect(Array.from(viaModel.indices.dataSync())).toEqual(Array.from(a.indices.dataSync()));
    const y = tf.tensor1d([0, 1, 2, 3, 4], 'int32');
    expect(layer.labelRecall([h as tf.Tensor], y).recall).toBe(layer.labelRecall(h, y).recall);
    tf.dispose([x, h as tf.Tensor, a.indices, a.values, b.indices, b.values, dense.indices, dense.values, viaModel.indices, viaModel.values, y]);
  });

  it('rejects what is not one rank-2 tensor, naming the argument', () => {
    const { layer, hidden } = model();
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 3);
    const h = hidden.predict(x) as tf.Tensor;
    expect(() => layer.topK([h, h], 1)).toThrow(/features: expected a tensor \(or an array of one tensor\), got an array of 2/);
    expect(() => layer.topK(tf.zeros([5]), 1)).toThrow(/features/);
    expect(() => layer.topK(tf.zeros([2, 3, dim]), 1)).toThrow(/features/);
    tf.dispose([x, h]);
  });

  it('trainingModel takes apply() output and rejects concrete tensors or several features', () => {
    const input = tf.input({ shape: [4] });
    const hidden = tf.layers.dense({ units: dim }).apply(input);
    expect(() => trainingModel(input, [hidden as tf.SymbolicTensor], lshSoftmax({ units, seed: 1 }))).not.toThrow();
    expect(() => trainingModel(input, [hidden as tf.SymbolicTensor, hidden as tf.SymbolicTensor], lshSoftmax({ units, seed: 1 }))).toThrow(/features: expected a SymbolicTensor/);
    const t = tf.zeros([2, dim]);
    expect(() => trainingModel(input, t, lshSoftmax({ units, seed: 1 }))).toThrow(/features: expected a SymbolicTensor/);
    t.dispose();
  });
});
