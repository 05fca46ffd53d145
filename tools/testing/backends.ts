/**
 * Backend selection for every package's tests. Each kernel and op test runs
 * once per backend: cpu and wasm always, tensorflow (tfjs-node) when it is
 * installed. HASHLAYERS_BACKENDS=cpu,wasm limits the list.
 */
import * as tf from '@tensorflow/tfjs-core';
// @tensorflow/tfjs registers the cpu backend and the gradients of core ops
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { availableBackends, useBackend } from './backend.cjs';

export { ALL_BACKENDS, preferredBackend, useBackend } from './backend.cjs';

/** The backends under test: cpu and wasm, tensorflow when tfjs-node is built, or HASHLAYERS_BACKENDS. */
export function testBackends(): string[] {
  return availableBackends();
}

/** describe() once per backend, switching tf to it before the tests. */
export function describeBackends(name: string, fn: (backend: string) => void): void {
  for (const backend of testBackends()) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(() => useBackend(backend));
      fn(backend);
    });
  }
}

/** Asserts fn() leaves tf.memory().numTensors unchanged apart from `returned` tensors. */
export function expectNoLeak<T>(fn: () => T, returned = 0): T {
  const before = tf.memory().numTensors;
  const out = fn();
  expect(tf.memory().numTensors - before).toBe(returned);
  return out;
}
