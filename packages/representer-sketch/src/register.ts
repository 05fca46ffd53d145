import { registerKernelSpec } from '@hashlayers/core/internal';
import { registerSketchLookupGradient } from './gradients/sketch_lookup_grad.js';
import { sketchLookupKernel } from './kernels/sketch_lookup.js';
import { sketchRowGradKernel } from './kernels/sketch_row_grad.js';
import { sketchScatterKernel } from './kernels/sketch_scatter.js';

/** Registers the count-array kernels (cpu, wasm, tensorflow) and the lookup gradient (runs on import). */
export function registerRepresenterSketchKernels(): void {
  registerKernelSpec(sketchLookupKernel);
  registerKernelSpec(sketchScatterKernel);
  registerKernelSpec(sketchRowGradKernel);
  registerSketchLookupGradient();
}

registerRepresenterSketchKernels();
