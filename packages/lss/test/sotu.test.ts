import * as tf from '@tensorflow/tfjs';
import { preferredBackend, useBackend } from '../../../tools/testing/backends';
import { nextWordData } from '../../../tools/data/sotu.cjs';
import { convertToLSHSoftmax } from '@hashlayers/lsh-softmax';
import { LSSHashTrainer, convertToLSS } from '../src';

/**
 * Real data, post-hoc workflow: a next-word model on the State of the Union
 * corpus (speeches before 2000 train, later ones test) trained with a plain
 * Dense softmax, then LSS learned on its training activations. The 10k-word
 * version is the benchmark: npm run bench -- lss-sotu.
 */
describe('LSS on SOTU next-word prediction (held-out speeches)', () => {
  const backend = preferredBackend();

  it(`retrieves the correct word more often than SimHash and WTA at the same budget, P@1 near full [${backend}]`, async () => {
    await useBackend(backend);
    const vocab = 2000;
    const ctx = 3;
    const data = nextWordData({ vocabSize: vocab, context: ctx, maxTrain: 40000, maxTest: 5000 });
    const init = (seed: number) => tf.initializers.glorotUniform({ seed });
    const hidden = tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(2) });
    const out = tf.layers.dense({ units: vocab, activation: 'softmax', kernelInitializer: init(3) });
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: vocab + 1, outputDim: 32, inputLength: ctx, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 1 }) }),
        tf.layers.flatten(),
        hidden,
        out,
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.003), loss: 'sparseCategoricalCrossentropy' });
    const xs = tf.tensor2d(data.train.x, [data.train.n, ctx], 'int32');
    const ysf = tf.tensor1d(Float32Array.from(data.train.y));
    await model.fit(xs, ysf, { epochs: 2, batchSize: 256, verbose: 0, shuffle: false });
    const features = tf.model({ inputs: model.inputs, outputs: hidden.output as tf.SymbolicTensor });
    const xt = tf.tensor2d(data.test.x, [data.test.n, ctx], 'int32');
    const hr = features.predict(xs) as tf.Tensor2D;
    const ht = features.predict(xt) as tf.Tensor2D;
    const yr = tf.tensor1d(data.train.y, 'int32');
    const yt = tf.tensor1d(data.test.y, 'int32');
    const accuracy = (pred: tf.Tensor) => {
      const p = pred.dataSync();
      let hit = 0;
      for (let i = 0; i < data.test.n; i++) if (p[i] === data.test.y[i]) hit++;
      pred.dispose();
      return hit / data.test.n;
    };
    const full = accuracy(tf.tidy(() => tf.argMax(model.predict(xt) as tf.Tensor, 1)));
    const budget = 64;
    const head = 20;
    const [lss] = (await convertToLSS(model, { tables: 16, bits: 8, maxCandidates: budget, headClasses: head, seed: 1 })).layers;
    const trainer = new LSSHashTrainer(lss, { seed: 1 });
    trainer.fit(hr, yr, { epochs: 1 });
    trainer.dispose();
    const [wta] = (await convertToLSHSoftmax(model, { hash: 'wta', tables: 16, window: 8, band: 2, maxCandidates: budget, headClasses: head, seed: 1 })).layers;
    // SimHash retrieves many head words (frequent words have large norms), so it gets budget + head
    // retrieved classes to score at least as many classes per query as LSS
    const [sim] = (await convertToLSHSoftmax(model, { hash: 'simhash', tables: 16, bits: 4, maxCandidates: budget + head, headClasses: head, seed: 1 })).layers;
    const r = { lss: lss.labelRecall(ht, yt), wta: wta.labelRecall(ht, yt), simhash: sim.labelRecall(ht, yt) };
    const top = lss.topK(ht, 1);
    const p1 = accuracy(top.indices);
    top.values.dispose();
    console.log(
      `SOTU ${vocab} words, budget ${budget} + ${head} head words: full P@1 ${full.toFixed(4)}, LSS P@1 ${p1.toFixed(4)} (${((100 * p1) / full).toFixed(1)}%); ` +
        `correct-word recall LSS ${r.lss.recall.toFixed(3)} / WTA ${r.wta.recall.toFixed(3)} / SimHash ${r.simhash.recall.toFixed(3)} ` +
        `at ${r.lss.meanCandidates.toFixed(1)} / ${r.wta.meanCandidates.toFixed(1)} / ${r.simhash.meanCandidates.toFixed(1)} candidates`,
    );
    expect(full).toBeGreaterThan(0.07); // far above the frequency baseline 'the' (~6%)
    for (const other of [r.wta, r.simhash]) {
      expect(r.lss.meanCandidates).toBeLessThanOrEqual(other.meanCandidates + 2);
      expect(r.lss.recall).toBeGreaterThan(other.recall + 0.03);
    }
    expect(p1).toBeGreaterThanOrEqual(0.98 * full);
    [lss, wta, sim].forEach((l) => l.dispose());
    tf.dispose([xs, ysf, xt, hr, ht, yr, yt]);
    model.dispose();
  });
});
