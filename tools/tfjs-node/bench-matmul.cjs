#!/usr/bin/env node
// matMul throughput on the 'tensorflow' backend (tfjs-node).
// Usage: node tools/tfjs-node/bench-matmul.cjs [--n 1024] [--reps 5] [--backend tensorflow]
'use strict';
const { parseArgs } = require('node:util');
const tf = require('@tensorflow/tfjs-node');

async function main() {
  const { values } = parseArgs({
    options: { n: { type: 'string', default: '1024' }, reps: { type: 'string', default: '5' }, backend: { type: 'string', default: 'tensorflow' } },
  });
  const n = Number(values.n);
  const reps = Number(values.reps);
  const backendName = values.backend;
  if (!(await tf.setBackend(backendName))) throw new Error(`backend ${backendName} unavailable`);
  const a = tf.randomUniform([n, n], -1, 1, 'float32');
  const b = tf.randomUniform([n, n], -1, 1, 'float32');
  const run = () => {
    const t = process.hrtime.bigint();
    const c = tf.matMul(a, b);
    c.dataSync(); // include completion + readback (4 MB) in the timing
    const dt = Number(process.hrtime.bigint() - t) / 1e9;
    c.dispose();
    return dt;
  };
  for (let i = 0; i < 2; i++) run(); // warmup
  const times = Array.from({ length: reps }, run).sort((x, y) => x - y);
  const med = times[Math.floor(times.length / 2)];
  const flop = 2 * n ** 3;
  console.log(
    `matMul ${n}x${n}x${n} float32 on '${tf.getBackend()}' ` +
      `(TF ${tf.backend().binding?.TF_Version ?? '-'}, ${require('os').cpus().length} cpus): ` +
      `median ${(med * 1e3).toFixed(2)} ms = ${(flop / med / 1e9).toFixed(1)} GFLOP/s ` +
      `(min ${(times[0] * 1e3).toFixed(2)} ms, max ${(times.at(-1) * 1e3).toFixed(2)} ms, ${reps} reps after 2 warmups)`,
  );
  a.dispose();
  b.dispose();
}
main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
