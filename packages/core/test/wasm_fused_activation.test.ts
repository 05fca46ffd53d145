import * as tf from '@tensorflow/tfjs';
import { describeBackends } from '../../../tools/testing/backends';
import { guardWasmFusedActivations } from '../src/internal';

// tfjs-backend-wasm's fused relu / relu6 (XNNPACK min/max clamps) turn NaN into 0; every other backend keeps
// NaN. After the guard, a NaN entering a fused Dense(relu) comes out NaN on every backend, and finite values
// are unchanged (bit for bit against the unfused matMul + relu).
describeBackends('fused relu keeps NaN (wasm guard)', () => {
  beforeAll(() => guardWasmFusedActivations());

  it('fused matMul with relu / relu6: NaN rows and columns stay NaN, finite entries equal matMul + bias then the activation', () => {
    const x = tf.tensor2d([[1, NaN, 2], [1, 2, 3], [-4, 0.5, 1]]);
    const w = tf.tensor2d([[1, -1, 0.25], [2, 1, NaN], [0.5, 1, 3]]);
    const bias = tf.tensor1d([0, -100, 0.5]);
    for (const activation of ['relu', 'relu6'] as const) {
      const fused = tf.fused.matMul({ a: x, b: w, bias, activation }).dataSync();
      const lin = tf.add(tf.matMul(x, w), bias);
      // the reference clamp in JavaScript (wasm's own Relu6 kernel turns NaN into 0 too)
      const ref = Array.from(lin.dataSync(), (v) => Math.min(Math.max(v, 0), activation === 'relu' ? Infinity : 6));
      // row 0 has a NaN input, column 2 a NaN weight
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const got = fused[i * 3 + j];
          if (i === 0 || j === 2) expect(got).toBeNaN();
          else expect(got).toBe(ref[i * 3 + j]);
        }
      }
      lin.dispose();
    }
    tf.dispose([x, w, bias]);
  });

  it('a Dense(relu) layer passes NaN on', () => {
    const dense = tf.layers.dense({ units: 4, activation: 'relu', inputShape: [3], kernelInitializer: 'ones' });
    const model = tf.sequential({ layers: [dense] });
    const y = model.predict(tf.tensor2d([[NaN, 1, 1], [1, 1, 1]])) as tf.Tensor;
    const v = y.dataSync();
    expect(Array.from(v.slice(0, 4)).every(Number.isNaN)).toBe(true);
    expect(Array.from(v.slice(4))).toEqual([3, 3, 3, 3]);
    tf.dispose(y);
    model.dispose();
  });

  it('gradients through a fused Dense(relu) are unchanged', () => {
    const x = tf.tensor2d([[0.5, -1, 2], [1, 2, -3]]);
    const w = tf.tensor2d([[1, -1], [2, 1], [0.5, 1]]);
    const b = tf.tensor1d([0.1, -0.2]);
    const f = (a: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.fused.matMul({ a: a as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb, activation: 'relu' }));
    const g = (a: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.relu(tf.add(tf.matMul(a as tf.Tensor2D, ww as tf.Tensor2D), bb)));
    const got = tf.grads(f)([x, w, b]);
    const want = tf.grads(g)([x, w, b]);
    got.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(want[i].dataSync())));
    tf.dispose([x, w, b, ...got, ...want]);
  });
});
