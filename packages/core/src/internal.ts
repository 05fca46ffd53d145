/**
 * @hashlayers/core/internal — the machinery the other hashlayers packages
 * build on: kernel specs and backend adapters, the backend-internals module,
 * the WebAssembly SIMD engine and its memories, scratch memory, the Adam
 * update math (one Adam for every fitting loop), validation and the seeded RNG.
 *
 * UNSTABLE: this entry is for @hashlayers/* packages only. It is not covered
 * by semver and may change in any release; user code should import
 * '@hashlayers/core' (and the layer packages) instead.
 */
export { registerKernelSpec, runKernel, ADAPTERS } from './kernels/kernel_spec.js';
export type { KernelSpec, KernelContext, BackendAdapter, OutputSpec, TypedArray, TensorInfoLike } from './kernels/kernel_spec.js';
export { scratch } from './kernels/scratch.js';
export {
  backendOf,
  heapBackendOf,
  heapOutput,
  heapView,
  wasmHeapOf,
  wasmMemoryOf,
} from './backend/internals.js';
export type { HeapBackend } from './backend/internals.js';
export { guardWasmFusedActivations } from './backend/wasm_fused_activation.js';
export { lutSimdKernels, onHeap, simdKernels } from './simd/simd_module.js';
export type { LutSimdKernels, SimdKernels } from './simd/simd_module.js';
export { createSimdMemory, heapSimdMemory, PrivateSimdMemory, setWasmSimdKernels, SimdMemory, simdArena } from './simd/simd_memory.js';
export type { SimdScratch } from './simd/simd_memory.js';
export { adamConstants, adamDense, adamRows, betaPower } from './optimizers/adam_math.js';
export type { AdamConstants, AdamHyperparameters, FloatArray } from './optimizers/adam_math.js';
export { ClassRowEngine } from './engine/class_rows.js';
export { engineThreads, KernelThreads, setEngineThreads } from './simd/kernel_threads.js';
export type { KernelCall, ThreadedKernel } from './simd/kernel_threads.js';
export { SeededRandom, deriveSeed } from './util/rng.js';
export {
  assertFiniteArray,
  assertFiniteTensor,
  assertInt,
  assertMatrix,
  assertOneOf,
  fail,
  oneTensor,
} from './util/validate.js';
export { brandClass, featureDim, firstInputShape, hasBrand, isMultiInputShape, readDense } from './layers/layer_utils.js';
export type { DenseParts, LayerLike, ShapeLike } from './layers/layer_utils.js';
export {
  assertBoolean,
  assertKnownKeys,
  checkWeightList,
  checkWeightValue,
  configChecksum,
  guardWeight,
  LAYER_ARG_KEYS,
  valuesChecksum,
  verifyConfigChecksum,
} from './layers/weight_guard.js';
export type { GuardableVariable, WeightRule } from './layers/weight_guard.js';
