import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './internals.js';

/**
 * tfjs-backend-wasm's fused matMul (XNNPACK) clamps a relu / relu6
 * activation with min/max operations that turn NaN into 0: on wasm,
 * `tf.layers.dense({ activation: 'relu' })` maps a NaN input to a finite,
 * plausible output, where cpu, webgl and tfjs-node return NaN. A model whose
 * upstream Dense(relu) runs on wasm then feeds hashlayers' layers finite
 * garbage and answers silently wrong. (wasm's own Relu6 kernel does the same,
 * and its convolutions turn a NaN input into −Infinity before any
 * activation: upstream bugs this guard does not reach; see docs/core.md.)
 *
 * The guard re-registers `_FusedMatMul` on 'wasm' so that a relu / relu6
 * matMul runs fused with the identity activation (which keeps NaN), then
 * clamps the output in place with comparisons that keep NaN. For finite
 * values the result is the same float; gradients are tfjs' own (registered
 * per kernel name, untouched). The cost is one pass over the output.
 *
 * Installed when a hashlayers kernel is registered or run and when a
 * hashlayers layer is built (tfjs-backend-wasm may be imported after
 * @hashlayers/core); idempotent.
 */
const NAME = '_FusedMatMul';
const guarded = new WeakSet<object>();

type KernelArgs = Parameters<tf.KernelFunc>[0];

export function guardWasmFusedActivations(): void {
  const kernel = tf.getKernel(NAME, 'wasm');
  if (kernel == null || guarded.has(kernel)) return;
  const original = kernel.kernelFunc;
  const kernelFunc: tf.KernelFunc = (args: KernelArgs) => {
    const activation = (args.attrs as { activation?: string } | undefined)?.activation;
    if (activation !== 'relu' && activation !== 'relu6') return original(args);
    const out = original({ ...args, attrs: { ...args.attrs, activation: 'linear' } }) as tf.TensorInfo;
    const v = (args.backend as WasmBackendLike).typedArrayFromHeap(out);
    const top = activation === 'relu6' ? 6 : Infinity;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x < 0) v[i] = 0;
      else if (x > top) v[i] = top;
    }
    return out;
  };
  tf.unregisterKernel(NAME, 'wasm');
  tf.registerKernel({ ...kernel, kernelFunc });
  const installed = tf.getKernel(NAME, 'wasm');
  if (installed != null) guarded.add(installed);
}
