import * as tf from '@tensorflow/tfjs';
import { preferredBackend, useBackend } from '../../../tools/testing/backends';
import { nextWordData } from '../../../tools/data/sotu.cjs';
import * as L from '../src';
import { predictTopK, RehashCallback } from '../src';
import { nextWordModel } from '../../../tools/data/next_word_model.cjs';
import { shuffledRows } from '../../../tools/data/rng.cjs';

/**
 * Real data, small and fast: next-word prediction on the State of the Union
 * corpus (speeches before 2000 train, later speeches test). The full
 * version (10k words) is in the benchmark: npm run bench -- lsh-softmax-sotu.
 */
describe('LSHSoftmax on SOTU next-word prediction (held-out speeches)', () => {
  const backend = preferredBackend();

  it(`reaches at least 95% of full-softmax top-1 accuracy [${backend}]`, async () => {
    await useBackend(backend);
    const vocab = 2000;
    const ctx = 3;
    const data = nextWordData({ vocabSize: vocab, context: ctx, maxTrain: 40000, maxTest: 5000 });
    const shuffled = shuffledRows(data.train, ctx, 7);
    const xs = tf.tensor2d(shuffled.x, [data.train.n, ctx], 'int32');
    const ys = tf.tensor1d(shuffled.y, 'int32');
    const xt = tf.tensor2d(data.test.x, [data.test.n, ctx], 'int32');
    const yt = data.test.y;
    const run = async (mode: 'lsh' | 'full') => {
      const { train, layer } = nextWordModel(tf, L, {
        vocab,
        context: ctx,
        layer: { mode, tables: 16, window: 8, band: 3, maxCandidates: 200, uniformSamples: 50, headClasses: 200 },
      });
      const zeros = tf.zeros([data.train.n, 1]);
      const callbacks = mode === 'lsh' ? [new RehashCallback({ layer, everyBatches: 20 })] : [];
      // fit's own shuffle draws from Math.random: the rows are shuffled once with a seed instead (deterministic runs)
      await train.fit([xs, ys], zeros, { epochs: 2, batchSize: 256, verbose: 0, callbacks, shuffle: false });
      zeros.dispose();
      const top = predictTopK(train, [xt], 1);
      const pred = top.indices.dataSync();
      let hit = 0;
      for (let i = 0; i < yt.length; i++) if (pred[i] === yt[i]) hit++;
      const mean = top.candidatesPerQuery.reduce((a, b) => a + b, 0) / yt.length;
      tf.dispose([top.indices, top.values]);
      return { acc: hit / yt.length, candidates: mean };
    };
    const full = await run('full');
    const lsh = await run('lsh');
    console.log(`SOTU ${vocab} words: full top-1 ${full.acc.toFixed(4)}, LSH top-1 ${lsh.acc.toFixed(4)} with ${lsh.candidates.toFixed(0)} candidates/query`);
    expect(full.acc).toBeGreaterThan(0.08); // far above the frequency baseline 'the' (~6%)
    expect(lsh.acc).toBeGreaterThanOrEqual(0.95 * full.acc);
    expect(lsh.candidates).toBeLessThan(vocab / 8); // retrieved classes; with the 200 head classes under 23% of the vocabulary
    tf.dispose([xs, ys, xt]);
  });
});
