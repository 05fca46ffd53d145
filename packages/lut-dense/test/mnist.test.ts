import * as tf from '@tensorflow/tfjs';
import { testBackends } from '../../../tools/testing/backends';
import { loadMnist } from '../../../tools/data/mnist.cjs';
import { convertToLUTDense, LUTDense, ProgressiveLUTReplacement } from '../src';

/**
 * Real data, small and fast: a 784-128-64-10 MLP on MNIST (8000 training,
 * 1756 test images). Both hidden Dense layers are replaced by LUTDense and
 * fine-tuned with ProgressiveLUTReplacement (tables trained). The accuracy
 * table by C and layers replaced is in the benchmark:
 * npm run bench -- lut-dense-mnist.
 */
describe('LUTDense on MNIST', () => {
  const backend = testBackends().includes('tensorflow') ? 'tensorflow' : 'wasm';

  it(`hidden layers replaced and fine-tuned: within 2 points of the dense MLP [${backend}]`, async () => {
    await tf.setBackend(backend);
    const data = loadMnist();
    const xs = tf.tensor2d(data.train.x, [data.train.n, 784]);
    const ys = tf.oneHot(tf.tensor1d(data.train.y, 'int32'), 10);
    const xt = tf.tensor2d(data.test.x, [data.test.n, 784]);
    const accuracy = (model: tf.LayersModel) => {
      const p = tf.tidy(() => tf.argMax(model.predict(xt) as tf.Tensor, 1));
      const v = p.dataSync();
      p.dispose();
      let hit = 0;
      for (let i = 0; i < v.length; i++) if (v[i] === data.test.y[i]) hit++;
      return hit / v.length;
    };
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    await model.fit(xs, ys, { epochs: 4, batchSize: 128, verbose: 0 });
    const denseAcc = accuracy(model);
    const weights = model.getWeights().map((w) => tf.clone(w));

    const C = 64;
    const { model: lutModel, layers: replaced } = await convertToLUTDense(model, { layers: [0, 1], codebooks: C, data: xs, fit: false, inputGradient: 'ste' });
    // tables are fitted on the first 4000 training images (fitting time), trained on all 8000
    const fitData = xs.slice([0, 0], [4000, 784]);
    const progressive = new ProgressiveLUTReplacement({ layers: replaced, data: fitData, epochsPerLayer: 1, trainTables: true, fit: { objective: 'mse', partition: 'correlation' } });
    lutModel.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    await lutModel.fit(xs, ys, { epochs: 2, batchSize: 128, verbose: 0, callbacks: [progressive] });
    expect(lutModel.layers.filter((l) => l instanceof LUTDense && l.mode === 'lut').length).toBe(2);
    const lutAcc = accuracy(lutModel);
    // fair baseline: the dense model trained for the same extra epochs (the LUT model's later layers trained 2 more)
    model.setWeights(weights);
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    await model.fit(xs, ys, { epochs: 2, batchSize: 128, verbose: 0 });
    const denseMore = accuracy(model);
    console.log(`MNIST: dense ${denseAcc.toFixed(4)} (4 epochs), ${denseMore.toFixed(4)} (6 epochs); both hidden layers LUTDense (C = ${C}) after progressive fine-tuning ${lutAcc.toFixed(4)}`);
    expect(denseAcc).toBeGreaterThan(0.9);
    expect(lutAcc).toBeGreaterThanOrEqual(Math.max(denseAcc, denseMore) - 0.02);
    tf.dispose([xs, ys, xt, fitData, ...weights]);
    lutModel.dispose();
  });
});
