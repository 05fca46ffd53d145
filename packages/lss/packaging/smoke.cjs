// Runs from installed tarballs (see tools/packaging/pack-test.mjs).
const tf = require('@tensorflow/tfjs');
const { LSHSoftmax } = require('@hashlayers/lsh-softmax');
const { LSSHashTrainer, convertToLSS } = require('@hashlayers/lss');

(async () => {
  const dense = tf.layers.dense({ units: 300, inputShape: [8], activation: 'softmax' });
  const model = tf.sequential({ layers: [dense] });
  const { layers: [layer] } = await convertToLSS(model, { tables: 8, bits: 4, seed: 1 });
  const h = tf.randomNormal([64, 8], 0, 1, 'float32', 1);
  const y = tf.randomUniform([64], 0, 300, 'int32', 2);
  const trainer = new LSSHashTrainer(layer, { seed: 1 });
  const fit = trainer.fit(h, y, { epochs: 2 });
  const top = layer.topK(h, 3);
  if (!(layer instanceof LSHSoftmax) || layer.hash !== 'learned' || top.indices.shape[1] !== 3 || !(fit.losses[1] < fit.losses[0] + 1)) throw new Error('bad output');
  console.log(`cjs ok: top-3 ${top.indices.shape}, hash loss ${fit.losses.map((l) => l.toFixed(3)).join(' -> ')}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
