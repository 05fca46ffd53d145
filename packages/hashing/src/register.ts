import * as tf from '@tensorflow/tfjs-core';
import { gatherDotGradConfig } from './gradients/GatherDot_grad.js';
import { candidateTopKKernel } from './kernels/candidate_top_k.js';
import { dwtaHashKernel } from './kernels/dwta_hash.js';
import { gatherDotKernel, gatherWeightedSumKernel, scatterOuterAddKernel } from './kernels/gather_dot.js';
import { registerKernelSpec } from '@hashlayers/core/internal';
import { packSignBitsKernel } from './kernels/pack_sign_bits.js';
import { retrieveCandidatesKernel } from './kernels/retrieve_candidates.js';
import { wtaHashKernel } from './kernels/wta_hash.js';
import { unsortedSegmentSumKernel } from './kernels/unsorted_segment_sum.js';

/*
 * Registers every kernel and gradient of this package on import (of the
 * package or its internal entry); nothing registers per call. Each step is
 * idempotent, so a second copy of the package (ESM beside CJS) is harmless.
 * Kernels: one KernelSpec each, for cpu, wasm and tensorflow (see
 * @hashlayers/core's adapters).
 */
registerKernelSpec(packSignBitsKernel);
registerKernelSpec(wtaHashKernel);
registerKernelSpec(dwtaHashKernel);
registerKernelSpec(gatherDotKernel);
registerKernelSpec(gatherWeightedSumKernel);
registerKernelSpec(scatterOuterAddKernel);
registerKernelSpec(retrieveCandidatesKernel);
registerKernelSpec(candidateTopKKernel);
if (tf.getGradient(gatherDotGradConfig.kernelName) == null) tf.registerGradient(gatherDotGradConfig);
// polyfill: lets the gradient of tf.gather (embeddings) run on wasm
registerKernelSpec(unsortedSegmentSumKernel, ['wasm']);
