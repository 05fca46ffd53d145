import * as tf from '@tensorflow/tfjs-core';
import {
  CpuBackendLike,
  GpuBackendLike,
  NodeBackendLike,
  TensorInfoLike,
  TypedArray,
  WasmBackendLike,
  cpuValues,
  readValues,
  wasmMemoryOf,
} from '../backend/internals.js';
import { fail } from '../util/validate.js';
import { guardWasmFusedActivations } from '../backend/wasm_fused_activation.js';
import { scratch } from './scratch.js';

export type { TensorInfoLike, TypedArray } from '../backend/internals.js';

/**
 * A backend-neutral kernel: a typed-array implementation plus the shapes of
 * its outputs. Each backend family contributes only a data-access adapter
 * (how to read inputs and write outputs without needless copies); the
 * arithmetic is shared, so every backend gives the same bits.
 */
export interface OutputSpec {
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** What an adapter knows about where the arrays live. */
export interface KernelContext {
  /** wasm backend: the heap every input and output array is a view on (for kernels in WebAssembly). */
  wasmMemory?: WebAssembly.Memory;
}

export interface KernelSpec<A extends object> {
  kernelName: string;
  /** Names of the tensor inputs, in order. */
  inputNames: readonly string[];
  outputs(shapes: Record<string, number[]>, attrs: A): OutputSpec[];
  /**
   * Work buffers the kernel needs beside its outputs (on the wasm backend
   * they live on the heap, so WebAssembly kernels can use them); passed to
   * compute after the outputs, freed after the call, contents undefined on entry.
   */
  scratch?(shapes: Record<string, number[]>, attrs: A): OutputSpec[];
  /**
   * Inputs that are read-only weights, large and reused across calls (e.g. a
   * layer's kernel in inference): the tensorflow adapter keeps its JavaScript
   * copy per tensor (tfjs tensors are immutable) instead of copying it out of
   * TensorFlow on every call. The copy is released with the tensor.
   */
  cachedInputs?: readonly string[];
  /**
   * Fills every element of every output (outputs may hold garbage on entry:
   * the wasm heap is not zeroed). Must not allocate tensors.
   */
  compute(
    inputs: Record<string, TypedArray>,
    outputs: TypedArray[],
    shapes: Record<string, number[]>,
    attrs: A,
    context?: KernelContext,
  ): void;
}

/** How one backend family exposes tensor memory to a shared kernel. */
export interface BackendAdapter {
  backendName: string;
  run<A extends object>(
    spec: KernelSpec<A>,
    inputs: Record<string, TensorInfoLike>,
    backend: unknown,
    attrs: A,
  ): TensorInfoLike[];
}

function shapesOf(inputs: Record<string, TensorInfoLike>, names: readonly string[]) {
  const shapes: Record<string, number[]> = {};
  for (const n of names) shapes[n] = inputs[n].shape;
  return shapes;
}

function allocate(spec: OutputSpec): TypedArray {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  return spec.dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
}

/** cpu: inputs are read in place from the backend's typed arrays. */
export const cpuAdapter: BackendAdapter = {
  backendName: 'cpu',
  run(spec, inputs, backend, attrs) {
    const b = backend as CpuBackendLike;
    const shapes = shapesOf(inputs, spec.inputNames);
    const arrays: Record<string, TypedArray> = {};
    for (const n of spec.inputNames) arrays[n] = cpuValues(b, inputs[n]);
    const outSpecs = spec.outputs(shapes, attrs);
    const outs = outSpecs.map(allocate);
    spec.compute(arrays, [...outs, ...scratchArrays(spec, shapes, attrs)], shapes, attrs);
    return outSpecs.map((o, i) => b.makeTensorInfo(o.shape, o.dtype, outs[i]));
  },
};

/** A kernel's KernelSpec.scratch buffers on the JavaScript backends (cpu, tensorflow). */
function scratchArrays<A extends object>(spec: KernelSpec<A>, shapes: Record<string, number[]>, attrs: A): TypedArray[] {
  if (spec.scratch == null) return [];
  return spec.scratch(shapes, attrs).map((o, i) => {
    const size = o.shape.reduce((a, b) => a * b, 1);
    return o.dtype === 'int32' ? scratch(spec.kernelName, i, size, Int32Array) : scratch(spec.kernelName, i, size, Float32Array);
  });
}

/**
 * wasm: outputs are allocated on the heap first, then every view is taken
 * (an allocation can grow the heap and detach older views).
 */
export const wasmAdapter: BackendAdapter = {
  backendName: 'wasm',
  run(spec, inputs, backend, attrs) {
    const b = backend as WasmBackendLike;
    const shapes = shapesOf(inputs, spec.inputNames);
    const outInfos = spec.outputs(shapes, attrs).map((o) => b.makeOutput(o.shape, o.dtype));
    const scratchInfos = (spec.scratch?.(shapes, attrs) ?? []).map((o) => b.makeOutput(o.shape, o.dtype));
    try {
      const arrays: Record<string, TypedArray> = {};
      for (const n of spec.inputNames) arrays[n] = b.typedArrayFromHeap(inputs[n]);
      const outs = [...outInfos, ...scratchInfos].map((o) => b.typedArrayFromHeap(o));
      const memory = wasmMemoryOf(b);
      spec.compute(arrays, outs, shapes, attrs, memory != null ? { wasmMemory: memory } : {});
    } catch (e) {
      for (const o of outInfos) b.disposeData(o.dataId);
      throw e;
    } finally {
      for (const o of scratchInfos) b.disposeData(o.dataId);
    }
    return outInfos;
  },
};

/** JavaScript copies of cached inputs, per tensor data (dropped when the tensor's dataId is collected). */
const readCache = new WeakMap<object, TypedArray>();

/**
 * The inputs of a backend whose tensors are not JavaScript arrays
 * (tensorflow, webgl, webgpu): one read per input and call, except the
 * spec's cachedInputs, read once per tensor (tfjs tensors are immutable).
 */
function readInputs<A extends object>(spec: KernelSpec<A>, inputs: Record<string, TensorInfoLike>): Record<string, TypedArray> {
  const arrays: Record<string, TypedArray> = {};
  for (const n of spec.inputNames) {
    const cache = spec.cachedInputs?.includes(n) ?? false;
    const cached = cache ? readCache.get(inputs[n].dataId) : undefined;
    if (cached != null) {
      arrays[n] = cached;
      continue;
    }
    // a tensor made on another backend before switching is not registered with this one until
    // something moves it: readValues reads through the engine, from whichever backend owns it
    arrays[n] = readValues(inputs[n]);
    if (cache) readCache.set(inputs[n].dataId, arrays[n]);
  }
  return arrays;
}

/** Runs a spec on arrays read out of the backend; its outputs as fresh typed arrays. */
function computeOnReadback<A extends object>(
  spec: KernelSpec<A>,
  inputs: Record<string, TensorInfoLike>,
  attrs: A,
): { outSpecs: OutputSpec[]; outs: TypedArray[] } {
  const shapes = shapesOf(inputs, spec.inputNames);
  const arrays = readInputs(spec, inputs);
  const outSpecs = spec.outputs(shapes, attrs);
  const outs = outSpecs.map(allocate);
  spec.compute(arrays, [...outs, ...scratchArrays(spec, shapes, attrs)], shapes, attrs);
  return { outSpecs, outs };
}

/**
 * tensorflow (tfjs-node): tensors live in TensorFlow's memory; reading copies
 * once into JS, outputs are handed to the backend as typed arrays.
 */
export const tensorflowAdapter: BackendAdapter = {
  backendName: 'tensorflow',
  run(spec, inputs, backend, attrs) {
    const b = backend as NodeBackendLike;
    const { outSpecs, outs } = computeOnReadback(spec, inputs, attrs);
    return outSpecs.map((o, i) => ({ dataId: b.write(outs[i], o.shape, o.dtype), shape: o.shape, dtype: o.dtype }));
  },
};

/**
 * A GPU backend (webgl, webgpu): the sparse kernels (bucket unions,
 * candidate scoring, table look-ups) run on the CPU on the shared typed-array
 * computation (which uses the WebAssembly SIMD engine through simdArena where
 * the kernel has a SIMD path). Each call reads its inputs from the GPU once
 * (weights in cachedInputs once per tensor) and hands its outputs to the
 * backend as typed arrays, which the backend keeps on the CPU until a GPU op
 * needs them: a chain of hashlayers kernels never round-trips through the
 * GPU. The dense parts of a layer (projections, matMuls) are tfjs ops and
 * stay on the GPU.
 */
export function readbackAdapter(backendName: string): BackendAdapter {
  return {
    backendName,
    run(spec, inputs, backend, attrs) {
      const b = backend as GpuBackendLike;
      const { outSpecs, outs } = computeOnReadback(spec, inputs, attrs);
      return outSpecs.map((o, i) => b.makeTensorInfo(o.shape, o.dtype, outs[i]));
    },
  };
}

/** webgl (tfjs-backend-webgl): see readbackAdapter. */
export const webglAdapter = readbackAdapter('webgl');

/** webgpu (tfjs-backend-webgpu): see readbackAdapter. */
export const webgpuAdapter = readbackAdapter('webgpu');

export const ADAPTERS: readonly BackendAdapter[] = [cpuAdapter, wasmAdapter, tensorflowAdapter, webglAdapter, webgpuAdapter];

/** Kernel names registered through registerKernelSpec (for the unknown-backend error). */
const registered = new Set<string>();

/**
 * Registers a shared kernel for every backend family (or the named ones).
 * Idempotent; called once per kernel from a package's src/register.ts, on
 * import: nothing registers per call.
 */
export function registerKernelSpec<A extends object>(spec: KernelSpec<A>, backends?: readonly string[]): void {
  guardWasmFusedActivations();
  registered.add(spec.kernelName);
  for (const adapter of ADAPTERS) {
    if (backends != null && !backends.includes(adapter.backendName)) continue;
    if (tf.getKernel(spec.kernelName, adapter.backendName) != null) continue;
    tf.registerKernel({
      kernelName: spec.kernelName,
      backendName: adapter.backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const outs = adapter.run(
          spec,
          inputs as unknown as Record<string, TensorInfoLike>,
          backend,
          attrs as unknown as A,
        );
        return (outs.length === 1 ? outs[0] : outs) as unknown as tf.TensorInfo;
      },
    });
  }
}

/**
 * Runs a kernel registered by its package's register.ts and wraps its outputs
 * as tensors. On a backend hashlayers has no kernel for, throws an Error
 * naming the kernel and the backend (instead of tfjs' generic message).
 */
export function runKernel<A extends object>(
  spec: KernelSpec<A>,
  inputs: Record<string, tf.Tensor>,
  attrs: A,
): tf.Tensor[] {
  guardWasmFusedActivations(); // tfjs-backend-wasm may have been imported after the packages
  const backend = tf.getBackend();
  if (tf.getKernel(spec.kernelName, backend) == null) {
    fail(
      'backend',
      registered.has(spec.kernelName)
        ? `one of ${ADAPTERS.map((a) => `'${a.backendName}'`).join(', ')} for kernel '${spec.kernelName}'`
        : `kernel '${spec.kernelName}' registered (import its package so its register.ts runs)`,
      `'${backend}'`,
    );
  }
  const out = tf.engine().runKernel(
    spec.kernelName,
    inputs as unknown as tf.NamedTensorMap,
    attrs as unknown as tf.NamedAttrMap,
  ) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}
