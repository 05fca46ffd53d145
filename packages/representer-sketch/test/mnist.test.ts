import * as tf from '@tensorflow/tfjs';
import { preferredBackend, useBackend } from '../../../tools/testing/backends';
import { loadMnist } from '../../../tools/data/mnist.cjs';
import { mnistHeadNetwork, mnistTensors, trainClassifier } from '../../../tools/data/models.cjs';
import { accuracy as testAccuracy } from '../../../tools/data/metrics.cjs';
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
  const backend = preferredBackend();

  it(`stays within 1 point of the replaced head's accuracy, smaller and cheaper [${backend}]`, async () => {
    await useBackend(backend);
    const m = loadMnist();
    const { xs, yl, ys, xt } = mnistTensors(m);
    const accuracy = (model: tf.LayersModel) => testAccuracy(model, xt, m.test.y, { batchSize: 1024 });
    // 784 → 64 ReLU 'features' → 512 → 512 → 10 logits (the benchmark's and the demo's network)
    const model = mnistHeadNetwork({ dim: m.dim, classes: m.classes });
    await trainClassifier(model, xs, ys, { epochs: 3, batchSize: 64, logits: true });
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
