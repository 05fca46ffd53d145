import * as tf from '@tensorflow/tfjs-core';
import { registerKernelSpec } from '@hashlayers/core/internal';
import { lutMatMulU8GradConfig } from './gradients/LutMatMulU8_grad.js';
import { lutSumGradConfig } from './gradients/LutSum_grad.js';
import { maddnessEncodeGradConfig } from './gradients/MaddnessEncode_grad.js';
import { lutMatMulU8Kernel } from './kernels/lut_matmul_u8.js';
import { lutSumKernel } from './kernels/lut_sum.js';
import { lutSumTableGradKernel } from './kernels/lut_sum_table_grad.js';
import { maddnessEncodeKernel } from './kernels/maddness_encode.js';

/*
 * Registers every kernel and gradient of this package on import (of the
 * package index); nothing registers per call. Each step is idempotent, so a
 * second copy of the package (ESM beside CJS) is harmless. Kernels: one
 * KernelSpec each, for every backend through @hashlayers/core's adapters.
 */
registerKernelSpec(maddnessEncodeKernel);
registerKernelSpec(lutSumKernel);
registerKernelSpec(lutSumTableGradKernel);
registerKernelSpec(lutMatMulU8Kernel);
for (const g of [lutSumGradConfig, maddnessEncodeGradConfig, lutMatMulU8GradConfig]) {
  if (tf.getGradient(g.kernelName) == null) tf.registerGradient(g);
}
