// One optimizer update of an LSHSoftmax-sized head, kernel [100000, 128] + bias [100000]:
// tf.train.adam against FusedAdamOptimizer (dense, and lazy with 30k / 45k / 60k registered rows),
// with the SIMD kernels (default) and with the JavaScript loops (setWasmSimdKernels(false)).
//   npm run build -w @hashlayers/lsh-softmax   (the script loads the built package)
//   node tools/experiments/fused-adam.mjs [--backends wasm,tensorflow] [--units 100000]
// Each timed call ends by reading row 0 of each variable through a tfjs op (gather), so the
// new values are materialised on the backend (tfjs-node uploads assigned values lazily).
// Not tf.slice: the wasm backend's Slice kernel copies its whole input out of the heap
// (readSync), ~50 ms for the [100000, 128] kernel.
import { createRequire } from 'node:module';
import { parseCommandLine } from '../bench/cli.mjs';
import { readBack, tf, time, useBackend, benchBackends } from '../bench/harness.mjs';

const require = createRequire(import.meta.url);
const { FusedAdamOptimizer, setWasmSimdKernels } = require('@hashlayers/core');
const { shuffledOrder } = require('../data/rng.cjs');
const { values } = parseCommandLine({
  usage: 'usage: node tools/experiments/fused-adam.mjs [--backends wasm,tensorflow] [--units 100000]\n\nOne optimizer update of an LSHSoftmax-sized head: tf.train.adam against FusedAdam, dense and lazy.',
  options: {
    backends: { type: 'string', arg: 'list', default: 'wasm,tensorflow', help: 'comma-separated backends to time' },
    units: { type: 'string', arg: 'n', default: '100000', help: 'rows of the kernel' },
  },
});
const asked = values.backends.split(',');
const units = Number(values.units);
const d = 128;
/** Median of 7 calls after 2 warm-up calls, with the fastest and slowest. */
const timeMedian = (fn) => time(fn, { warmup: 2, reps: 7, minMs: 0 });

/** k distinct row ids: the first k of a seeded permutation (tools/data/rng.cjs). */
const randomRows = (k, seed) => Int32Array.from(shuffledOrder(units, seed).slice(0, k));

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
    // a RowSparseSource reporting the same rows for W and B every step (what LSHSoftmax does for its candidates)
    const source = { touchedRows: (v) => (rows != null && (v === W || v === B) ? rows : null), clearTouchedRows: () => {} };
    const opt = makeOpt(source);
    const grads = { [W.name]: gW, [B.name]: gB };
    const step = () => {
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
  const lazy = (source) => new FusedAdamOptimizer(1e-3, 0.9, 0.999, null, { lazy: true, rowSources: [source] });
  for (const simd of [true, false]) {
    const tag = simd ? 'SIMD' : 'JS';
    run(`FusedAdam dense ${tag}`, () => new FusedAdamOptimizer(1e-3), null, simd);
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
