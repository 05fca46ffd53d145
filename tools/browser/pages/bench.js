/* global window, location, document */
// The browser benchmark (?backend=webgl&classes=10000,100000&batches=1,256): LSHSoftmax topK(x, 10)
// against the dense layer it replaces (topk of x·Wᵀ + b as tfjs ops: on webgl and webgpu a GPU matMul
// and topk) on the same weights, per class count and batch size. Medians of repeated calls, each ending
// in a read of the ids (which waits for the GPU); the first call (hashing the classes, reading the
// weights once) is timed apart. Results go to window.__hashlayers for tools/browser/bench.mjs.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import * as L from '@hashlayers/lsh-softmax';
import { medianCallMs, on, webgpuUnusable } from './page_utils.js';

const params = new URLSearchParams(location.search);
const backend = params.get('backend') ?? 'webgl';
const classCounts = (params.get('classes') ?? '10000,100000').split(',').map(Number);
const batches = (params.get('batches') ?? '1,256').split(',').map(Number);
const DIM = 64;
const K = 10;
// the LSHSoftmax configuration benchmarked: 16 WTA tables of 4 codes of window 8 (12 bits a table)
const LAYER = { tables: 16, window: 8, band: 4, maxCandidates: 1024, headClasses: 0 };
const state = { backend, done: false, rows: [], layer: { dim: DIM, k: K, ...LAYER } };
window.__hashlayers = state;
setWasmPaths(new URL('wasm/', location.href).href);
const log = (line) => {
  document.getElementById('out').textContent += `${line}\n`;
  console.log(line);
};
const yieldToPage = () => new Promise((resolve) => setTimeout(resolve, 0));

async function benchClasses(units) {
  const layer = L.lshSoftmax({ units, seed: 1, ...LAYER, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 1, seed: 2 }) });
  layer.apply(tf.input({ shape: [DIM] }));
  const [kernel, bias] = layer.getWeights(); // the layer's own [units, DIM] kernel and [units] bias (not copies)
  const dense = (x) => tf.tidy(() => tf.topk(tf.add(tf.matMul(x, kernel, false, true), bias), K).indices);
  for (const batch of batches) {
    await yieldToPage();
    // queries near class rows (a row plus noise of 0.5 its scale), so the true class is the dense top 1
    const ids = tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => (i * 7919) % units), 'int32');
    const x = tf.tidy(() => tf.add(tf.gather(kernel, ids), tf.randomNormal([batch, DIM], 0, 0.5, 'float32', 3)));
    const t1 = performance.now();
    const first = layer.topK(x, K);
    first.indices.dataSync();
    const firstMs = performance.now() - t1;
    tf.dispose([first.indices, first.values]);
    const d = medianCallMs(() => {
      const i = dense(x);
      i.dataSync();
      i.dispose();
    });
    const h = medianCallMs(() => {
      const r = layer.topK(x, K);
      r.indices.dataSync();
      tf.dispose([r.indices, r.values]);
    });
    const di = dense(x);
    const r = layer.topK(x, K);
    const dv = di.dataSync();
    const hv = r.indices.dataSync();
    let agree = 0;
    for (let i = 0; i < batch; i++) if (dv[i * K] === hv[i * K]) agree++;
    const candidates = r.candidatesPerQuery.reduce((a, b) => a + b, 0) / batch;
    tf.dispose([di, r.indices, r.values, ids, x]);
    const row = { backend, classes: units, batch, denseMs: d.ms, hashedMs: h.ms, speedup: d.ms / h.ms, top1Agreement: agree / batch, candidates, firstCallMs: firstMs, calls: [d.calls, h.calls] };
    state.rows.push(row);
    log(JSON.stringify(row));
  }
  layer.dispose(); // kernel and bias are the layer's variables: disposed with it
}

async function main() {
  if (backend === 'webgpu') {
    const why = await webgpuUnusable();
    if (why != null) {
      state.skipped = `webgpu unusable here: ${why}`;
      return;
    }
  }
  await on(backend, async () => {
    for (const c of classCounts) await benchClasses(c);
  });
}

main()
  .catch((e) => (state.error = String(e?.stack ?? e)))
  .finally(() => (state.done = true));
