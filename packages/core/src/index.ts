/**
 * @hashlayers/core: the ground floor of hashlayers. Its public surface is
 * what a user calls directly: the optimizers. The kernel machinery the other
 * packages share is in the unstable '@hashlayers/core/internal' entry.
 */
export { FusedAdamOptimizer, fusedAdam } from './optimizers/fused_adam.js';
export type { FusedAdamOptions } from './optimizers/fused_adam.js';
export { setWasmSimdKernels } from './simd/simd_memory.js';
export { setEngineThreads } from './simd/kernel_threads.js';
export type { RowSparseSource } from './optimizers/sparse_rows.js';
export type { ConversionResult } from './convert.js';
