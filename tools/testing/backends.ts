/**
 * Backend selection for every package's tests. Each kernel and op test runs
 * once per backend: cpu and wasm always, tensorflow (tfjs-node) when it is
 * installed. HASHLAYERS_BACKENDS=cpu,wasm limits the list.
 */
import * as tf from '@tensorflow/tfjs-core';
// @tensorflow/tfjs registers the cpu backend and the gradients of core ops
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export const ALL_BACKENDS = ['cpu', 'wasm', 'tensorflow'] as const;

function tfjsNodeAvailable(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    // loading registers the 'tensorflow' backend (fails when the addon is not built)
    require('@tensorflow/tfjs-node');
    return tf.findBackendFactory('tensorflow') != null;
  } catch {
    return false;
  }
}

export function testBackends(): string[] {
  const asked = process.env.HASHLAYERS_BACKENDS?.split(',').map((s) => s.trim()).filter(Boolean);
  const list: string[] = asked ?? ['cpu', 'wasm', 'tensorflow'];
  return list.filter((b) => b !== 'tensorflow' || tfjsNodeAvailable());
}

/** describe() once per backend, switching tf to it before the tests. */
export function describeBackends(name: string, fn: (backend: string) => void): void {
  for (const backend of testBackends()) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        const ok = await tf.setBackend(backend);
        if (!ok) throw new Error(`backend ${backend} failed to initialise`);
        await tf.ready();
      });
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
