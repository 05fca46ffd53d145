import * as tf from '@tensorflow/tfjs-core';
import { runKernel } from '@hashlayers/core/internal';
import { sketchCodesKernel } from '../kernels/sketch_codes.js';
import { SketchPredictAttrs, sketchPredictKernel } from '../kernels/sketch_predict.js';
import { sketchRowGradKernel } from '../kernels/sketch_row_grad.js';
import { sketchScatterKernel } from '../kernels/sketch_scatter.js';

/**
 * Gradient of the fused sketch forward pass: the codes are recomputed (the forward kernel keeps
 * none), then the counts get a scatter-add (the output is linear in them) and the row weights a
 * gathered dot product. Codes are piecewise constant, so x, the projection and the thresholds
 * get zero; packed (quantized) counts are not trainable and get zero too.
 */
export const sketchPredictGradConfig: tf.GradConfig = {
  kernelName: sketchPredictKernel.kernelName,
  inputsToSave: ['x', 'plan', 'thresholds', 'denseT', 'counts', 'rowWeights', 'range'],
  gradFunc: (dy, saved, attrs) => {
    const [x, plan, thresholds, denseT, counts, rowWeights, range] = saved;
    const a = attrs as unknown as SketchPredictAttrs;
    const g = dy as tf.Tensor;
    const zeros = (t: tf.Tensor) => () => tf.zeros(t.shape, 'float32');
    const codes = () => runKernel(sketchCodesKernel, { x, plan, thresholds, denseT }, { rows: a.rows, bits: a.bits, dense: a.dense })[0];
    const w = () => (a.mean ? tf.fill([a.rows], 1 / a.rows) : rowWeights);
    return {
      x: zeros(x),
      plan: zeros(plan),
      thresholds: zeros(thresholds),
      denseT: zeros(denseT),
      range: zeros(range),
      counts: a.countBits !== 32
        ? zeros(counts)
        : () => tf.tidy(() => runKernel(sketchScatterKernel, { dy: g, codes: codes(), rowWeights: w() }, { cells: a.cells })[0]),
      rowWeights: a.countBits !== 32
        ? zeros(rowWeights)
        : () => tf.tidy(() => runKernel(sketchRowGradKernel, { dy: g, codes: codes(), counts }, {})[0]),
    };
  },
};
