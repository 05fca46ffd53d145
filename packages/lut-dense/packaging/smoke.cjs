// Runs from installed tarballs (see tools/packaging/pack-test.mjs).
const tf = require('@tensorflow/tfjs');
const { LUTDense, convertToLUTDense } = require('@hashlayers/lut-dense');

(async () => {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [16], units: 6 })] });
  const x = tf.randomNormal([400, 16], 0, 1, 'float32', 3);
  const { layers: [lut], reports: [report] } = await convertToLUTDense(model, { codebooks: 8, data: x });
  const y = lut.apply(x);
  const ref = model.predict(x);
  const rel = tf.norm(tf.sub(y, ref)).dataSync()[0] / tf.norm(ref).dataSync()[0];
  if (!(lut instanceof LUTDense) || y.shape[1] !== 6 || report.codebooks !== 8 || !(rel < 0.6)) throw new Error(`bad output (relative error ${rel})`);
  console.log(`cjs ok: LUTDense output ${y.shape}, relative error ${rel.toFixed(3)} at C = 8`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
