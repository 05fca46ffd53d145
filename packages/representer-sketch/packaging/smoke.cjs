// Runs from installed tarballs (see tools/packaging/pack-test.mjs).
const tf = require('@tensorflow/tfjs');
const { RepresenterSketch, representerSketch, sketchCost } = require('@hashlayers/representer-sketch');

const sketch = representerSketch({ outputs: 10, rows: 8, bits: 4, seed: 1 });
const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [12], units: 16 }), sketch] });
const x = tf.randomNormal([5, 12], 0, 1, 'float32', 3);
const fill = sketch.insert(model.layers[0].apply(x), tf.randomNormal([5, 10], 0, 1, 'float32', 4));
const y = model.predict(x);
if (!(model.layers[1] instanceof RepresenterSketch) || y.shape[1] !== 10 || fill.points !== 5) throw new Error('bad output');
console.log(`cjs ok: outputs ${y.shape}, ${sketchCost(sketch).bytes} bytes`);
