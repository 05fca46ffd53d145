// npm run bench -- [name ...] [--quick]
// Runs the named benchmarks (default: all) one after another in this process.
// Each package's benchmark module exports BENCHMARKS = { name: async ({quick}) => ... }.
import { existsSync } from 'node:fs';
import { codesPerSecond, indexSearch } from './hashing.mjs';
import { sotu, synthetic } from './lsh_softmax.mjs';

const BENCHMARKS = {
  'hashing-codes': codesPerSecond,
  'hashing-index': indexSearch,
  'lsh-softmax-synthetic': synthetic,
  'lsh-softmax-sotu': sotu,
};
for (const file of ['lss.mjs', 'lut_dense.mjs', 'representer_sketch.mjs', 'wasm_simd.mjs']) {
  const url = new URL(`./${file}`, import.meta.url);
  if (existsSync(url)) Object.assign(BENCHMARKS, (await import(url.href)).BENCHMARKS);
}
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));
for (const n of names) if (!BENCHMARKS[n]) throw new Error(`unknown benchmark '${n}'; known: ${Object.keys(BENCHMARKS).join(', ')}`);
for (const name of names.length ? names : Object.keys(BENCHMARKS)) {
  console.log(`== ${name}`);
  await BENCHMARKS[name]({ quick });
}
