/* global window, location */
// The browser checks, run in a page on one backend (?backend=cpu|wasm|webgl|webgpu): every layer's
// Node-saved model loaded over http answers what Node answered (ids exactly, floats within tolerance),
// its indexeddb:// save → load round trip, in-page fitting on this backend against the same fitting on
// cpu, and HashIndex search against cpu. Results go to window.__hashlayers for tools/browser/run.mjs.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { fusedAdam } from '@hashlayers/core';
import { heapSimdMemory } from '@hashlayers/core/internal';
import * as H from '@hashlayers/hashing';
import * as L from '@hashlayers/lsh-softmax';
import * as S from '@hashlayers/lss';
import * as D from '@hashlayers/lut-dense';
import * as R from '@hashlayers/representer-sketch';
import { on, webgpuUnusable } from './page_utils.js';
import { DIM, LAYERS, UNITS, answers, planted, queries, values } from '../scenarios.mjs';

const backend = new URLSearchParams(location.search).get('backend') ?? 'webgl';
const state = { backend, done: false, results: [], env: {} };
window.__hashlayers = state;
setWasmPaths(new URL('wasm/', location.href).href);

function sameInts(what, got, want) {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  const i = got.findIndex((v, j) => v !== want[j]);
  if (i >= 0) throw new Error(`${what}: ${got[i]} at index ${i}, expected ${want[i]}`);
}

/** |got − want| ≤ tol · max(1, |want|) everywhere; returns the largest difference. */
function close(what, got, want, tol) {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    if (got[i] === want[i]) continue; // also the −Infinity of padding
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= tol * Math.max(1, Math.abs(want[i])))) throw new Error(`${what}: ${got[i]} at index ${i}, expected ${want[i]} (tolerance ${tol})`);
    worst = Math.max(worst, d);
  }
  return worst;
}

function sameAnswers(what, got, want, tol) {
  const diff = close(`${what} predict`, got.predict, want.predict, tol);
  if (want.topKIds != null) {
    sameInts(`${what} topK ids`, got.topKIds, want.topKIds);
    sameInts(`${what} candidates per query`, got.candidates, want.candidates);
    close(`${what} topK values`, got.topKValues, want.topKValues, tol);
  }
  return diff;
}

/** Runs fn on this backend with a leak check: tf.memory().numTensors unchanged after it. */
async function noLeak(what, fn) {
  const before = tf.memory().numTensors;
  const out = await fn();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${what}: ${after - before} tensors leaked`);
  return out;
}

async function check(name, fn) {
  const t0 = performance.now();
  try {
    const detail = await fn();
    state.results.push({ name, ok: true, ms: Math.round(performance.now() - t0), detail: detail ?? '' });
  } catch (e) {
    state.results.push({ name, ok: false, ms: Math.round(performance.now() - t0), detail: String(e?.stack ?? e) });
  }
}

// Float tolerance against cpu: GPU float32 arithmetic (and tfjs' webgl matMul) sums in another order.
const TOL = 1e-4;

/**
 * Fit losses against cpu's: the first epoch within 1%, later ones within 5%. GPU float32 (exp, log,
 * sqrt in shaders; sums in another order) moves weights by ~1e-6, and Adam turns a gradient that is
 * zero on cpu and 1e-9 on the GPU into a full step; rehashing then retrieves slightly different
 * candidates. A wrong gradient or kernel moves them by far more (or gives NaN).
 */
const FIT_TOL = [1e-2, 5e-2];

/** Each layer trained in the page with model.fit (and LSS's hash trainer): the losses it reports. */
const FITS = {
  async lshSoftmax() {
    const { losses, train } = await trainHead(
      L.lshSoftmax({ units: UNITS, seed: 7, tables: 8, window: 4, band: 2, maxCandidates: 24, uniformSamples: 8 }),
      (layer) => [new L.RehashCallback({ layer, everyBatches: 2, minChangedFraction: 0 })],
    );
    train.dispose();
    return losses;
  },
  async 'lshSoftmax, lazy FusedAdam'() {
    const layer = L.lshSoftmax({ units: UNITS, seed: 7, tables: 8, window: 4, band: 2, maxCandidates: 24, uniformSamples: 8 });
    const optimizer = fusedAdam(0.02, 0.9, 0.999, undefined, { lazy: true, rowSources: [layer] });
    const { losses, train } = await trainHead(layer, () => [], optimizer); // disposes the optimizer
    train.dispose();
    return losses;
  },
  async lss() {
    const layer = S.lss({ units: UNITS, tables: 6, bits: 5, seed: 2, maxCandidates: 24, uniformSamples: 8 });
    const { losses, train } = await trainHead(layer, () => []);
    // the hash trainer learns on the features that enter the layer (the training model's hidden layer)
    const { x, y } = planted(tf, 128, 13);
    const h = L.featureModel(train).predict(x);
    const trainer = new S.LSSHashTrainer(layer, { seed: 3 });
    const report = trainer.fit(h, y, { epochs: 2 });
    trainer.dispose();
    tf.dispose([x, y, h]);
    train.dispose();
    return [...losses, ...report.losses];
  },
  async lutDense() {
    const layer = D.lutDense({ units: 4, codebooks: 4, seed: 2 });
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [DIM] }), layer] });
    const x = tf.tensor2d(values(256 * DIM, 41), [256, DIM]);
    const w = tf.tensor2d(values(DIM * 4, 42, -0.3, 0.3), [DIM, 4]);
    const y = tf.matMul(x, w);
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
    const h = await model.fit(x, y, { epochs: 4, batchSize: 64, verbose: 0, shuffle: false });
    tf.dispose([x, w, y]);
    model.optimizer.dispose();
    model.dispose();
    return h.history.loss;
  },
  async representerSketch() {
    const sketch = R.representerSketch({ outputs: 3, rows: 8, bits: 3, seed: 5, aggregation: 'weighted', projection: 'sparse' });
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [DIM] }), sketch] });
    const x = tf.tensor2d(values(64 * DIM, 31), [64, DIM]);
    const y = tf.tensor2d(values(64 * 3, 32), [64, 3]);
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
    const h = await model.fit(x, y, { epochs: 4, batchSize: 16, verbose: 0, shuffle: false });
    tf.dispose([x, y]);
    model.optimizer.dispose();
    model.dispose();
    return h.history.loss;
  },
};

/** input → dense tanh → head, trained with trainingModel + lshSoftmaxLoss on planted data. */
async function trainHead(layer, callbacks, optimizer = tf.train.adam(0.02)) {
  const input = tf.input({ shape: [DIM] });
  const hidden = tf.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(input);
  const { train } = L.trainingModel(input, hidden, layer);
  train.compile({ optimizer, loss: L.lshSoftmaxLoss });
  const { x, y } = planted(tf, 256, 3);
  const zeros = tf.zeros([256, 1]);
  const h = await train.fit([x, y], zeros, { epochs: 3, batchSize: 64, verbose: 0, shuffle: false, callbacks: callbacks(layer) });
  tf.dispose([x, y, zeros]);
  train.optimizer.dispose();
  return { losses: h.history.loss, train };
}

async function hashIndexSearch(bits) {
  const items = tf.tensor2d(values(UNITS * DIM, 1), [UNITS, DIM]);
  const family = new H.SimHash({ inputDim: DIM, tables: 8, bits, seed: 1 });
  const index = new H.HashIndex(family);
  index.build(items);
  // noisy queries, and 8 items themselves (which find at least themselves at any code width)
  const noisy = queries(tf);
  const q = tf.tidy(() => tf.concat([noisy, tf.slice(items, [0, 0], [8, DIM])]));
  noisy.dispose();
  const { ids, scores } = index.search(q, 5);
  const out = { ids: Array.from(ids.dataSync()), scores: Array.from(scores.dataSync()) };
  tf.dispose([items, q, ids, scores]);
  index.dispose();
  family.dispose();
  return out;
}

async function main() {
  state.env.crossOriginIsolated = window.crossOriginIsolated === true;
  if (backend === 'webgpu') {
    const why = await webgpuUnusable();
    if (why != null) {
      state.skipped = `webgpu unusable here: ${why}`;
      return;
    }
  }
  await check(`backend ${backend}`, () =>
    on(backend, () => {
      if (tf.getBackend() !== backend) throw new Error(`tf.getBackend() is '${tf.getBackend()}'`);
      if (backend === 'wasm') {
        // Chromium has WebAssembly SIMD: the kernels must run on the heap, a shared one (threaded build)
        // in a cross-origin-isolated page
        const heap = heapSimdMemory(tf.backend());
        state.env.simdOnHeap = heap != null;
        state.env.sharedHeap = heap != null && typeof SharedArrayBuffer !== 'undefined' && heap.memory.buffer instanceof SharedArrayBuffer;
        if (heap == null) throw new Error('the SIMD kernels did not attach to the wasm heap');
        if (state.env.sharedHeap !== state.env.crossOriginIsolated) {
          throw new Error(`heap shared: ${state.env.sharedHeap}, page cross-origin isolated: ${state.env.crossOriginIsolated}`);
        }
      }
      if (backend === 'webgl') state.env.webglFloat32 = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
      return backend === 'wasm' ? `SIMD kernels on the wasm heap (shared: ${state.env.sharedHeap})` : '';
    }),
  );
  const reference = await (await fetch('models/reference.json')).json();
  for (const [name, spec] of Object.entries(LAYERS)) {
    let model = null;
    await check(`${name}: Node-saved model loaded over http, predict${spec.topK ? '/topK' : ''} = Node's`, () =>
      on(backend, async () => {
        model = await tf.loadLayersModel(`models/${name}/model.json`);
        const got = await noLeak(name, () => answers(tf, model, spec.topK, L));
        return `max |diff| ${sameAnswers(name, got, reference[name], TOL).toExponential(1)}`;
      }),
    );
    await check(`${name}: indexeddb:// save → load answers the same`, () =>
      on(backend, async () => {
        if (model == null) throw new Error('no model (the load check failed)');
        const url = `indexeddb://hashlayers-${backend}-${name}`;
        const before = answers(tf, model, spec.topK, L);
        await model.save(url);
        const loaded = await tf.loadLayersModel(url);
        const after = answers(tf, loaded, spec.topK, L);
        await tf.io.removeModel(url);
        loaded.dispose();
        sameAnswers(`${name} after indexeddb`, after, before, 0);
      }),
    );
    model?.dispose();
  }
  for (const name of Object.keys(FITS)) {
    await check(`${name}: fit in the page, losses = cpu's`, async () => {
      const want = await on('cpu', () => FITS[name]());
      const got = await on(backend, () => FITS[name]());
      if (!got.every(Number.isFinite)) throw new Error(`losses ${got}`);
      got.forEach((v, i) => {
        const tol = FIT_TOL[i === 0 ? 0 : 1];
        if (!(Math.abs(v - want[i]) <= tol * Math.abs(want[i]))) throw new Error(`${name} loss ${i}: ${v}, cpu ${want[i]} (relative tolerance ${tol})`);
      });
      if (!(got[got.length - 1] < got[0])) throw new Error(`losses did not decrease: ${got}`);
      return `losses ${got.map((v) => v.toFixed(4)).join(' ')}`;
    });
  }
  // 28 bits: codes above 2^24, which webgl would round if they passed through a float32 texture
  for (const bits of [6, 28]) {
    await check(`HashIndex search (SimHash, ${bits} bits) = cpu`, async () => {
      const want = await on('cpu', () => hashIndexSearch(bits));
      const got = await on(backend, () => noLeak('HashIndex', () => hashIndexSearch(bits)));
      sameInts('ids', got.ids, want.ids);
      close('scores', got.scores, want.scores, TOL);
      return `${got.ids.filter((i) => i >= 0).length} ids found`;
    });
  }
}

main()
  .catch((e) => state.results.push({ name: 'page', ok: false, detail: String(e?.stack ?? e) }))
  .finally(() => {
    state.done = true;
    console.log(`hashlayers checks done on ${backend}`);
  });
