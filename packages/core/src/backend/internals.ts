import * as tf from '@tensorflow/tfjs-core';

/**
 * The one module of hashlayers that knows the internals of tfjs backends:
 * where tfjs-backend-cpu keeps its typed arrays, how tfjs-backend-wasm lays
 * tensors out on its WebAssembly heap (and allocates there), and how
 * tfjs-node (the 'tensorflow' backend), webgl and webgpu take data in and out. Everything
 * else in hashlayers goes through these functions, so a tfjs upgrade that
 * moves an internal is fixed here and only here.
 *
 * The types below describe only the members we use (tfjs 4.22); they are
 * checked at run time where a mismatch could otherwise answer wrong.
 */

/** What every backend hands a kernel: a data handle, a shape and a dtype. */
export interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

export type TypedArray = Float32Array | Int32Array;

/** tfjs-backend-cpu (and backends built like it): values live in a data map as typed arrays. */
export interface CpuBackendLike {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: string, values: TypedArray): TensorInfoLike;
  readSync(dataId: object): unknown;
}

interface WasmModuleLike {
  asm?: { memory?: unknown };
  /** The threaded build (cross-origin-isolated pages) imports its shared heap instead of exporting it. */
  wasmMemory?: unknown;
  _malloc?(bytes: number): number;
  _free?(ptr: number): void;
}

/** tfjs-backend-wasm: tensors are ranges of one WebAssembly heap. */
export interface WasmBackendLike {
  wasm?: WasmModuleLike;
  makeOutput(shape: number[], dtype: string): TensorInfoLike;
  typedArrayFromHeap(info: TensorInfoLike): TypedArray;
  disposeData(dataId: object): void;
}

/** tfjs-node: tensors live in TensorFlow's memory. */
export interface NodeBackendLike {
  readSync(dataId: object): TypedArray;
  /** NodeJSKernelBackend has no makeTensorInfo: write() returns a dataId (refCount 1, uploaded lazily). */
  write(values: TypedArray, shape: number[], dtype: string): object;
}

/**
 * tfjs-backend-webgl and tfjs-backend-webgpu: tensors live in GPU textures or
 * buffers; makeTensorInfo(values) keeps the typed array as the tensor's data
 * on the CPU (uploaded only when a GPU program reads it).
 */
export interface GpuBackendLike {
  makeTensorInfo(shape: number[], dtype: string, values: TypedArray): TensorInfoLike;
}

/** The cpu backend's own typed array of a tensor (no copy), or a read when it keeps none. */
export function cpuValues(backend: CpuBackendLike, info: TensorInfoLike): TypedArray {
  const values = backend.data.get(info.dataId).values;
  return (values ?? backend.readSync(info.dataId)) as TypedArray;
}

/**
 * The wasm backend's heap, or undefined when this build does not expose it:
 * exported by the plain and SIMD builds (asm.memory); created in JavaScript,
 * shared, and kept as Module.wasmMemory by the threaded build.
 */
export function wasmMemoryOf(backend: unknown): WebAssembly.Memory | undefined {
  const wasm = (backend as WasmBackendLike | null)?.wasm;
  const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/** The wasm backend's heap with its allocator (for state that lives on the heap), or null when not reachable. */
export function wasmHeapOf(
  backend: unknown,
): { memory: WebAssembly.Memory; malloc(bytes: number): number; free(ptr: number): void } | null {
  const wasm = (backend as WasmBackendLike | null)?.wasm;
  const memory = wasmMemoryOf(backend);
  if (wasm == null || memory == null || typeof wasm._malloc !== 'function' || typeof wasm._free !== 'function') return null;
  const { _malloc: malloc, _free: free } = wasm as Required<WasmModuleLike>;
  return {
    memory,
    malloc: (bytes) => malloc.call(wasm, bytes) >>> 0,
    free: (ptr) => free.call(wasm, ptr),
  };
}

/** A backend that exposes its heap (tfjs-backend-wasm). */
export type HeapBackend = Pick<WasmBackendLike, 'typedArrayFromHeap' | 'makeOutput'>;

type TensorInfoMap = WeakMap<object, { backend?: unknown }>;

/** The backend that holds t's data (not necessarily tf.backend(): data moves lazily). */
export function backendOf(t: tf.Tensor): unknown {
  return (tf.engine().state.tensorInfo as TensorInfoMap).get(t.dataId)?.backend;
}

/** The backend holding t's data when it exposes its heap (tfjs-backend-wasm), else null. */
export function heapBackendOf(t: tf.Tensor): HeapBackend | null {
  const backend = backendOf(t) as Partial<HeapBackend> | undefined;
  if (backend != null && typeof backend.typedArrayFromHeap === 'function' && typeof backend.makeOutput === 'function') {
    return backend as HeapBackend;
  }
  return null;
}

/** A Float32Array view of t's data on the wasm heap: valid until the next heap allocation (which may grow and detach it). */
export function heapView(backend: HeapBackend, t: tf.Tensor): Float32Array {
  return backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }) as Float32Array;
}

/** A tensor that owns a fresh output buffer on the wasm heap (contents undefined). */
export function heapOutput(backend: HeapBackend, shape: number[], dtype: 'float32' | 'int32'): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(backend.makeOutput(shape, dtype) as tf.TensorInfo, backend as unknown as tf.KernelBackend);
}

/**
 * A tensor's values as a typed array, read through the engine from whichever
 * backend owns the data (tfjs-node: one copy out of TensorFlow; webgl and
 * webgpu: one synchronous read from the GPU, which the backend then keeps on
 * the CPU). int32 data comes back as Int32Array.
 */
export function readValues(info: TensorInfoLike): TypedArray {
  const v = tf.engine().readSync(info.dataId) as TypedArray;
  return (info.dtype === 'int32' && !(v instanceof Int32Array) ? Int32Array.from(v as ArrayLike<number>) : v) as TypedArray;
}

/**
 * Whether tf.tensor(values) on this backend copies `values` (wasm: into its
 * heap) rather than keeping the array itself as the tensor's data (cpu; and
 * tfjs-node, which even shares it with tensors derived from it, such as
 * reshapes). An array a backend keeps must never be written again.
 */
export function tensorCopiesValues(backendName: string): boolean {
  return backendName === 'wasm';
}

/**
 * Whether TensorScatterUpdate on this backend writes a new buffer.
 * tfjs-backend-cpu's (4.22) writes the updates into its input tensor's own
 * array and returns that array, which would change every tensor sharing the
 * input's data.
 */
export function scatterUpdateCopies(backendName: string): boolean {
  return backendName === 'tensorflow' || backendName === 'wasm';
}
