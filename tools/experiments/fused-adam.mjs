// One optimizer update of an LSHSoftmax-sized head, kernel [100000, 128] + bias [100000]:
// tf.train.adam against FusedAdamOptimizer (dense, and lazy with 30k / 45k / 60k registered rows),
// with the SIMD kernels (default) and with the JavaScript loops (setWasmSimdKernels(false)).
//   npm run build -w @hashlayers/lsh-softmax   (the script loads the built package)
//   node tools/experiments/fused-adam.mjs [wasm,tensorflow] [units]
// Each timed call ends by reading row 0 of each variable through a tfjs op (gather), so the
// new values are materialised on the backend (tfjs-node uploads assigned values lazily).
// Not tf.slice: the wasm backend's Slice kernel copies its whole input out of the heap
// (readSync), ~50 ms for the [100000, 128] kernel.
import { createRequire } from 'node:module';
import { median, readBack, tf, useBackend, benchBackends } from '../bench/harness.mjs';

const require = createRequire(import.meta.url);
const L = require('@hashlayers/lsh-softmax');
const { setWasmSimdKernels } = require('@hashlayers/hashing');
const asked = (process.argv[2] ?? 'wasm,tensorflow').split(',');
const units = Number(process.argv[3] ?? 100000);
const d = 128;
const reps = 7;
const warmup = 2;

function timeMedian(fn) {
  for (let i = 0; i < warmup; i++) fn();
  const samples = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return { ms: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

/** k distinct row ids from a seeded Fisher–Yates shuffle. */
function randomRows(k, seed) {
  const ids = Int32Array.from({ length: units }, (_, i) => i);
  let s = seed >>> 0;
  for (let i = units - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  return ids.slice(0, k);
}

const rows30 = randomRows(30000, 1);
const rows45 = randomRows(45000, 5);
const rows60 = randomRows(60000, 2);
const results = [];
const available = benchBackends();
for (const backend of asked) {
  if (!available.includes(backend)) {
    console.log(`${backend}: unavailable, skipped`);
    continue;
  }
  await useBackend(backend);
  const gW = tf.randomNormal([units, d], 0, 1e-2, 'float32', 3);
  const gB = tf.randomNormal([units], 0, 1e-2, 'float32', 4);
  const row0 = tf.tensor1d([0], 'int32');
  const run = (label, makeOpt, rows, simd = true) => {
    const previous = setWasmSimdKernels(simd);
    const W = tf.tidy(() => tf.variable(tf.randomNormal([units, d], 0, 0.1, 'float32', 1), true, `W_${label}_${backend}`));
    const B = tf.tidy(() => tf.variable(tf.zeros([units]), true, `B_${label}_${backend}`));
    const opt = makeOpt();
    const grads = { [W.name]: gW, [B.name]: gB };
    const step = () => {
      if (rows != null) {
        L.setSparseRows(W, rows);
        L.setSparseRows(B, rows);
      }
      opt.applyGradients(grads);
      readBack(() => tf.add(tf.gather(W, row0), tf.gather(B, row0)));
    };
    const t = timeMedian(step);
    results.push({ backend, label, ...t });
    console.log(`${backend.padEnd(10)} ${label.padEnd(26)} median ${t.ms.toFixed(1)} ms (min ${t.min.toFixed(1)}, max ${t.max.toFixed(1)})`);
    opt.dispose();
    tf.dispose([W, B]);
    setWasmSimdKernels(previous);
  };
  run('tf.train.adam', () => tf.train.adam(1e-3));
  const lazy = () => new L.FusedAdamOptimizer(1e-3, 0.9, 0.999, null, { lazy: true });
  for (const simd of [true, false]) {
    const tag = simd ? 'SIMD' : 'JS';
    run(`FusedAdam dense ${tag}`, () => new L.FusedAdamOptimizer(1e-3), null, simd);
    run(`FusedAdam lazy 30k ${tag}`, lazy, rows30, simd);
    run(`FusedAdam lazy 45k ${tag}`, lazy, rows45, simd);
    run(`FusedAdam lazy 60k ${tag}`, lazy, rows60, simd);
  }
  // where the dense time goes: reading the gradient, and creating + assigning + materialising the new values
  const W = tf.variable(tf.zeros([units, d]), true, `W_parts_${backend}`);
  const buf = new Float32Array(units * d);
  const read = timeMedian(() => gW.dataSync());
  const write = timeMedian(() => {
    const t = tf.tensor(buf, [units, d]);
    W.assign(t);
    t.dispose();
    readBack(() => tf.gather(W, row0));
  });
  console.log(`${backend.padEnd(10)} parts: gradient dataSync ${read.ms.toFixed(1)} ms, tensor+assign+materialise ${write.ms.toFixed(1)} ms`);
  results.push({ backend, label: 'part: gradient dataSync', ...read }, { backend, label: 'part: tensor+assign', ...write });
  tf.dispose([W, gW, gB, row0]);
}
console.log('\n| backend | update | median ms |\n|---|---|---|');
for (const r of results) console.log(`| ${r.backend} | ${r.label} | ${r.ms.toFixed(1)} |`);
