// npm run bench -- [name ...] [--quick] [--out <dir>]
// Runs the named benchmarks (default: all) one after another in this process.
// Each package's benchmark module exports BENCHMARKS = { name: async ({quick}) => ... }.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCommandLine } from './cli.mjs';
import { setResultsDir } from './harness.mjs';
import { codesPerSecond, indexSearch } from './hashing.mjs';
import { sotu, sotuFull, synthetic, training } from './lsh_softmax.mjs';

const BENCHMARKS = {
  'hashing-codes': codesPerSecond,
  'hashing-index': indexSearch,
  'lsh-softmax-synthetic': synthetic,
  'lsh-softmax-training': training,
  'lsh-softmax-sotu': sotu,
  'lsh-softmax-sotu-full': sotuFull,
};
for (const file of ['hashing_update.mjs', 'lss.mjs', 'lut_dense.mjs', 'representer_sketch.mjs', 'wasm_simd.mjs']) {
  const path = join(import.meta.dirname, file);
  if (existsSync(path)) Object.assign(BENCHMARKS, (await import(pathToFileURL(path).href)).BENCHMARKS);
}
const { values, positionals: names, fail } = parseCommandLine({
  usage: `usage: node tools/bench/run.mjs [name ...] [--quick] [--out <dir>]   (or npm run bench -- ...)

Runs the named benchmarks (default: all) one after another in this process and writes
<name>.json, <name>.md and the plots drawn from them (tools/bench/plots.mjs) to docs/results/.`,
  options: {
    quick: { type: 'boolean', default: false, help: 'small sizes, few repetitions: checks that a benchmark runs; nothing to quote' },
    out: { type: 'string', arg: 'dir', help: 'write the results there instead of docs/results (do, with --quick)' },
  },
  positionals: true,
  epilog: `HASHLAYERS_BACKENDS=cpu,wasm limits the backends measured.\nbenchmarks: ${Object.keys(BENCHMARKS).join(', ')}`,
});
const unknown = names.filter((n) => !BENCHMARKS[n]);
if (unknown.length) fail(`unknown benchmark ${unknown.map((n) => `'${n}'`).join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
if (values.out != null) setResultsDir(values.out);
for (const name of names.length ? names : Object.keys(BENCHMARKS)) {
  console.log(`== ${name}`);
  await BENCHMARKS[name]({ quick: values.quick });
}
