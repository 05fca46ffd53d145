// Demo part (@hashlayers/lss): Label Superior Sampling on the planted problem, where the correct
// label has a moderate inner product. LSS learns its hash from (query, label) pairs; SimHash and
// WTA over the same output layer retrieve by similarity. Same candidate budget for all.
import { createRequire } from 'node:module';
import { readBack, stepLog, time, tf } from '../bench/harness.mjs';

const require = createRequire(import.meta.url);

export async function demoLSS(step = stepLog()) {
  const { LSSHashTrainer, convertToLSS } = require('@hashlayers/lss');
  const { convertToLSHSoftmax } = require('@hashlayers/lsh-softmax');
  const { plantedWOL } = require('../data/planted_wol.cjs');
  const { denseWith } = require('../data/models.cjs');
  const { precision } = require('../data/metrics.cjs');
  const units = 20000;
  const budget = 100;
  step(`LSS: a ${units}-label output layer where a nuisance direction lifts wrong labels above the correct one (tools/data/planted_wol.cjs); every method scores ${budget} labels per query`);
  const P = plantedWOL({ units, train: 10000, test: 1000, seed: 2 });
  const kernel = tf.tensor2d(P.kernel, [P.dim, units]);
  const bias = tf.tensor1d(P.bias);
  const dense = denseWith(kernel, bias);
  // a conversion takes a model and returns its new output layer: here the one-layer model around the Dense layer
  const model = tf.model({ inputs: dense.input, outputs: dense.output });
  const convert = async (fn, opts) => (await fn(model, opts)).layers[0];
  const xr = tf.tensor2d(P.train.x, [P.train.n, P.dim]);
  const yr = tf.tensor1d(P.train.y, 'int32');
  const xt = tf.tensor2d(P.test.x, [P.test.n, P.dim]);
  const yt = tf.tensor1d(P.test.y, 'int32');
  const p1 = (pred) => precision(pred, 1, P.test.y).p1;
  const denseTop = (q) => tf.topk(tf.add(tf.matMul(q, kernel), bias), 1).indices;
  const full = p1(Array.from(readBack(() => denseTop(xt))));
  const denseMs = time(() => readBack(() => denseTop(xt)), { warmup: 1, reps: 5 }).ms / P.test.n;
  step(`full softmax: P@1 ${full.toFixed(3)}, ${denseMs.toFixed(3)} ms/query (dense topk(matMul))`);
  const lss = await convert(convertToLSS, { tables: 16, bits: 10, maxCandidates: budget, seed: 1 });
  const t1 = performance.now();
  const fit = new LSSHashTrainer(lss, { seed: 1 }).fit(xr, yr, { epochs: 2 });
  step(`LSS hash trained on ${P.train.n} (query, label) pairs in ${((performance.now() - t1) / 1000).toFixed(1)} s (loss ${fit.losses.map((l) => l.toFixed(3)).join(' → ')})`);
  const methods = {
    SimHash: await convert(convertToLSHSoftmax, { hash: 'simhash', tables: 16, bits: 10, maxCandidates: budget, seed: 1 }),
    WTA: await convert(convertToLSHSoftmax, { hash: 'wta', tables: 16, window: 8, band: 3, maxCandidates: budget, seed: 1 }),
    LSS: lss,
  };
  for (const [name, layer] of Object.entries(methods)) {
    const run = () => {
      const r = layer.topK(xt, 1);
      const v = Array.from(r.indices.dataSync());
      tf.dispose([r.indices, r.values]);
      return v;
    };
    const acc = p1(run());
    const ms = time(run, { warmup: 1, reps: 5 }).ms / P.test.n;
    const rec = layer.labelRecall(xt, yt);
    step(`${name.padEnd(8)} correct label retrieved ${rec.recall.toFixed(3)}, P@1 ${acc.toFixed(3)} (${((100 * acc) / full).toFixed(0)}% of full), ${ms.toFixed(3)} ms/query (${(denseMs / ms).toFixed(1)}x dense)`);
    layer.dispose();
  }
  tf.dispose([kernel, bias, xr, yr, xt, yt]);
}
