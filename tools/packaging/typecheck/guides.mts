// The guides' code blocks (docs/lsh-softmax.md, docs/lss.md, docs/representer-sketch.md,
// docs/lut-dense.md, docs/hashing.md), as a user writes them in TypeScript: no casts.
// tools/packaging/pack-test.mjs compiles this file with `tsc --strict` against the installed
// tarballs under module node16, nodenext and bundler resolution. It is type-checked, not run.
import * as tf from '@tensorflow/tfjs';
import { fusedAdam } from '@hashlayers/core';
import { HashIndex, SimHash } from '@hashlayers/hashing';
import { featureModel, lshSoftmax, lshSoftmaxLoss, predictTopK, RehashCallback, trainingModel } from '@hashlayers/lsh-softmax';
import { convertToLSS, lss, LSSHashCallback, LSSHashTrainer } from '@hashlayers/lss';
import { convertToLUTDense, ProgressiveLUTReplacement } from '@hashlayers/lut-dense';
import { convertToRepresenterSketch, representerSketch, RepresenterSketch, sketchCost } from '@hashlayers/representer-sketch';

declare const model: tf.LayersModel;
declare const xs: tf.Tensor;
declare const labels: tf.Tensor;
declare const xTrain: tf.Tensor;
declare const yTrain: tf.Tensor;
declare const xTest: tf.Tensor;
declare const yTest: tf.Tensor;
declare const n: number;
declare const dim: number;
declare const units: number;

// docs/lsh-softmax.md: training with model.fit
{
  const input = tf.input({ shape: [3], dtype: 'int32' });
  const emb = tf.layers.embedding({ inputDim: 10001, outputDim: 32 }).apply(input);
  const hidden = tf.layers.dense({ units: 128, activation: 'relu' }).apply(tf.layers.flatten().apply(emb));
  const layer = lshSoftmax({ units: 10000, hash: 'wta', tables: 16, window: 8, band: 3,
                             maxCandidates: 300, uniformSamples: 100, headClasses: 100, seed: 1 });
  const { train, infer } = trainingModel(input, hidden, layer);
  train.compile({ optimizer: fusedAdam(0.003), loss: lshSoftmaxLoss });
  await train.fit([xs, labels], tf.zeros([n, 1]), {
    epochs: 2, batchSize: 256, callbacks: [new RehashCallback({ layer, everyBatches: 50 })] });
  const { indices, values } = predictTopK(train, [xTest], 5);
  const h = featureModel(infer).predict(xTest);
  const top = layer.topK(h, 5);
  console.log(indices.shape, values.shape, top.candidatesPerQuery, layer.labelRecall(h, yTest).recall);
}

// docs/lss.md: workflow 1 (post hoc)
{
  const { model: cheap, layers: [layer] } = await convertToLSS(model, { tables: 16, bits: 8, maxCandidates: 100 });
  const features = featureModel(cheap);
  const trainer = new LSSHashTrainer(layer, { learningRate: 0.01 });
  const report = trainer.fit(features.predict(xTrain), yTrain, { epochs: 2 });
  console.log(report.losses, report.rehash.changedFraction);
  const { indices, values, candidatesPerQuery } = layer.topK(features.predict(xTest), 5);
  console.log(indices, values, candidatesPerQuery, layer.labelRecall(features.predict(xTest), yTest));
}

// docs/lss.md: workflow 2 (joint)
{
  const input = tf.input({ shape: [dim] });
  const hidden = tf.layers.dense({ units: 64, activation: 'relu' }).apply(input);
  const out = lss({ units, tables: 16, bits: 8, maxCandidates: 200, uniformSamples: 50 });
  const { train } = trainingModel(input, hidden, out);
  train.compile({ optimizer: tf.train.adam(0.005), loss: lshSoftmaxLoss });
  const hashCallback = new LSSHashCallback({ layer: out, x: xTrain, y: yTrain, samples: 5000 });
  await train.fit([xTrain, yTrain], tf.zeros([n, 1]), { epochs: 3, batchSize: 256, callbacks: [hashCallback] });
  console.log(predictTopK(train, [xTest], 1).indices, hashCallback.events.length);
}

// docs/representer-sketch.md: converting a trained model
{
  const { model: sketched, layers: [sketch], reports: [{ sizing, fill, refineLoss, quantizationErrorBound }] } = await convertToRepresenterSketch(model, {
    headFrom: 'features', data: xTrain, rows: 128, bits: 4, seed: 7, countBits: 8,
    refine: { epochs: 10, target: 'labels', labels: yTrain, learningRate: 0.1 },
  });
  console.log(sketched.predict(xTest), sketch.name, sketch.projectionKind, sizing.storageReduction, sizing.computeReduction, fill, refineLoss, quantizationErrorBound);
  // by hand: float counts, trainable; quantize after filling and refining
  const byHand = representerSketch({ outputs: 10, rows: 32, bits: 4, projection: 'gaussian' });
  const quantized: RepresenterSketch = byHand.quantize(8);
  console.log(quantized.countBits, sketchCost(quantized).bytes);
}

// docs/lut-dense.md: use
{
  const { model: lutModel, reports } = await convertToLUTDense(model, {
    layers: [0, 1], codebooks: 32, data: xTrain, objective: 'reconstruct', partition: 'contiguous', quantize: false, lambda: 1 });
  console.log(lutModel.name, reports[0].outputMse);
  const { model: m2, layers: luts } = await convertToLUTDense(model, { layers: [0, 1], codebooks: 32, data: xTrain, fit: false, inputGradient: 'ste' });
  m2.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  await m2.fit(xTrain, yTrain, { epochs: 2 * luts.length, callbacks: [
    new ProgressiveLUTReplacement({ layers: luts, data: xTrain, epochsPerLayer: 2, trainTables: true }) ] });
}

// README / docs/hashing.md: an index
{
  const items = tf.randomNormal([10000, 64]);
  const index = new HashIndex(new SimHash({ inputDim: 65, tables: 16, bits: 10, seed: 1 }), { transform: 'mips' });
  index.build(items);
  const { ids, scores } = index.search(tf.randomNormal([4, 64]), 10, { maxCandidates: 500 });
  console.log(ids.shape, scores.shape);
}
