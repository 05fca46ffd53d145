import * as tf from '@tensorflow/tfjs';
import { preferredBackend, useBackend } from '../../../tools/testing/backends';
import { loadMnist } from '../../../tools/data/mnist.cjs';
import { mnistMLP, mnistTensors, trainClassifier } from '../../../tools/data/models.cjs';
import { accuracy as testAccuracy } from '../../../tools/data/metrics.cjs';
import { convertToLUTDense, LUTDense, ProgressiveLUTReplacement } from '../src';

/**
 * Real data, small and fast: a 784-128-64-10 MLP on MNIST (8000 training,
 * 1756 test images). Both hidden Dense layers are replaced by LUTDense and
 * fine-tuned with ProgressiveLUTReplacement (tables trained). The accuracy
 * table by C and layers replaced is in the benchmark:
 * npm run bench -- lut-dense-mnist.
 */
describe('LUTDense on MNIST', () => {
  const backend = preferredBackend();

  it(`hidden layers replaced and fine-tuned: within 2 points of the dense MLP [${backend}]`, async () => {
    await useBackend(backend);
    const data = loadMnist();
    const { xs, yl, ys, xt } = mnistTensors(data);
    const accuracy = (model: tf.LayersModel) => testAccuracy(model, xt, data.test.y);
    const model = mnistMLP(1);
    // shuffle: false everywhere: loadMnist's order is already a seeded shuffle, fit's own uses Math.random (a flaky margin)
    await trainClassifier(model, xs, ys, { epochs: 4, batchSize: 128, shuffle: false });
    const denseAcc = accuracy(model);
    const weights = model.getWeights().map((w) => tf.clone(w));

    const C = 64;
    const { model: lutModel, layers: replaced } = await convertToLUTDense(model, { layers: [0, 1], codebooks: C, data: xs, fit: false, inputGradient: 'ste' });
    // tables are fitted on the first 4000 training images (fitting time), trained on all 8000
    const fitData = xs.slice([0, 0], [4000, 784]);
    const progressive = new ProgressiveLUTReplacement({ layers: replaced, data: fitData, epochsPerLayer: 1, trainTables: true, fit: { objective: 'mse', partition: 'correlation' } });
    lutModel.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    await lutModel.fit(xs, ys, { epochs: 2, batchSize: 128, verbose: 0, shuffle: false, callbacks: [progressive] });
    expect(lutModel.layers.filter((l) => l instanceof LUTDense && l.mode === 'lut').length).toBe(2);
    const lutAcc = accuracy(lutModel);
    // fair baseline: the dense model trained for the same extra epochs (the LUT model's later layers trained 2 more)
    model.setWeights(weights);
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    await model.fit(xs, ys, { epochs: 2, batchSize: 128, verbose: 0, shuffle: false });
    const denseMore = accuracy(model);
    console.log(`MNIST: dense ${denseAcc.toFixed(4)} (4 epochs), ${denseMore.toFixed(4)} (6 epochs); both hidden layers LUTDense (C = ${C}) after progressive fine-tuning ${lutAcc.toFixed(4)}`);
    expect(denseAcc).toBeGreaterThan(0.9);
    expect(lutAcc).toBeGreaterThanOrEqual(Math.max(denseAcc, denseMore) - 0.02);
    tf.dispose([xs, yl, ys, xt, fitData, ...weights]);
    lutModel.dispose();
  });
});
