#!/usr/bin/env node
// Sanity checks for the offline-installed tfjs-node ('tensorflow' backend):
//  (a) @tensorflow/tfjs-node resolves from packages/hashing/ and shares the
//      single @tensorflow/tfjs-core with it (kernel registry is shared);
//  (b) a custom JS kernel registered for backendName 'tensorflow' can read an
//      input via backend.readSync(dataId) and create an output TensorInfo from
//      a JS typed array via backend.write(values, shape, dtype)
//      (NodeJSKernelBackend has no makeTensorInfo), without leaking tensors.
// Usage: node tools/tfjs-node/check-custom-kernel.cjs   (exit 0 = all ok)
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { createRequire } = require('node:module');

const ROOT = path.resolve(__dirname, '..', '..');
// Resolve exactly as a file in packages/hashing/ would.
const hashingRequire = createRequire(path.join(ROOT, 'packages', 'hashing', '__probe__.js'));

let failures = 0;
function check(name, fn) {
  try {
    const extra = fn();
    console.log(`ok   ${name}${extra ? ` -- ${extra}` : ''}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}\n     ${e.stack || e}`);
  }
}

// ---- (a) resolution from packages/hashing --------------------------------
const nodePath = hashingRequire.resolve('@tensorflow/tfjs-node');
const corePath = hashingRequire.resolve('@tensorflow/tfjs-core');
const tf = hashingRequire('@tensorflow/tfjs-node');
const core = hashingRequire('@tensorflow/tfjs-core');
const coreFromNode = createRequire(nodePath)('@tensorflow/tfjs-core');

check('(a) tfjs-node resolves from packages/hashing', () => path.relative(ROOT, nodePath));
check('(a) one shared tfjs-core (hashing == tfjs-node == tfjs union)', () => {
  assert.equal(core, coreFromNode, 'tfjs-node sees a different tfjs-core than packages/hashing');
  assert.equal(tf.engine(), core.engine());
  return path.relative(ROOT, corePath);
});
check("(a) 'tensorflow' backend active and kernels visible via hashing's tfjs-core", () => {
  assert.equal(tf.getBackend(), 'tensorflow');
  assert.ok(core.getKernel('BatchMatMul', 'tensorflow'), 'BatchMatMul kernel for tensorflow not registered');
  const y = core.tidy(() => core.add(core.tensor1d([1, 2, 3]), core.scalar(1)).dataSync());
  assert.deepEqual(Array.from(y), [2, 3, 4]);
  return `TF ${tf.backend().binding.TF_Version}`;
});

// ---- (b) custom kernel on NodeJSKernelBackend -----------------------------
const backend = tf.backend();
check('(b) backend API surface', () => {
  assert.equal(backend.constructor.name, 'NodeJSKernelBackend');
  assert.equal(typeof backend.readSync, 'function');
  assert.equal(typeof backend.write, 'function');
  assert.equal(typeof backend.disposeData, 'function');
  return `makeTensorInfo: ${typeof backend.makeTensorInfo}, write: ${typeof backend.write}, readSync: ${typeof backend.readSync}`;
});

// Equivalent of cpu/webgl backend.makeTensorInfo(shape, dtype, values) for 'tensorflow'.
function makeTensorInfo(b, shape, dtype, values) {
  return { dataId: b.write(values, shape, dtype), shape: shape.slice(), dtype };
}

const seen = [];
tf.registerKernel({
  kernelName: 'HashlayersDoubleToInt',
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, backend: b }) => {
    const { x } = inputs;
    const vals = b.readSync(x.dataId); // Float32Array for float32
    seen.push(vals.constructor.name);
    // An intermediate TensorInfo must be disposed by the kernel itself:
    const tmp = makeTensorInfo(
      b,
      x.shape,
      'float32',
      Float32Array.from(vals, (v) => v * 2),
    );
    const doubled = b.readSync(tmp.dataId);
    b.disposeData(tmp.dataId);
    const out = new Int32Array(vals.length);
    for (let i = 0; i < vals.length; i++) out[i] = Math.round(doubled[i]);
    return makeTensorInfo(b, x.shape, 'int32', out);
  },
});

check('(b) runKernel: float32 JS-backed input -> int32 output, no leak', () => {
  const x = tf.tensor2d([
    [0.5, 1.25],
    [-3, 7.4],
  ]);
  const before = tf.memory().numTensors;
  const ids = backend.numDataIds();
  const y = tf.engine().runKernel('HashlayersDoubleToInt', { x }, {});
  assert.equal(y.dtype, 'int32');
  assert.deepEqual(y.shape, [2, 2]);
  const v = y.dataSync();
  assert.ok(v instanceof Int32Array, `dataSync gave ${v.constructor.name}`);
  assert.deepEqual(Array.from(v), [1, 3, -6, 15]);
  // the int32 output feeds a real TF op (forces upload to a TF tensor handle)
  const z = tf.tidy(() => Array.from(tf.add(y, tf.scalar(1, 'int32')).dataSync()));
  assert.deepEqual(z, [2, 4, -5, 16]);
  y.dispose();
  assert.equal(tf.memory().numTensors, before, 'numTensors leaked');
  assert.equal(backend.numDataIds(), ids, 'backend data ids leaked');
  x.dispose();
  return `readSync gave ${seen.at(-1)}`;
});

check('(b) runKernel: input produced by a TF op (TF-backed handle), inside tidy', () => {
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => {
    const x = tf.mul(tf.tensor1d([1, 2, 3]), tf.scalar(1.5)); // lives in TF
    return tf.engine().runKernel('HashlayersDoubleToInt', { x }, {});
  });
  assert.deepEqual(Array.from(out.dataSync()), [3, 6, 9]);
  out.dispose();
  assert.equal(tf.memory().numTensors, before, 'numTensors leaked');
  return `readSync gave ${seen.at(-1)}`;
});

check('(b) readSync dtype: int32 -> Int32Array, bool -> Uint8Array (both storage paths)', () => {
  const res = tf.tidy(() => {
    const jsInt = tf.tensor1d([1, 2, 3], 'int32'); // values still in JS
    const tfInt = tf.add(jsInt, tf.scalar(1, 'int32')); // values in TF
    const tfBool = tf.greater(tfInt, tf.scalar(2, 'int32'));
    return [jsInt, tfInt, tfBool].map((t) => backend.readSync(t.dataId).constructor.name);
  });
  assert.deepEqual(res, ['Int32Array', 'Int32Array', 'Uint8Array']);
  return res.join(', ');
});

check('(b) 1000 runs in a loop do not leak', () => {
  const x = tf.randomUniform([64, 64]);
  const before = tf.memory().numTensors;
  const ids = backend.numDataIds();
  for (let i = 0; i < 1000; i++)
    tf.tidy(() => tf.sum(tf.engine().runKernel('HashlayersDoubleToInt', { x }, {})).dataSync());
  assert.equal(tf.memory().numTensors, before);
  assert.equal(backend.numDataIds(), ids);
  x.dispose();
  return `numTensors=${tf.memory().numTensors}`;
});

tf.unregisterKernel('HashlayersDoubleToInt', 'tensorflow');
console.log(failures ? `${failures} check(s) FAILED` : 'all checks passed');
process.exitCode = failures ? 1 : 0;
