/**
 * Issue 17 (no silent wrong answers) for representer-sketch: refinement
 * options, dispose after a refined conversion, weights validated on load,
 * and the load fuzz.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describeBackends } from '../../../tools/testing/backends';
import { corrupt, expectErrorOrIdentical, saveArtifacts } from '../../../tools/testing/artifacts';
import { convertToRepresenterSketch, representerSketch } from '../src';
import { referenceOutput, referenceProjection } from './reference';

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

  test('property: the sketch output equals the reference Σ_r w_r · counts[r, code_r(x)] with SRP codes of x − center', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1e6 }), (dim, rows, bits, outputs, seed) => {
        const layer = representerSketch({ outputs, rows, bits, seed, aggregation: seed % 2 === 0 ? 'mean' : 'weighted' });
        layer.build([null, dim]);
        const cells = 2 ** bits;
        const counts = tf.randomNormal([rows, cells, outputs], 0, 1, 'float32', seed);
        const center = tf.randomNormal([dim], 0, 1, 'float32', seed + 1);
        const wts = layer.getWeights();
        const names = layer.weights.map((v) => v.originalName.split('/').pop());
        wts[names.indexOf('counts')] = counts;
        wts[names.indexOf('center')] = center;
        layer.setWeights(wts);
        const x = tf.randomNormal([5, dim], 0, 1, 'float32', seed + 2);
        const yt = layer.apply(x) as tf.Tensor;
        const y = yt.dataSync();
        const w = layer.aggregationWeights();
        const P = referenceProjection(dim, rows, bits, seed, 'sparse');
        const ref = referenceOutput(x.dataSync(), 5, dim, center.dataSync(), P, rows, bits, counts.dataSync(), outputs, w.dataSync());
        for (let b = 0; b < 5; b++) {
          if (ref.ambiguous[b]) continue;
          for (let o = 0; o < outputs; o++) expect(Math.abs(y[b * outputs + o] - ref.out[b * outputs + o])).toBeLessThan(1e-4 * (1 + Math.abs(ref.out[b * outputs + o])));
        }
        tf.dispose([counts, center, x, w, yt]);
        layer.dispose();
      }),
      { numRuns: 25, seed: 17 },
    );
  });

  test('load fuzz: 24 seeded corruptions of a saved sketch model → a clear error or an identical model', async () => {
    const model = mlp();
    const x = data();
    const conv = await convertToRepresenterSketch(model, { headFrom: 'feat', data: x, rows: 4, bits: 3 });
    // the sketch alone (features in): corruptions land in its weights and config, not in the Dense feature layer's
    const input = tf.input({ shape: [6] });
    const sketchOnly = tf.model({ inputs: input, outputs: conv.layers[0].apply(input) as tf.SymbolicTensor });
    const a = await saveArtifacts(sketchOnly);
    const feats = tf.randomNormal([16, 6], 0, 1, 'float32', 5);
    const run = (m: tf.LayersModel): Float32Array => tf.tidy(() => (m.predict(feats) as tf.Tensor).dataSync() as Float32Array);
    const expected = run(sketchOnly);
    const tally = { error: 0, identical: 0 };
    for (let seed = 0; seed < 24; seed++) tally[await expectErrorOrIdentical(corrupt(a, 'RepresenterSketch', seed), expected, run)]++;
    expect(tally.error).toBeGreaterThan(0);
    tf.dispose([x, feats]);
    conv.model.dispose(); // also the layers it shares with the input model
  });
});
