// A/B of the wasm backend's SIMD candidate kernels against the JavaScript loops, in one process:
// LSHSoftmax inference (top-5 over retrieved candidates) and one training step (loss, gradients,
// Adam) at 100k classes, d = 128, batch 256, on the synthetic problem of lsh-softmax-synthetic.
import { createRequire } from 'node:module';
import { Progress, readBack, time, tf, useBackend, writeResults } from './harness.mjs';

const require = createRequire(import.meta.url);
const { setWasmSimdKernels } = require('@hashlayers/core');
const { layerWith, syntheticWideLayer } = require('../data/wide_layer.cjs');

async function simdAB({ quick }) {
  await useBackend('wasm');
  const d = 128;
  const units = quick ? 20000 : 100000;
  const nq = 256;
  const { w, b, h, labels } = syntheticWideLayer(units, { d, queries: nq });
  const wt = tf.transpose(w);
  const opts = { warmup: 2, reps: quick ? 3 : 9, minMs: quick ? 0 : 500 };
  const dense = time(() => readBack(() => tf.topk(tf.add(tf.matMul(h, wt), b), 5).indices), opts).ms / nq;
  const rows = [{ what: 'dense topk(matMul), ms/query', js: dense, simd: dense, ratio: 1, vsDense: 1 }];
  const settings = [{ tables: 16, window: 8, band: 3 }, { tables: 32, window: 8, band: 4 }];
  const prog = new Progress('wasm-simd', settings.length + 1);
  for (const s of settings) {
    const layer = layerWith(w, b, { ...s, maxCandidates: 2048 });
    const r = {};
    for (const on of [false, true]) {
      setWasmSimdKernels(on);
      r[on] = time(() => { const t = layer.topK(h, 5); t.indices.dataSync(); tf.dispose([t.indices, t.values]); }, opts).ms / nq;
    }
    const cand = layer.topK(h, 5);
    const mean = cand.candidatesPerQuery.reduce((a, c) => a + c, 0) / nq;
    tf.dispose([cand.indices, cand.values]);
    rows.push({ what: `LSHSoftmax topK L=${s.tables} band=${s.band} (${mean.toFixed(0)} cand/query), ms/query`, js: r.false, simd: r.true, ratio: r.false / r.true, vsDense: dense / r.true });
    prog.step(`inference L=${s.tables}: JS ${r.false.toFixed(3)} → SIMD ${r.true.toFixed(3)} ms/query`);
    layer.dispose();
  }
  const layer = layerWith(w, b, { tables: 16, window: 8, band: 3, maxCandidates: 256, uniformSamples: 64 });
  const y = tf.tensor1d(labels, 'int32');
  const r = {};
  for (const on of [false, true]) {
    setWasmSimdKernels(on);
    const opt = tf.train.adam(1e-3);
    const vars = [layer.kernel.read(), layer.bias.read()];
    r[on] = time(() => { const c = opt.minimize(() => tf.mean(layer.call([h, y], {})), true, vars); c.dataSync(); c.dispose(); }, { warmup: 1, reps: quick ? 2 : 5, minMs: 0 }).ms;
    opt.dispose();
  }
  setWasmSimdKernels(true);
  rows.push({ what: 'LSHSoftmax training step (batch 256, Adam), ms', js: r.false, simd: r.true, ratio: r.false / r.true });
  prog.step(`training step: JS ${r.false.toFixed(1)} → SIMD ${r.true.toFixed(1)} ms`);
  tf.dispose([w, b, h, wt, y]);
  layer.dispose();
  await writeResults('wasm-simd', {
    title: `wasm backend: SIMD candidate kernels against the JavaScript loops (${units} classes, d = ${d}, batch ${nq})`,
    command: `npm run bench -- wasm-simd${quick ? ' --quick' : ''}`,
    notes: ['Same process, same layer and queries; setWasmSimdKernels(false) switches the kernels back to the JavaScript loops. Dense topk(matMul) on the same backend for scale.'],
    columns: [
      { key: 'what', label: 'measurement' }, { key: 'js', label: 'JS loops' }, { key: 'simd', label: 'wasm SIMD' },
      { key: 'ratio', label: 'SIMD speed-up' }, { key: 'vsDense', label: 'SIMD vs dense' },
    ],
    rows,
  });
}

export const BENCHMARKS = { 'wasm-simd': simdAB };
