/**
 * Issue 17 (no silent wrong answers) for representer-sketch: refinement
 * options, dispose after a refined conversion, weights validated on load,
 * and the load fuzz.
 */
import * as tf from '@tensorflow/tfjs';
import { describeBackends } from '../../../tools/testing/backends';
import { corrupt, expectErrorOrIdentical, saveArtifacts } from '../../../tools/testing/artifacts';
import { convertToRepresenterSketch } from '../src';

function mlp(): tf.LayersModel {
  const input = tf.input({ shape: [5] });
  const h = tf.layers.dense({ units: 6, activation: 'relu', name: 'feat', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describeBackends('representer-sketch reliability', () => {
  const data = () => tf.randomNormal([64, 5], 0, 1, 'float32', 3);

  test('class 6: refine.learningRate must be a finite positive number', async () => {
    const model = mlp();
    const x = data();
    for (const lr of [-1, 0, NaN, Infinity]) {
      await expect(convertToRepresenterSketch(model, { headFrom: 'feat', data: x, rows: 4, bits: 3, refine: { epochs: 1, learningRate: lr } })).rejects.toThrow(
        /refine.learningRate: expected a finite positive number/,
      );
    }
    x.dispose();
    model.dispose();
  });

  test('class 10: after a refined conversion, disposing the converted model and the sketch frees every weight', async () => {
    const model = mlp();
    const x = data();
    const before = tf.memory().numTensors;
    const conv = await convertToRepresenterSketch(model, { headFrom: 'feat', data: x, rows: 4, bits: 3, refine: { epochs: 1 } });
    conv.layers[0].dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  test('load fuzz: 24 seeded corruptions of a saved sketch model → a clear error or an identical model', async () => {
    const model = mlp();
    const x = data();
    const conv = await convertToRepresenterSketch(model, { headFrom: 'feat', data: x, rows: 4, bits: 3 });
    const a = await saveArtifacts(conv.model);
    const run = (m: tf.LayersModel): Float32Array => tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync() as Float32Array);
    const expected = run(conv.model);
    const tally = { error: 0, identical: 0 };
    for (let seed = 0; seed < 24; seed++) tally[await expectErrorOrIdentical(corrupt(a, 'RepresenterSketch', seed), expected, run)]++;
    expect(tally.error).toBeGreaterThan(0);
    x.dispose();
    conv.model.dispose(); // also the layers it shares with the input model
  });
});
