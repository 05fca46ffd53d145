/* global window, document, location */
// The demo page: type a context, see the next-word candidates of the hashed model (LSHSoftmax) and of
// its dense twin, with their latency and agreement, on the backend you choose. The models and
// vocab.json come from tools/demo-web/train.mjs (Node), served beside the page under models/.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import * as L from '@hashlayers/lsh-softmax';
import { medianCallMs, on, webgpuUnusable } from '../browser/pages/page_utils.js';

setWasmPaths(new URL('wasm/', location.href).href);
const $ = (id) => document.getElementById(id);
const K = 10;
const state = { ready: false, backend: null, error: null };
window.__hashlayers = state;
let meta = null;
let models = null;
let heldOut = null;

function tokenize(text) {
  const tokens = text.toLowerCase().match(new RegExp(meta.tokenPattern, 'g')) ?? [];
  const ids = tokens.slice(-meta.context).map((t) => (index.has(t) ? index.get(t) + 1 : meta.unknownId));
  while (ids.length < meta.context) ids.unshift(meta.unknownId);
  return { tokens, ids };
}
let index = new Map();

function topK(model, x) {
  const r = L.predictTopK(model, x, K);
  const out = { ids: Array.from(r.indices.dataSync()), p: Array.from(r.values.dataSync()), cand: r.candidatesPerQuery[0] };
  tf.dispose([r.indices, r.values]);
  return out;
}

async function loadModels(backend) {
  $('status').textContent = `loading the models on ${backend}…`;
  if (models != null) Object.values(models).forEach((m) => m.dispose());
  models = await on(backend, async () => ({
    hashed: await tf.loadLayersModel('models/hashed/model.json'),
    dense: await tf.loadLayersModel('models/dense/model.json'),
  }));
  state.backend = backend;
}

function agreementHeldOut() {
  const x = tf.tensor2d(heldOut, [heldOut.length / meta.context, meta.context], 'int32');
  const a = L.predictTopK(models.hashed, x, 1);
  const b = L.predictTopK(models.dense, x, 1);
  const av = a.indices.dataSync();
  const bv = b.indices.dataSync();
  let same = 0;
  for (let i = 0; i < av.length; i++) if (av[i] === bv[i]) same++;
  tf.dispose([x, a.indices, a.values, b.indices, b.values]);
  return same / av.length;
}

function predict() {
  const { tokens, ids } = tokenize($('context').value);
  const x = tf.tensor2d(ids, [1, meta.context], 'int32');
  const h = topK(models.hashed, x);
  const d = topK(models.dense, x);
  const hashedMs = medianCallMs(() => topK(models.hashed, x), { minSamples: 7, maxSamples: 7, maxN: 256 }).ms;
  const denseMs = medianCallMs(() => topK(models.dense, x), { minSamples: 7, maxSamples: 7, maxN: 256 }).ms;
  x.dispose();
  const shown = ids.map((id) => (id === meta.unknownId ? '∅' : meta.words[id - 1]));
  $('status').textContent = `backend ${state.backend} · context: ${shown.join(' ')}${tokens.length === 0 ? ' (type some words)' : ''}`;
  $('hashedMs').textContent = `${hashedMs.toFixed(2)} ms`;
  $('denseMs').textContent = `${denseMs.toFixed(2)} ms`;
  $('agree').textContent = `${h.ids[0] === d.ids[0] ? 'yes' : 'no'} / ${(100 * state.heldOutAgreement).toFixed(0)}%`;
  $('cand').textContent = `${h.cand} + ${meta.headClasses} of ${meta.words.length}`;
  const dset = new Set(d.ids);
  $('rows').innerHTML = h.ids
    .map((id, i) => `<tr><td>${i + 1}</td><td class="${dset.has(id) ? 'same' : ''}">${meta.words[id]}</td><td class="num">${h.p[i].toFixed(3)}</td><td>${meta.words[d.ids[i]]}</td><td class="num">${d.p[i].toFixed(3)}</td></tr>`)
    .join('');
  Object.assign(state, { hashedMs, denseMs, hashed: h.ids.map((i) => meta.words[i]), dense: d.ids.map((i) => meta.words[i]) });
  perBackend.set(state.backend, { hashedMs, denseMs, agreement: state.heldOutAgreement });
  $('perBackend').innerHTML = [...perBackend]
    .map(([b, r]) => `<tr><td>${b}</td><td class="num">${r.hashedMs.toFixed(2)}</td><td class="num">${r.denseMs.toFixed(2)}</td><td class="num">${(r.denseMs / r.hashedMs).toFixed(1)}x</td><td class="num">${(100 * r.agreement).toFixed(0)}%</td></tr>`)
    .join('');
}
const perBackend = new Map();

/** Loads the models on every usable backend in turn, measures, and comes back to the chosen one. */
async function measureAll(backends) {
  const chosen = $('backend').value;
  state.measuredAll = false;
  for (const b of backends) if (b !== chosen) await switchTo(b);
  await switchTo(chosen);
  $('backend').value = chosen;
  state.measuredAll = true;
}

async function switchTo(backend) {
  try {
    await loadModels(backend);
    state.heldOutAgreement = agreementHeldOut();
    predict();
    state.error = null;
  } catch (e) {
    state.error = String(e?.stack ?? e);
    $('status').textContent = `error on ${backend}: ${e?.message ?? e}`;
  }
}

async function main() {
  meta = await (await fetch('models/vocab.json')).json();
  index = new Map(meta.words.map((w, i) => [w, i]));
  heldOut = Int32Array.from(meta.heldOutContexts);
  $('foot').innerHTML = `Vocabulary ${meta.words.length} words, ${meta.context} previous words. Held-out P@1 (speeches from 2000 on, measured in Node): hashed ${meta.models.hashed.heldOutP1.toFixed(3)}, dense ${meta.models.dense.heldOutP1.toFixed(3)}. The hashed model scores its retrieved classes plus the ${meta.headClasses} most frequent; green: also in the dense top ${K}. Built by <code>npm run demo:web</code>.`;
  const backends = ['webgl', 'webgpu', 'wasm', 'cpu'];
  const why = await webgpuUnusable();
  for (const b of backends) {
    const o = document.createElement('option');
    o.value = b;
    o.textContent = b === 'webgpu' && why != null ? 'webgpu (unusable here)' : b;
    o.disabled = b === 'webgpu' && why != null;
    if (o.disabled) o.title = why;
    $('backend').append(o);
  }
  const usable = backends.filter((b) => b !== 'webgpu' || why == null);
  if (why != null) $('foot').append(` webgpu: ${why}.`);
  $('all').addEventListener('click', () => measureAll(usable));
  state.measureAll = () => measureAll(usable);
  const wanted = new URLSearchParams(location.search).get('backend') ?? 'webgl';
  $('backend').value = wanted;
  $('backend').addEventListener('change', () => switchTo($('backend').value));
  let timer = null;
  $('context').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => models != null && predict(), 150);
  });
  const ctx = new URLSearchParams(location.search).get('context');
  if (ctx != null) $('context').value = ctx;
  await switchTo(wanted);
  state.ready = true;
}

main().catch((e) => {
  state.error = String(e?.stack ?? e);
  $('status').textContent = `error: ${e?.message ?? e}`;
});
