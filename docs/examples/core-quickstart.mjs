// Runnable example for docs/core.md:  npm run build && node docs/examples/core-quickstart.mjs
// Outside the clone: `npm install @hashlayers/core @tensorflow/tfjs` and run `node core-quickstart.mjs`.
import * as tf from '@tensorflow/tfjs';
import { FusedAdamOptimizer, fusedAdam, setWasmSimdKernels } from '@hashlayers/core';

// 1. A drop-in for tf.train.adam: the same update (to float32 rounding), one pass per variable.
const x = tf.randomNormal([256, 8], 0, 1, 'float32', 1);
const y = tf.sum(tf.mul(x, tf.linspace(-1, 1, 8)), 1, true);
const model = tf.sequential({
  layers: [
    tf.layers.dense({ units: 16, activation: 'relu', inputShape: [8], kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
  ],
});
model.compile({ optimizer: fusedAdam(0.01), loss: 'meanSquaredError' });
const hist = await model.fit(x, y, { epochs: 20, batchSize: 32, shuffle: false, verbose: 0 });
console.log('loss %s → %s', hist.history.loss[0].toFixed(3), hist.history.loss.at(-1).toFixed(3));

// The optimizer is saved with the model (includeOptimizer) and restored as a FusedAdamOptimizer.
let artifacts;
await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), { includeOptimizer: true });
const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
console.log('reloaded optimizer: %s after %d steps', loaded.optimizer instanceof FusedAdamOptimizer ? 'FusedAdamOptimizer' : '?', loaded.optimizer.iterations);

// 2. Lazy (row-sparse) updates: a RowSparseSource reports the rows a step touched; only those rows
//    of the variable and of its moments move (TF-Addons LazyAdam). LSHSoftmax layers are row sources;
//    here an embedding table read through tf.gather is its own.
const table = tf.variable(tf.randomNormal([10000, 4], 0, 1, 'float32', 4), true, 'table');
class TableRows {
  rows = null;
  lookup(ids) {
    this.rows = Int32Array.from(ids);
    return tf.gather(table, tf.tensor1d(ids, 'int32'));
  }
  touchedRows(variable) {
    return variable === table ? this.rows : null;
  }
  clearTouchedRows() {
    this.rows = null;
  }
}
const source = new TableRows();
const lazy = fusedAdam(0.1, 0.9, 0.999, undefined, { lazy: true, rowSources: [source] });
const before = table.arraySync();
lazy.minimize(() => tf.sum(tf.square(source.lookup([3, 17, 17, 9000]))), false, [table]);
const after = table.arraySync();
const moved = after.flatMap((row, r) => (row.some((v, c) => v !== before[r][c]) ? [r] : []));
console.log('rows moved by the lazy step:', moved.join(', '));

// A lazy optimizer without a row source refuses to run instead of silently updating every row
// (after loading a model saved with a lazy FusedAdam, call optimizer.addRowSource(layer)).
try {
  fusedAdam(0.1, 0.9, 0.999, undefined, { lazy: true }).minimize(() => tf.sum(table), false, [table]);
} catch (e) {
  console.log('error:', e.message.slice(0, 100) + '…');
}

// 3. The SIMD loops can be switched off for A/B measurements (the JavaScript loops give the same
//    results up to float32 rounding order).
const previous = setWasmSimdKernels(false);
console.log('SIMD was %s, now off', previous ? 'on' : 'off');
setWasmSimdKernels(previous);
