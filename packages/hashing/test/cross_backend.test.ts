import * as tf from '@tensorflow/tfjs-core';
import { testBackends } from '../../../tools/testing/backends';
import { DWTAHash, HashIndex, LearnedHash, SimHash, WTAHash, gatherDot } from '../src';
import { SeededRandom } from '@hashlayers/core/internal';
import { randn } from './helpers';

/** The same seed and inputs give the same codes, candidates and (within float tolerance) scores on every backend. */
describe('cross-backend agreement', () => {
  const backends = testBackends();
  const rng = new SeededRandom(77);
  const dim = 48;
  const xv = randn(rng, 64 * dim);
  const iv = randn(rng, 500 * dim);
  const cv = Int32Array.from({ length: 64 * 30 }, () => rng.int(501) - 1);

  async function onEach<T>(fn: () => T): Promise<Record<string, T>> {
    const out: Record<string, T> = {};
    for (const b of backends) {
      await tf.setBackend(b);
      // the closure keeps tidy from walking the (plain) result
      tf.tidy(() => {
        out[b] = fn();
      });
    }
    return out;
  }

  it(`runs on ${backends.join(', ')}`, () => {
    expect(backends).toEqual(expect.arrayContaining(['cpu', 'wasm']));
  });

  it.each([
    ['SimHash', () => new SimHash({ inputDim: dim, tables: 8, bits: 12, seed: 3 })],
    ['SimHash sparse', () => new SimHash({ inputDim: dim, tables: 8, bits: 12, seed: 3, projection: 'sparse' })],
    ['WTAHash', () => new WTAHash({ inputDim: dim, tables: 8, window: 8, band: 4, seed: 3 })],
    ['DWTAHash', () => new DWTAHash({ inputDim: dim, tables: 8, window: 8, band: 4, seed: 3 })],
    ['LearnedHash', () => new LearnedHash({ inputDim: dim, tables: 8, bits: 12, seed: 3 })],
    [
      'LearnedHash asymmetric',
      () => {
        const h = new LearnedHash({ inputDim: dim, tables: 8, bits: 12, seed: 3, asymmetric: true });
        h.setState({ query_projection: tf.tensor2d(randn(new SeededRandom(5), dim * 96), [dim, 96]), label_projection: h.projection });
        return h;
      },
    ],
  ])('%s codes (items and queries) are identical', async (_, make) => {
    const res = await onEach(() => {
      const h = make();
      const x = tf.tensor2d(xv, [64, dim]);
      const codes = [...Array.from(h.hash(x).dataSync()), ...Array.from(h.hashQueries(x).dataSync())];
      h.dispose();
      return codes;
    });
    for (const b of backends) expect(res[b]).toEqual(res.cpu);
  });

  it('HashIndex candidates are identical, gatherDot scores agree to 1e-5', async () => {
    const res = await onEach(() => {
      const index = new HashIndex(new SimHash({ inputDim: dim + 1, tables: 6, bits: 6, seed: 1 }), { transform: 'mips' });
      const items = tf.tensor2d(iv, [500, dim]);
      const x = tf.tensor2d(xv, [64, dim]);
      index.build(items);
      const r = index.retrieve(x, { maxCandidates: 50 });
      const scores = Array.from(gatherDot(x, items, tf.tensor2d(cv, [64, 30], 'int32')).dataSync());
      index.family.dispose();
      return { ids: Array.from(r.ids), scores };
    });
    for (const b of backends) {
      expect(res[b].ids).toEqual(res.cpu.ids);
      res[b].scores.forEach((s, k) => expect(Math.abs(s - res.cpu.scores[k])).toBeLessThan(1e-5 * Math.max(1, Math.abs(s))));
    }
  });
});
