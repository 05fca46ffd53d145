import * as tf from '@tensorflow/tfjs';
import { adamConstants, adamDense, adamRows, betaPower } from '../src/internal';

/** An independent float64 Adam: the textbook formula with Math.pow bias corrections. */
function referenceAdam(x0: number[], grads: number[][], lr: number, b1: number, b2: number, eps: number) {
  const x = x0.slice();
  const m = x.map(() => 0);
  const v = x.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < x.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      x[i] -= (lr * (m[i] / (1 - Math.pow(b1, t)))) / (Math.sqrt(v[i] / (1 - Math.pow(b2, t))) + eps);
    }
  });
  return { x, m, v };
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

describe('Adam update math (the one Adam of hashlayers)', () => {
  const h = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
  const rnd = seeded(5);
  const n = 37;
  const x0 = Array.from({ length: n }, rnd);
  const grads = Array.from({ length: 40 }, () => Array.from({ length: n }, rnd));

  it('float64: adamDense with adamConstants(…, "float64") is the textbook Adam to 1e-12', () => {
    const x = Float64Array.from(x0);
    const [m, v] = [new Float64Array(n), new Float64Array(n)];
    grads.forEach((g, s) => adamDense(x, x, g, m, v, adamConstants(h, betaPower(h.beta1, s + 1, 'float64'), betaPower(h.beta2, s + 1, 'float64'), 'float64')));
    const ref = referenceAdam(x0, grads, h.learningRate, h.beta1, h.beta2, h.epsilon);
    for (let i = 0; i < n; i++) {
      expect(Math.abs(x[i] - ref.x[i])).toBeLessThan(1e-12);
      expect(Math.abs(m[i] - ref.m[i])).toBeLessThan(1e-12);
      expect(Math.abs(v[i] - ref.v[i])).toBeLessThan(1e-12);
    }
  });

  it('adamRows updates only the given rows, reading gathered (compact) or full gradient rows, and copies the new rows out', () => {
    const cols = 3;
    const rows = Int32Array.of(1, 4, 6);
    const x = Float64Array.from(x0.slice(0, 7 * cols));
    const full = Float64Array.from(grads[0].slice(0, 7 * cols));
    const gathered = Float64Array.from(Array.from(rows).flatMap((r) => Array.from(full.subarray(r * cols, (r + 1) * cols))));
    const k = adamConstants(h, h.beta1, h.beta2, 'float64');
    const results = [true, false].map((compact) => {
      const [xs, m, v, copy] = [x.slice(), new Float64Array(x.length), new Float64Array(x.length), new Float64Array(rows.length * cols)];
      adamRows(xs, compact ? gathered : full, m, v, rows, cols, compact, copy, k);
      return { xs, copy };
    });
    const ref = referenceAdam(Array.from(x), [Array.from(full)], h.learningRate, h.beta1, h.beta2, h.epsilon);
    for (const { xs, copy } of results) {
      for (let r = 0; r < 7; r++) {
        for (let c = 0; c < cols; c++) {
          const i = r * cols + c;
          if (rows.includes(r)) expect(Math.abs(xs[i] - ref.x[i])).toBeLessThan(1e-12);
          else expect(xs[i]).toBe(x[i]);
        }
      }
      rows.forEach((r, j) => expect(Array.from(copy.subarray(j * cols, (j + 1) * cols))).toEqual(Array.from(xs.subarray(r * cols, (r + 1) * cols))));
    }
  });

  it("float32: betaPower is tf.train.adam's accumulated β1ᵗ, β2ᵗ (float32 products)", async () => {
    await tf.setBackend('cpu');
    const w = tf.variable(tf.ones([2]), true, 'adam_math_w');
    const adam = tf.train.adam(0.1, 0.8, 0.95);
    for (let t = 1; t <= 7; t++) {
      const g = tf.ones([2]);
      adam.applyGradients([{ name: w.name, tensor: g }]);
      g.dispose();
      // after t steps tf.train.adam holds β^(t+1), the power of the next step
      const acc = adam as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
      expect(betaPower(0.8, t + 1)).toBe(acc.accBeta1.dataSync()[0]);
      expect(betaPower(0.95, t + 1)).toBe(acc.accBeta2.dataSync()[0]);
    }
    adam.dispose();
    w.dispose();
  });
});
