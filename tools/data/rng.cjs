// Seeded generators for the dataset builders (deterministic across runs and machines).
// The implementation lives in docs/examples/data.cjs (the runnable examples must work outside the
// clone, so the loaders ship beside them); this module is its entry for tools/ and the tests.
'use strict';
const data = require('../../docs/examples/data.cjs');

module.exports = { mulberry32: data.mulberry32, gaussian: data.gaussian, shuffledOrder: data.shuffledOrder, shuffledRows: data.shuffledRows };
