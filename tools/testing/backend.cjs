// The one backend helper of tools/: which tfjs backends this machine runs (tests, benchmarks,
// the demo and the experiments all ask here), which one a single training run uses, and
// switching to one. Plain CommonJS so jest specs (through backend.d.cts) and .mjs tools share it.
'use strict';

const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

const ALL_BACKENDS = ['cpu', 'wasm', 'tensorflow'];
const TFJS_NODE_HINT = '(tensorflow backend unavailable: run node tools/tfjs-node/install-offline.mjs)';

let nodeBackend = null;
/** Whether tfjs-node is installed and built; loading it registers the 'tensorflow' backend. */
function tfjsNodeAvailable() {
  if (nodeBackend == null) {
    try {
      require.resolve('@tensorflow/tfjs-node');
      require('@tensorflow/tfjs-node');
      nodeBackend = tf.findBackendFactory('tensorflow') != null;
    } catch {
      nodeBackend = false;
    }
  }
  return nodeBackend;
}

let hinted = false;
/**
 * The backends to run: HASHLAYERS_BACKENDS (comma-separated) or cpu, wasm and tensorflow,
 * less tensorflow when tfjs-node is not built (then, with `hint`, says once how to build it).
 */
function availableBackends({ hint = false } = {}) {
  const asked = process.env.HASHLAYERS_BACKENDS?.split(',').map((s) => s.trim()).filter(Boolean);
  const list = asked ?? ALL_BACKENDS;
  return list.filter((b) => {
    if (b !== 'tensorflow' || tfjsNodeAvailable()) return true;
    if (hint && !hinted) console.log(`   ${TFJS_NODE_HINT}`);
    hinted = true;
    return false;
  });
}

/**
 * The backend for one training run (an MNIST MLP, a next-word model, a hash trainer):
 * tensorflow when it is in `backends`, else wasm (cpu trains these models several times slower).
 */
function preferredBackend(backends = availableBackends()) {
  return backends.includes('tensorflow') ? 'tensorflow' : 'wasm';
}

/** Switches tfjs to `name` and waits until it is ready; throws when it cannot initialise. */
async function useBackend(name) {
  if (name === 'tensorflow') tfjsNodeAvailable();
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
  return name;
}

module.exports = { ALL_BACKENDS, TFJS_NODE_HINT, tfjsNodeAvailable, availableBackends, preferredBackend, useBackend };
