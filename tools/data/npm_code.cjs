// A next-token task with ≥ 100k classes from the text and code the installed npm packages ship
// (JavaScript/TypeScript sources, .d.ts declarations, markdown): the identifier-like tokens of every file,
// the previous `context` tokens → the next one. Built from what a clean `npm ci` of this repository's
// package-lock puts in node_modules, chosen deterministically:
//  - packages: the `packages` entries of package-lock.json under node_modules/ that are not workspace
//    links and not platform builds (no `os`/`cpu` field), present on disk with the locked version
//    (a package whose installed version differs is skipped and counted in `stats.skippedPackages`);
//  - files: walked in sorted (byte) order inside each package, without its nested node_modules (those are
//    packages of their own in the lock); extensions .js .cjs .mjs .ts .mts .cts (with .d.ts) and .md;
//    *.min.js and minified files (mean line longer than 300 characters) are left out; a file whose bytes
//    equal an earlier file's is read once (the first in sorted order);
//  - tokens: /[A-Za-z_$][A-Za-z0-9_$]*/g, case-sensitive (identifiers, keywords, words of comments,
//    strings and markdown); numbers and punctuation are not tokens; contexts do not cross files;
//  - split by *package family*, never inside a file or a package: the scope or the name up to its first
//    '-' or '.' (@tensorflow/* → "tensorflow"; vega, vega-lite, vega-scale → "vega"; @jest/*, jest-* → "jest");
//    a family is held out when FNV-1a(family) % 10 === 0. Packages of one family bundle each other
//    (vega's build holds every vega-* package, @tensorflow/tfjs ships tfjs-core), so splitting by family
//    keeps those copies on one side;
//  - classes: the `vocabSize` most frequent tokens of the training groups (ties by token, byte order);
//    positions whose next token is outside the vocabulary are dropped (no OOV class); a context token
//    outside it is id 0 (as SOTU's loader: context ids are class id + 1, 0 = unknown or padding);
//  - examples: `maxTrain` / `maxTest` positions drawn uniformly without replacement (seeded), in a seeded
//    random order, from all eligible positions of each split.
// Nothing is cached on disk: the scan takes ~10-15 s per process.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { mulberry32 } = require('./rng.cjs');

const ROOT = path.resolve(__dirname, '../..');
const EXT = /(\.d\.ts|\.d\.mts|\.d\.cts|\.ts|\.mts|\.cts|\.mjs|\.cjs|\.js|\.md)$/;
const TOKEN = /[A-Za-z_$][A-Za-z0-9_$]*/g;
const MAX_MEAN_LINE = 300;

const byteOrder = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The package name of a lock key ("node_modules/a/node_modules/@s/b" → "@s/b") and its split group: the
 * scope or the name, up to its first '-' or '.' (@jest/core, jest-util and jest → "jest"; vega-lite → "vega").
 */
function packageOf(key) {
  const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const base = name.startsWith('@') ? name.slice(1).split('/')[0] : name;
  return { name, group: base.split(/[-.]/)[0] };
}

function listFiles(dir, out) {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => byteOrder(a.name, b.name));
  for (const e of entries) {
    if (e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) listFiles(p, out);
    else if (e.isFile() && EXT.test(e.name) && !e.name.endsWith('.min.js')) out.push(p);
  }
}

let cached = null;

/**
 * Every kept file's tokens as ids of one corpus-wide dictionary: { tokens: string[], ids: Int32Array,
 * files: [{ path, package, group, test, start, end }], stats }.
 */
function loadCorpus({ testModulo = 10 } = {}) {
  if (cached && cached.testModulo === testModulo) return cached.corpus;
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const keys = Object.keys(lock.packages)
    .filter((k) => k.startsWith('node_modules/'))
    .filter((k) => !lock.packages[k].link && !lock.packages[k].os && !lock.packages[k].cpu)
    .sort(byteOrder);
  const dict = new Map();
  const tokens = [];
  let ids = new Int32Array(1 << 24);
  let n = 0;
  const files = [];
  const seen = new Set();
  const stats = { packages: 0, skippedPackages: [], files: 0, duplicateFiles: 0, minifiedFiles: 0, bytes: 0 };
  for (const key of keys) {
    const dir = path.join(ROOT, key);
    let version;
    try {
      version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
    } catch {
      version = null;
    }
    if (version !== lock.packages[key].version) {
      stats.skippedPackages.push(key);
      continue;
    }
    stats.packages++;
    const { name, group } = packageOf(key);
    const test = fnv1a(group) % testModulo === 0;
    const list = [];
    listFiles(dir, list);
    for (const file of list) {
      const buf = fs.readFileSync(file);
      const hash = crypto.createHash('sha1').update(buf).digest('hex');
      if (seen.has(hash)) {
        stats.duplicateFiles++;
        continue;
      }
      seen.add(hash);
      const text = buf.toString('utf8');
      let lines = 1;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
      if (text.length / lines > MAX_MEAN_LINE) {
        stats.minifiedFiles++;
        continue;
      }
      const toks = text.match(TOKEN) || [];
      if (n + toks.length > ids.length) {
        const grown = new Int32Array(Math.max(ids.length * 2, n + toks.length));
        grown.set(ids.subarray(0, n));
        ids = grown;
      }
      const start = n;
      for (const t of toks) {
        let id = dict.get(t);
        if (id === undefined) {
          id = tokens.length;
          dict.set(t, id);
          tokens.push(t);
        }
        ids[n++] = id;
      }
      files.push({ path: path.relative(ROOT, file), package: name, group, test, start, end: n });
      stats.files++;
      stats.bytes += buf.length;
    }
  }
  const corpus = { tokens, ids: ids.slice(0, n), files, stats };
  cached = { testModulo, corpus };
  return corpus;
}

/** Draws min(max, total) distinct indices of [0, total) uniformly (seeded), in random order. */
function sampleIndices(total, max, seed) {
  const k = Math.min(max, total);
  const rand = mulberry32(seed);
  // sparse partial Fisher–Yates: only the swapped slots are stored
  const swapped = new Map();
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (total - i));
    const vj = swapped.has(j) ? swapped.get(j) : j;
    const vi = swapped.has(i) ? swapped.get(i) : i;
    swapped.set(j, vi);
    out[i] = vj;
  }
  return out;
}

/**
 * Next-token data: { words, vocabSize, context, train, test, stats }, splits { x: Int32Array [n·context],
 * y: Int32Array [n], n } as in SOTU's nextWordData (x ids = class id + 1, 0 = outside the vocabulary).
 * stats: corpus sizes, eligible positions per split, the class-frequency shape (train counts at ranks).
 */
function nextTokenData({ vocabSize = 100000, context = 3, maxTrain = 200000, maxTest = 20000, seed = 1, testModulo = 10 } = {}) {
  const corpus = loadCorpus({ testModulo });
  const { ids, files, tokens } = corpus;
  const counts = new Float64Array(tokens.length);
  let trainTokens = 0;
  let testTokens = 0;
  for (const f of files) {
    if (f.test) {
      testTokens += f.end - f.start;
      continue;
    }
    trainTokens += f.end - f.start;
    for (let p = f.start; p < f.end; p++) counts[ids[p]]++;
  }
  const distinctTrain = counts.reduce((a, c) => a + (c > 0 ? 1 : 0), 0);
  const ranked = Array.from({ length: tokens.length }, (_, i) => i)
    .filter((i) => counts[i] > 0)
    .sort((a, b) => counts[b] - counts[a] || byteOrder(tokens[a], tokens[b]));
  const V = Math.min(vocabSize, ranked.length);
  const classOf = new Int32Array(tokens.length).fill(-1);
  for (let c = 0; c < V; c++) classOf[ranked[c]] = c;
  // eligible positions (index into ids) per split: a full context inside the file, the target in the vocabulary
  const eligible = { train: [], test: [] };
  for (const f of files) {
    const out = f.test ? eligible.test : eligible.train;
    for (let p = f.start + context; p < f.end; p++) if (classOf[ids[p]] >= 0) out.push(p);
  }
  function build(list, max, s) {
    const pick = sampleIndices(list.length, max, s);
    const x = new Int32Array(pick.length * context);
    const y = new Int32Array(pick.length);
    for (let r = 0; r < pick.length; r++) {
      const p = list[pick[r]];
      for (let k = 0; k < context; k++) x[r * context + k] = classOf[ids[p - context + k]] + 1;
      y[r] = classOf[ids[p]];
    }
    return { x, y, n: pick.length };
  }
  const train = build(eligible.train, maxTrain, seed);
  const test = build(eligible.test, maxTest, seed + 1);
  const trainCount = (r) => (r <= ranked.length ? counts[ranked[r - 1]] : 0);
  let covered = 0;
  for (let c = 0; c < V; c++) covered += counts[ranked[c]];
  const inSample = new Float64Array(V);
  for (const c of train.y) inSample[c]++;
  const seenClasses = inSample.reduce((a, c) => a + (c > 0 ? 1 : 0), 0);
  let testCovered = 0;
  for (const f of files) if (f.test) for (let p = f.start; p < f.end; p++) if (classOf[ids[p]] >= 0) testCovered++;
  const stats = {
    ...corpus.stats,
    skippedPackages: corpus.stats.skippedPackages.length,
    trainFiles: files.filter((f) => !f.test).length,
    testFiles: files.filter((f) => f.test).length,
    testGroups: [...new Set(files.filter((f) => f.test).map((f) => f.group))].length,
    trainTokens,
    testTokens,
    distinctTrainTokens: distinctTrain,
    classes: V,
    trainCountAtRank: Object.fromEntries([1, 10, 100, 1000, 10000, 30000, 100000, 200000].filter((r) => r <= V).map((r) => [r, trainCount(r)])),
    trainCoverage: covered / trainTokens,
    testCoverage: testCovered / testTokens,
    eligibleTrain: eligible.train.length,
    eligibleTest: eligible.test.length,
    sampledTrainClassesSeen: seenClasses,
  };
  return { words: ranked.slice(0, V).map((i) => tokens[i]), vocabSize: V, context, train, test, stats };
}

module.exports = { loadCorpus, nextTokenData };
