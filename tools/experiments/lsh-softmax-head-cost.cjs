// What the default exact head (headClasses: 100) costs LSHSoftmax.topK: two layers with the synthetic 100k-class
// weights of the lsh-softmax-synthetic benchmark (L=16 window=8 band=4, 759 candidates), one without a head and one
// with 100 head classes, timed in turns in one process (tfjs-node); medians of 8 turns.
//
// flock /tmp/hashlayers-bench.lock node tools/experiments/lsh-softmax-head-cost.cjs
'use strict';
const tf = require('@tensorflow/tfjs-node');
const { syntheticWideLayer, layerWith } = require('../data/wide_layer.cjs');
(async () => {
  await tf.setBackend('tensorflow');
  const { w, b, h, labels } = syntheticWideLayer(100000, { queries: 256 });
  const layers = {};
  for (const head of [0, 100]) { layers[head] = layerWith(w, b, { tables: 16, window: 8, band: 4, maxCandidates: 2048, exactBelow: 1, headClasses: head }); }
  const q1 = []; for (let i = 0; i < 16; i++) q1.push(tf.slice(h, [i, 0], [1, 128]));
  const run = (layer, q) => { const r = layer.topK(q, 5); const ids = r.indices.dataSync(); tf.dispose([r.indices, r.values]); return ids; };
  const res = { 0: { 1: [], 256: [] }, 100: { 1: [], 256: [] } };
  for (let rep = 0; rep < 8; rep++) for (const head of [0, 100]) {
    const layer = layers[head];
    for (let i = 0; i < 100; i++) run(layer, q1[i % 16]);
    let t0 = performance.now(); for (let i = 0; i < 800; i++) run(layer, q1[i % 16]); res[head][1].push((performance.now() - t0) / 800 * 1000);
    run(layer, h); t0 = performance.now(); for (let i = 0; i < 6; i++) run(layer, h); res[head][256].push((performance.now() - t0) / 6 / 256 * 1000);
  }
  const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  for (const head of [0, 100]) {
    const top = run(layers[head], h); let hit = 0; for (let i = 0; i < 256; i++) if (top[i * 5] === labels[i]) hit++;
    console.log(`headClasses ${head}: batch 1 ${med(res[head][1]).toFixed(1)} us/query, batch 256 ${med(res[head][256]).toFixed(1)} us/query, P@1 ${(hit / 256).toFixed(3)}`);
  }
})();
