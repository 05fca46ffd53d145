// npm run bench -- [name ...] [--quick] [--out <dir>]
// Runs the named benchmarks (default: all) one after another in this process.
// Each package's benchmark module exports BENCHMARKS = { name: async ({quick}) => ... }.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setResultsDir } from './harness.mjs';
import { codesPerSecond, indexSearch } from './hashing.mjs';
import { sotu, synthetic } from './lsh_softmax.mjs';

const BENCHMARKS = {
  'hashing-codes': codesPerSecond,
  'hashing-index': indexSearch,
  'lsh-softmax-synthetic': synthetic,
  'lsh-softmax-sotu': sotu,
};
for (const file of ['lss.mjs', 'lut_dense.mjs', 'representer_sketch.mjs', 'wasm_simd.mjs']) {
  const path = join(import.meta.dirname, file);
  if (existsSync(path)) Object.assign(BENCHMARKS, (await import(pathToFileURL(path).href)).BENCHMARKS);
}
const usage = `usage: node tools/bench/run.mjs [name ...] [--quick] [--out <dir>]   (npm run bench -- ...)

Runs the named benchmarks (default: all) in this process and writes <name>.json, .md and the
plots drawn from them to docs/results/.
  --quick       small sizes and few repetitions: checks that a benchmark runs, measures nothing to quote
  --out <dir>   write the results there instead of docs/results (use it with --quick)
  -h, --help    this text
  HASHLAYERS_BACKENDS=cpu,wasm limits the backends measured.
benchmarks: ${Object.keys(BENCHMARKS).join(', ')}`;

const { values, positionals: names } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  allowPositionals: true,
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const unknown = names.filter((n) => !BENCHMARKS[n]);
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.map((n) => `'${n}'`).join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}
if (values.out != null) setResultsDir(values.out);
for (const name of names.length ? names : Object.keys(BENCHMARKS)) {
  console.log(`== ${name}`);
  await BENCHMARKS[name]({ quick: values.quick });
}
