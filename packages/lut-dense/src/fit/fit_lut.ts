import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fail, readDense } from '@hashlayers/core/internal';
import { LUTDense, SoftAssignment } from '../layers/lut_dense.js';
import { InputGradient } from '../ops/lut_matmul.js';
import { checkFitOptions, FitLUTOptions } from './solve_lut.js';

export interface FitLUTLayerOptions extends FitLUTOptions {
  /** Gradient of the new layer with respect to its input (default 'none'). */
  inputGradient?: InputGradient;
  /** Keep the dense kernel as a weight of the new layer (default false, true for 'ste'). */
  keepKernel?: boolean;
  /** Name of the new layer (default `<dense name>_lut`). */
  name?: string;
  /** Give the new layer soft-assignment weights and start it in 'soft' mode (LUT-NN fine-tuning). */
  soft?: boolean;
  /** With soft: what is made soft ('prototypes', default, or 'tree'). */
  softAssignment?: SoftAssignment;
}

/**
 * Builds a layer inside its name scope (as Layer.apply does), so its weights
 * are named '<layer>/<weight>' and model.save / loadLayersModel match them.
 */
export function buildInScope(layer: tfl.layers.Layer, inputDim: number): void {
  const x = tf.zeros([1, inputDim]);
  const y = layer.apply(x) as tf.Tensor;
  tf.dispose([x, y]);
}

/**
 * Learns a LUTDense layer that replaces the trained `dense` layer, from
 * `inputs` [N, D] (the activations that reach that layer): one balanced
 * tree per codebook, the prototypes and the table (see FitLUTOptions).
 * The new layer is built, not yet applied to a symbolic input. The one
 * per-layer step of convertToLUTDense (not public: a user converts a model,
 * or re-fits a layer with LUTDense.fitTables).
 */
export function fitLUTDense(dense: tfl.layers.Layer, inputs: tf.Tensor2D, options: FitLUTLayerOptions): LUTDense {
  const parts = readDense(dense);
  const d = parts.kernel.shape[0];
  checkFitOptions(options, d, parts.activation);
  if (!(inputs instanceof tf.Tensor) || inputs.rank !== 2 || inputs.shape[1] !== d || inputs.dtype !== 'float32') {
    fail('inputs', `a float32 tensor [N, ${d}]`, inputs);
  }
  const layer = new LUTDense({
    units: parts.units,
    codebooks: options.codebooks,
    activation: parts.activation as LUTDense['activation'],
    useBias: parts.bias != null,
    quantized: options.quantize ?? false,
    inputGradient: options.inputGradient,
    keepKernel: options.keepKernel,
    soft: options.soft,
    softAssignment: options.softAssignment,
    name: options.name ?? `${dense.name}_lut`,
  });
  buildInScope(layer, d);
  try {
    const { soft, softAssignment: _s, ...fitOptions } = options;
    layer.fitTables(inputs, { ...fitOptions, kernel: parts.kernel, bias: parts.bias });
    if (soft) layer.initSoftAssignment(inputs);
  } catch (e) {
    layer.dispose();
    throw e;
  }
  return layer;
}
