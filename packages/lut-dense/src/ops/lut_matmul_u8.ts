import * as tf from '@tensorflow/tfjs-core';
import { runKernel } from '@hashlayers/core/internal';
import { lutMatMulU8Kernel } from '../kernels/lut_matmul_u8.js';

/**
 * The quantized look-up product of a LUTDense layer (its hot path, parameters
 * checked where they entered the layer): x [N, D] encoded with the trees,
 * the 8-bit entries of the packed tables [C, M, 4] int32 summed exactly,
 * then · scale + offset (+ bias): [N, M] float32. One kernel, WebAssembly
 * SIMD on every backend (see lutMatMulU8Kernel).
 */
export function lutMatMulU8Unchecked(
  x: tf.Tensor2D,
  splitDims: tf.Tensor,
  thresholds: tf.Tensor,
  tables: tf.Tensor,
  scale: tf.Tensor,
  offset: tf.Tensor,
  bias: tf.Tensor | null,
): tf.Tensor2D {
  return runKernel(lutMatMulU8Kernel, { x, splitDims, thresholds, tables, scale, offset, bias: bias ?? offset }, { useBias: bias != null })[0] as tf.Tensor2D;
}
