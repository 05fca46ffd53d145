// Accuracy measures shared by the tests, the benchmarks and the demo.
'use strict';

const tf = require('@tensorflow/tfjs');

/**
 * P@1 and P@5 of ranked predictions against labels: `pred` holds `width` class ids per row, best
 * first; P@5 counts a hit among the first min(5, width) of them.
 */
function precision(pred, width, labels) {
  let p1 = 0;
  let p5 = 0;
  for (let i = 0; i < labels.length; i++) {
    if (pred[i * width] === labels[i]) p1++;
    for (let j = 0; j < Math.min(5, width); j++) if (pred[i * width + j] === labels[i]) p5++;
  }
  return { p1: p1 / labels.length, p5: p5 / labels.length };
}

/** The fraction of rows of x whose argmax of model.predict(x) is the label (predict's batchSize as given). */
function accuracy(model, x, labels, { batchSize } = {}) {
  const p = tf.tidy(() => tf.argMax(model.predict(x, { batchSize }), 1));
  const pred = p.dataSync();
  p.dispose();
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) hit++;
  return hit / labels.length;
}

/** Relative error ‖a − b‖ / ‖b‖ of flat arrays (b the reference). */
function relErr(a, b) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

module.exports = { precision, accuracy, relErr };
