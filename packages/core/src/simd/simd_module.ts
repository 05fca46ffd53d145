import { SIMD_KERNELS_WASM } from './simd_bytes.js';

/** The exports of kernels.wat; every argument is a byte offset on the imported memory or a count. */
export interface SimdKernels {
  gather_dot(queries: number, items: number, candidates: number, out: number, batch: number, width: number, dim: number): void;
  gather_weighted_sum(weights: number, items: number, candidates: number, out: number, batch: number, width: number, dim: number): void;
  scatter_outer_add(weights: number, queries: number, candidates: number, out: number, batch: number, width: number, dim: number): void;
  pair_dot(queries: number, items: number, itemIds: number, queryIds: number, dst: number, out: number, n: number, dim: number): void;
  /**
   * Adam over n floats (tf.train.adam's float32 formula): m, v updated in place, new values to out (may be x).
   * c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ, nlr = −learning rate.
   */
  adam_dense(
    x: number, g: number, m: number, v: number, out: number, n: number,
    b1: number, omb1: number, b2: number, omb2: number, c1: number, c2: number, eps: number, nlr: number,
  ): void;
  /**
   * Adam over the rows rows[0..nRows) (int32, distinct, in range) of x, m, v (row length cols), x in place;
   * gradient row j at g + j·cols when compact is 1, else row rows[j] of g; copy ≠ -1 also receives the new row j at copy + j·cols.
   */
  adam_rows(
    x: number, g: number, m: number, v: number, rows: number, nRows: number, cols: number, compact: number, copy: number,
    b1: number, omb1: number, b2: number, omb2: number, c1: number, c2: number, eps: number, nlr: number,
  ): void;
}

let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();
let enabled = true;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const src = typeof Buffer !== 'undefined' ? Buffer.from(base64, 'base64') : Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const bytes = new Uint8Array(new ArrayBuffer(src.length));
  bytes.set(src);
  return bytes;
}

/**
 * The SIMD kernels bound to `memory` (the wasm backend's heap), or null when
 * this engine lacks WebAssembly SIMD or they are switched off: callers then
 * run the JavaScript loops, which give the same results up to float32
 * rounding order.
 */
export function simdKernels(memory: WebAssembly.Memory | undefined): SimdKernels | null {
  if (!enabled || memory == null) return null;
  if (compiled === undefined) {
    try {
      const bytes = decode(SIMD_KERNELS_WASM);
      compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  if (compiled == null) return null;
  let kernels = instances.get(memory);
  if (kernels == null) {
    kernels = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as SimdKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}

/** True while the SIMD kernels are switched on (see setWasmSimdKernels in simd_memory.ts). */
export function simdEnabled(): boolean {
  return enabled;
}

/** Switches the SIMD kernels on or off; returns the previous setting. (The public switch is setWasmSimdKernels.) */
export function setSimdEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** True when every array is a view on `memory` (so its byteOffset is a heap pointer). */
export function onHeap(memory: WebAssembly.Memory, ...arrays: ArrayBufferView[]): boolean {
  const buffer = memory.buffer;
  return arrays.every((a) => a.buffer === buffer);
}
