import * as tf from '@tensorflow/tfjs';
import { testBackends } from '../../../tools/testing/backends';
import { loadMnist } from '../../../tools/data/mnist.cjs';
import { convertToRepresenterSketch } from '../src';

/**
 * Real data: a small MNIST network (784 → 64 ReLU features → 512 → 512 → 10
 * logits), its head (the three layers after the features, 300k parameters)
 * replaced by a Representer Sketch of R = 64 rows × K = 6 bits. The sketch is
 * filled with the head's logits on the 8000 training points (cell means), then
 * its counts are refined with model.fit on the training labels (softmax
 * cross-entropy, 10 epochs of batch 128, as in the benchmark). Accuracy on the 1756
 * held-out digits. The grid over R and K is in the benchmark:
 * node tools/bench/run.mjs representer-sketch.
 */
describe('RepresenterSketch on MNIST (held-out digits)', () => {
  const backend = testBackends().includes('tensorflow') ? 'tensorflow' : 'wasm';

  it(`stays within 1 point of the replaced head's accuracy, smaller and cheaper [${backend}]`, async () => {
    await tf.setBackend(backend);
    const m = loadMnist();
    const xs = tf.tensor2d(m.train.x, [m.train.n, m.dim]);
    const yl = tf.tensor1d(m.train.y, 'int32');
    const ys = tf.oneHot(yl, m.classes);
    const xt = tf.tensor2d(m.test.x, [m.test.n, m.dim]);
    const accuracy = (model: tf.LayersModel) => {
      const pred = tf.tidy(() => tf.argMax(model.predict(xt, { batchSize: 1024 }) as tf.Tensor, 1)).dataSync();
      let hit = 0;
      for (let i = 0; i < m.test.n; i++) if (pred[i] === m.test.y[i]) hit++;
      return hit / m.test.n;
    };
    const init = (seed: number) => tf.initializers.glorotUniform({ seed });
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [m.dim], units: 64, activation: 'relu', name: 'features', kernelInitializer: init(1) }),
        tf.layers.dense({ units: 512, activation: 'relu', kernelInitializer: init(2) }),
        tf.layers.dense({ units: 512, activation: 'relu', kernelInitializer: init(3) }),
        tf.layers.dense({ units: m.classes, kernelInitializer: init(4) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: (y: tf.Tensor, z: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, z) });
    await model.fit(xs, ys, { epochs: 3, batchSize: 64, verbose: 0 });
    const headAcc = accuracy(model);

    const r = await convertToRepresenterSketch(model, {
      headFrom: 'features',
      data: xs,
      rows: 64,
      bits: 6,
      seed: 7,
      refine: { epochs: 10, batchSize: 128, target: 'labels', labels: yl, learningRate: 0.05 },
    });
    const sketchAcc = accuracy(r.model);
    const s = r.reports[0].sizing;
    console.log(
      `MNIST head ${(100 * headAcc).toFixed(2)}% → sketch R=64 K=6 ${(100 * sketchAcc).toFixed(2)}%; ` +
        `storage ${s.head.bytes} → ${s.sketch.bytes} bytes (×${s.storageReduction.toFixed(1)}; counts only ×${s.storageReductionCountsOnly.toFixed(1)}), ` +
        `multiply-adds ${s.head.multiplyAdds} → ${s.sketch.multiplyAdds} per query (×${s.computeReduction.toFixed(1)})`,
    );
    expect(headAcc).toBeGreaterThan(0.9);
    expect(sketchAcc).toBeGreaterThanOrEqual(headAcc - 0.01);
    expect(s.storageReduction).toBeGreaterThan(4);
    expect(s.computeReduction).toBeGreaterThan(10);
    tf.dispose([xs, yl, ys, xt]);
    model.dispose();
  });
});
