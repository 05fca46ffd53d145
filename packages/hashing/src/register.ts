import { registerGatherDotGradient } from './gradients/gather_dot_grad.js';
import { candidateTopKKernel } from './kernels/candidate_top_k.js';
import { dwtaHashKernel } from './kernels/dwta_hash.js';
import { gatherDotKernel, gatherWeightedSumKernel, scatterOuterAddKernel } from './kernels/gather_dot.js';
import { registerKernelSpec } from './kernels/kernel_spec.js';
import { packSignBitsKernel } from './kernels/pack_sign_bits.js';
import { retrieveCandidatesKernel } from './kernels/retrieve_candidates.js';
import { wtaHashKernel } from './kernels/wta_hash.js';
import { unsortedSegmentSumKernel } from './kernels/unsorted_segment_sum.js';

/** Registers every kernel of this package for cpu, wasm and tensorflow (runs on import). */
export function registerHashingKernels(): void {
  registerKernelSpec(packSignBitsKernel);
  registerKernelSpec(wtaHashKernel);
  registerKernelSpec(dwtaHashKernel);
  registerKernelSpec(gatherDotKernel);
  registerKernelSpec(gatherWeightedSumKernel);
  registerKernelSpec(scatterOuterAddKernel);
  registerKernelSpec(retrieveCandidatesKernel);
  registerKernelSpec(candidateTopKKernel);
  registerGatherDotGradient();
  // polyfill: lets the gradient of tf.gather (embeddings) run on wasm
  registerKernelSpec(unsortedSegmentSumKernel, ['wasm']);
}

registerHashingKernels();
