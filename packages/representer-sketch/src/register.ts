import * as tf from '@tensorflow/tfjs-core';
import { registerKernelSpec } from '@hashlayers/core/internal';
import { sketchLookupGradConfig } from './gradients/SketchLookup_grad.js';
import { sketchPredictGradConfig } from './gradients/SketchPredict_grad.js';
import { sketchCodesKernel } from './kernels/sketch_codes.js';
import { sketchLookupKernel } from './kernels/sketch_lookup.js';
import { sketchPredictKernel } from './kernels/sketch_predict.js';
import { sketchRowGradKernel } from './kernels/sketch_row_grad.js';
import { sketchScatterKernel } from './kernels/sketch_scatter.js';

/*
 * Registers every kernel and gradient of this package on import (of the
 * package index); nothing registers per call. Each step is idempotent, so a
 * second copy of the package (ESM beside CJS) is harmless. Kernels: one
 * KernelSpec each, for every backend through @hashlayers/core's adapters.
 */
registerKernelSpec(sketchCodesKernel);
registerKernelSpec(sketchPredictKernel);
registerKernelSpec(sketchLookupKernel);
registerKernelSpec(sketchScatterKernel);
registerKernelSpec(sketchRowGradKernel);
if (tf.getGradient(sketchLookupGradConfig.kernelName) == null) tf.registerGradient(sketchLookupGradConfig);
if (tf.getGradient(sketchPredictGradConfig.kernelName) == null) tf.registerGradient(sketchPredictGradConfig);
