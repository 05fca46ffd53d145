// The models of the demo page, trained and saved in Node: the SOTU next-word model of the Node demo
// (tools/demo/demo.mjs part 2: 2,000-word vocabulary, 3 previous words, speeches before 2000, 2 epochs)
// with an LSHSoftmax output layer, and its dense twin (the same model with the exact softmax, mode
// 'full'). Each inference model is saved as model.json + weights.bin, beside vocab.json (the words, the
// tokenizer and the held-out P@1 of both).
import { createRequire } from 'node:module';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { log, tf, usePreferredBackend } from '../bench/harness.mjs';
import { saveModelFiles } from '../browser/save_model.mjs';

const require = createRequire(import.meta.url);

export const DEMO_MODEL = { vocab: 2000, context: 3, layer: { tables: 16, window: 8, band: 3, maxCandidates: 150, uniformSamples: 50, headClasses: 100 } };

export async function trainDemoModels(dir) {
  const L = require('@hashlayers/lsh-softmax');
  const { nextWordData } = require('../data/sotu.cjs');
  const { nextWordModel } = require('../data/next_word_model.cjs');
  const { precision } = require('../data/metrics.cjs');
  await usePreferredBackend();
  const { vocab, context: ctx } = DEMO_MODEL;
  const data = nextWordData({ vocabSize: vocab, context: ctx, maxTrain: 30000, maxTest: 3000 });
  const xs = tf.tensor2d(data.train.x, [data.train.n, ctx], 'int32');
  const ys = tf.tensor1d(data.train.y, 'int32');
  const xt = tf.tensor2d(data.test.x, [data.test.n, ctx], 'int32');
  // the page measures top-1 agreement of the two models on the first 256 held-out contexts
  const heldOutContexts = Array.from(data.test.x.slice(0, 256 * ctx));
  const meta = { words: data.words, context: ctx, tokenPattern: "[a-z]+(?:'[a-z]+)?", unknownId: 0, headClasses: DEMO_MODEL.layer.headClasses, heldOutContexts, models: {} };
  for (const [name, mode] of [['hashed', 'lsh'], ['dense', 'full']]) {
    const t0 = performance.now();
    const { train, infer, layer } = nextWordModel(tf, L, { vocab, context: ctx, layer: { mode, ...DEMO_MODEL.layer } });
    const zeros = tf.zeros([data.train.n, 1]);
    await train.fit([xs, ys], zeros, {
      epochs: 2,
      batchSize: 256,
      verbose: 0,
      callbacks: mode === 'lsh' ? [new L.RehashCallback({ layer, everyBatches: 20 })] : [],
    });
    zeros.dispose();
    const top = L.predictTopK(train, [xt], 1);
    const p1 = precision(top.indices.dataSync(), 1, data.test.y).p1;
    tf.dispose([top.indices, top.values]);
    await saveModelFiles(tf, infer, join(dir, name));
    meta.models[name] = { mode, heldOutP1: p1, trainSeconds: (performance.now() - t0) / 1000 };
    log(`   ${name} (${mode}): held-out P@1 ${p1.toFixed(4)}, trained in ${meta.models[name].trainSeconds.toFixed(0)} s, saved to ${join(dir, name)}`);
  }
  tf.dispose([xs, ys, xt]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(meta));
  return meta;
}
