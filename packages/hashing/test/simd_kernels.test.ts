import * as tf from '@tensorflow/tfjs-core';
import { testBackends } from '../../../tools/testing/backends';
import { gatherDot } from '../src';
import { setWasmSimdKernels, simdKernels } from '@hashlayers/core/internal';

/**
 * The wasm backend runs the candidate kernels in WebAssembly SIMD on its own
 * heap. Reference: float64 sums computed here, and the JavaScript loops
 * (setWasmSimdKernels(false)); dims that are not multiples of 16 or 4 reach
 * every tail loop, padding ids (-1) every skip.
 */
const maybe = testBackends().includes('wasm') ? describe : describe.skip;

maybe('wasm SIMD candidate kernels', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(() => setWasmSimdKernels(true));

  it('binds to the wasm backend heap (so the comparisons below exercise the SIMD path)', () => {
    const memory = (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory;
    expect(memory).toBeInstanceOf(WebAssembly.Memory);
    expect(simdKernels(memory)).not.toBeNull();
    setWasmSimdKernels(false);
    expect(simdKernels(memory)).toBeNull();
    setWasmSimdKernels(true);
  });

  for (const dim of [1, 3, 4, 16, 37, 128]) {
    it(`gatherDot and its gradients match a float64 reference and the JS loops (dim ${dim})`, () => {
      const n = 50;
      const batch = 7;
      const width = 9;
      const items = tf.randomNormal([n, dim], 0, 1, 'float32', dim) as tf.Tensor2D;
      const q = tf.randomNormal([batch, dim], 0, 1, 'float32', dim + 1) as tf.Tensor2D;
      const ids = Int32Array.from({ length: batch * width }, (_, p) => (p % 5 === 4 ? -1 : (p * 13 + dim) % n));
      const cand = tf.tensor2d(ids, [batch, width], 'int32');
      const g = tf.randomNormal([batch, width], 0, 1, 'float32', dim + 2);
      const run = () => {
        const z = gatherDot(q, items, cand);
        const [gq, gi] = tf.grads((qq: tf.Tensor, ii: tf.Tensor) => tf.sum(tf.mul(gatherDot(qq as tf.Tensor2D, ii as tf.Tensor2D, cand), g)))([q, items]);
        const out = [z.dataSync().slice(), gq.dataSync().slice(), gi.dataSync().slice()];
        tf.dispose([z, gq, gi]);
        return out;
      };
      setWasmSimdKernels(true);
      const simd = run();
      setWasmSimdKernels(false);
      const js = run();
      setWasmSimdKernels(true);
      const qv = q.dataSync();
      const iv = items.dataSync();
      const gv = g.dataSync();
      const ref = new Float64Array(batch * width);
      const refGq = new Float64Array(batch * dim);
      const refGi = new Float64Array(n * dim);
      for (let i = 0; i < batch; i++) {
        for (let j = 0; j < width; j++) {
          const c = ids[i * width + j];
          if (c < 0) continue;
          let s = 0;
          for (let k = 0; k < dim; k++) {
            s += qv[i * dim + k] * iv[c * dim + k];
            refGq[i * dim + k] += gv[i * width + j] * iv[c * dim + k];
            refGi[c * dim + k] += gv[i * width + j] * qv[i * dim + k];
          }
          ref[i * width + j] = s;
        }
      }
      [ref, refGq, refGi].forEach((r, t) => {
        for (let p = 0; p < r.length; p++) {
          expect(Math.abs(simd[t][p] - r[p])).toBeLessThan(1e-4 * (1 + Math.abs(r[p])));
          expect(Math.abs(simd[t][p] - js[t][p])).toBeLessThan(1e-4 * (1 + Math.abs(r[p])));
        }
      });
      for (let p = 0; p < ids.length; p++) if (ids[p] < 0) expect(simd[0][p]).toBe(0);
      tf.dispose([items, q, cand, g]);
    });
  }
});
