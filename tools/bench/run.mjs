// npm run bench -- [name ...] [--quick]
// Runs the named benchmarks (default: all) one after another in this process.
import { codesPerSecond, indexSearch } from './hashing.mjs';
import { sotu, synthetic } from './lsh_softmax.mjs';

const BENCHMARKS = {
  'hashing-codes': codesPerSecond,
  'hashing-index': indexSearch,
  'lsh-softmax-synthetic': synthetic,
  'lsh-softmax-sotu': sotu,
};
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));
for (const n of names) if (!BENCHMARKS[n]) throw new Error(`unknown benchmark '${n}'; known: ${Object.keys(BENCHMARKS).join(', ')}`);
for (const name of names.length ? names : Object.keys(BENCHMARKS)) {
  console.log(`== ${name}`);
  await BENCHMARKS[name]({ quick });
}
