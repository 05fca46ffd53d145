// HashIndex.update (re-hash the given rows, merge the moved items into the CSR tables) against a
// full HashIndex.rebuild, in one process: 100k and 500k items, d = 128, WTA L = 16.
//   npx nx run hashing:build && node tools/bench/hashing_update.mjs [--quick] [--out <dir>]
// (exports BENCHMARKS = { 'hashing-update' } for tools/bench/run.mjs's list of benchmark files)
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parseCommandLine } from './cli.mjs';
import { Progress, readBack, setResultsDir, time, tf, usePreferredBackend, writeResults } from './harness.mjs';

const require = createRequire(import.meta.url);
const H = require('@hashlayers/hashing');
const { SeededRandom } = require('@hashlayers/core/internal');

/** The tables as the previous HashIndex.setCodes built them: one Float64Array sort of code·2^23 + id per table. */
function float64SortTables(codes, n, L) {
  const MAX = 1 << 23;
  const keys = [];
  const offsets = [];
  const ids = new Int32Array(n * L);
  const packed = new Float64Array(n);
  for (let l = 0; l < L; l++) {
    for (let i = 0; i < n; i++) packed[i] = codes[i * L + l] * MAX + i;
    packed.sort();
    let prev = -1;
    for (let i = 0; i < n; i++) {
      const code = Math.floor(packed[i] / MAX);
      ids[l * n + i] = packed[i] - code * MAX;
      if (code !== prev) {
        keys.push(code);
        offsets.push(l * n + i);
        prev = code;
      }
    }
  }
  return { keys: Int32Array.from(keys), ids };
}

export async function indexUpdate({ quick }) {
  const sizes = quick ? [20000] : [100000, 500000];
  const fractions = [0.01, 0.1, 0.5];
  const d = 128;
  const L = 16;
  const backend = await usePreferredBackend();
  const reps = quick ? { warmup: 1, reps: 3, minMs: 0 } : { warmup: 1, reps: 7, minMs: 0 };
  const rows = [];
  const build = [];
  const prog = new Progress('HashIndex.update', sizes.length * (fractions.length + 3));
  for (const n of sizes) {
    const family = new H.WTAHash({ inputDim: d, tables: L, window: 8, band: 4, seed: 1 });
    const a = tf.randomNormal([n, d], 0, 1, 'float32', 1);
    // b: every item moved a little (noise σ = 0.5), so about half of its codes change
    const b = tf.tidy(() => tf.add(a, tf.randomNormal([n, d], 0, 0.5, 'float32', 2)));
    const index = new H.HashIndex(family, { storeItems: false });
    index.build(a);
    let flip = false;
    let last = null;
    // full rebuild, alternating a and b so that the tables really change every call
    const full = time(() => {
      flip = !flip;
      last = index.rebuild(flip ? b : a);
    }, reps);
    const fullHash = time(() => readBack(() => family.hash(a)), reps);
    rows.push({
      items: n, op: 'rebuild (every row)', hashed: n, moved: last.changedItems, ms: full.ms, hashMs: fullHash.ms,
      tablesMs: full.ms - fullHash.ms, speedup: 1,
    });
    prog.step(`n=${n} rebuild: ${full.ms.toFixed(0)} ms (hash ${fullHash.ms.toFixed(0)} ms)`);
    // the tables alone, from the same codes: counting sort (fromTensors = check codes + build) vs the previous float64 sort
    const codes = index.codes();
    const codesT = tf.tensor2d(codes, [n, L], 'int32');
    const counting = time(() => H.HashIndex.fromTensors(family, { codes: codesT }, { storeItems: false }), reps);
    const float64 = time(() => float64SortTables(codes, n, L), { ...reps, reps: quick ? 3 : 5 });
    codesT.dispose();
    build.push({ items: n, countingMs: counting.ms, float64Ms: float64.ms, speedup: float64.ms / counting.ms });
    prog.step(`n=${n} tables from codes: counting ${counting.ms.toFixed(1)} ms, float64 sort ${float64.ms.toFixed(0)} ms`);
    if (flip) index.rebuild(a);
    const rng = new SeededRandom(3);
    for (const f of fractions) {
      const m = Math.round(f * n);
      const ids = rng.sampleWithoutReplacement(n, m);
      const idsT = tf.tensor1d(ids, 'int32');
      const rowsA = tf.gather(a, idsT);
      const rowsB = tf.gather(b, idsT);
      // alternate b's rows and a's rows: every call moves the same items back and forth
      flip = false;
      const upd = time(() => {
        flip = !flip;
        last = index.update(ids, flip ? rowsB : rowsA);
      }, reps);
      if (flip) index.update(ids, rowsA);
      const hash = time(() => readBack(() => family.hash(rowsA)), reps);
      rows.push({
        items: n, op: `update ${f * 100}% of rows`, hashed: m, moved: last.changedItems, ms: upd.ms, hashMs: hash.ms,
        tablesMs: upd.ms - hash.ms, speedup: full.ms / upd.ms,
      });
      prog.step(`n=${n} update ${f * 100}%: ${upd.ms.toFixed(1)} ms (${(full.ms / upd.ms).toFixed(1)}x)`);
      if (f === fractions[0]) {
        // the same update on an index that keeps its item vectors (storeItems: an O(n·d) gather per call)
        const stored = new H.HashIndex(family);
        stored.build(a);
        flip = false;
        const s = time(() => {
          flip = !flip;
          last = stored.update(ids, flip ? rowsB : rowsA);
        }, reps);
        rows.push({
          items: n, op: `update ${f * 100}% of rows, storeItems`, hashed: m, moved: last.changedItems, ms: s.ms, hashMs: hash.ms,
          tablesMs: null, speedup: full.ms / s.ms,
        });
        prog.step(`n=${n} update ${f * 100}% storeItems: ${s.ms.toFixed(1)} ms`);
        stored.dispose();
      }
      tf.dispose([idsT, rowsA, rowsB]);
    }
    tf.dispose([a, b]);
    index.dispose();
    family.dispose();
  }
  await writeResults('hashing-update', {
    title: `HashIndex.update against a full rebuild (d = ${d}, WTA L = ${L}, window 8, band 4; ${backend})`,
    command: `node tools/bench/hashing_update.mjs${quick ? ' --quick' : ''}`,
    notes: [
      `Backend ${backend} (the hash kernel's backend; the table code is plain JavaScript). Items N(0, 1); "moved" rows are the same rows plus N(0, 0.5²) noise, and each timed call alternates between the two versions, so every call really moves items (\`moved\` = items with at least one changed code in the last call). Index with storeItems: false (as LSHSoftmax builds it) unless the row says storeItems.`,
      '`rebuild` = `HashIndex.rebuild(allItems)`: hash every row, then the tables from the codes (now a counting sort). `update` = `HashIndex.update(ids, rows)`: hash the given rows, merge the moved items into the tables. `hash ms` = `family.hash` of the same rows alone; `tables ms` = ms − hash ms (the rest: compare codes, update/build the tables). `speedup` = rebuild ms / this row\'s ms.',
    ],
    columns: [
      { key: 'items', label: 'items' }, { key: 'op', label: 'operation' }, { key: 'hashed', label: 'rows hashed' },
      { key: 'moved', label: 'moved items' }, { key: 'ms', label: 'ms' }, { key: 'hashMs', label: 'hash ms' },
      { key: 'tablesMs', label: 'tables ms' }, { key: 'speedup', label: 'speedup vs rebuild' },
    ],
    rows,
    tables: [{
      title: 'Tables from codes: counting sort against the previous float64 sort',
      notes: ['The same codes [items, 16]: `HashIndex.fromTensors(family, { codes })` (checks the codes, then counting sort per table; what build and rebuild now do) against the previous implementation (one Float64Array sort of code·2^23 + id per table, copied into this script).'],
      columns: [
        { key: 'items', label: 'items' }, { key: 'countingMs', label: 'counting sort ms' },
        { key: 'float64Ms', label: 'float64 sort ms (previous)' }, { key: 'speedup', label: 'speedup' },
      ],
      rows: build,
    }],
  });
}

export const BENCHMARKS = { 'hashing-update': indexUpdate };

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseCommandLine({
    usage: 'usage: node tools/bench/hashing_update.mjs [--quick] [--out <dir>]',
    options: {
      quick: { type: 'boolean', default: false, help: '20k items, few repetitions: checks that it runs; nothing to quote' },
      out: { type: 'string', arg: 'dir', help: 'write the results there instead of docs/results' },
    },
  });
  if (values.out != null) setResultsDir(values.out);
  await indexUpdate({ quick: values.quick });
}
