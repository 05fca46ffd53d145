import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ConversionResult } from '@hashlayers/core';
import { assertInt, assertMatrix, assertOneOf, fail } from '@hashlayers/core/internal';
import { CellFill, RepresenterSketch, RepresenterSketchArgs } from './layers/representer_sketch.js';
import { HeadCost, SizingReport, headCost, sizing } from './sizing.js';
import type { ProjectionKind } from './projection.js';
import { COUNT_BITS, CountBits } from './quantize.js';

type SymbolicTensor = tfl.SymbolicTensor;

export interface RefineOptions {
  epochs: number;
  batchSize?: number;
  /**
   * Adam learning rate (default 0.1: a count is updated only by the points that fall in its cell,
   * a few times per epoch, and Adam moves it by about the rate per update, while logits must move
   * by several units within the refinement's epochs; measured on MNIST: 0.02 → 0.05 → 0.1 gained
   * accuracy, 0.2 did not).
   */
  learningRate?: number;
  /**
   * 'outputs' (default): mean squared error to the head's outputs (distillation: the sketch
   * learns the head's function). 'labels': softmax cross-entropy to `labels` (the sketch's
   * outputs are read as logits). 'soft': softmax cross-entropy to softmax(head outputs)
   * (distillation with soft labels; use when the head outputs logits).
   */
  target?: 'outputs' | 'labels' | 'soft';
  /** Class ids [n] (int) for target 'labels'. */
  labels?: tf.Tensor;
  /** Called after each epoch with the epoch and its mean loss. */
  onEpochEnd?: (epoch: number, loss: number) => void;
}

/**
 * Options of convertToRepresenterSketch: where the head starts and the data
 * it is filled from, the sketch's layer options (rows, bits, seed,
 * projection, density, aggregation, name, ...), the insertion and the
 * optional refinement.
 */
export interface ConvertToRepresenterSketchOptions extends Omit<RepresenterSketchArgs, 'outputs' | 'rows'> {
  /**
   * R, rows of the sketch. Default: sized against the head it replaces, the largest power of two
   * from 8 to 256 whose sketch (with the chosen bits, countBits and projection) is at least 50x
   * smaller and needs at least 20x fewer operations than the head ({@link autoRows}); 8 when even
   * that is not (the report's sizing says so).
   */
  rows?: number;
  /** Name or index (into model.layers) of the layer whose output features feed the sketch; the layers after it are replaced. */
  headFrom: string | number;
  /** Training inputs of the model (the points inserted into the sketch). */
  data: tf.Tensor | tf.Tensor[];
  /** α_i [n, outputs]: the weights inserted per point (default: the model's outputs on `data`). */
  targets?: tf.Tensor2D;
  /**
   * 'cell-mean' (default): each cell holds the mean α of its points (per-row Nadaraya–Watson,
   * output on the scale of α). 'kde': RACE insertion of α_i / n, the layer then estimates
   * (1/n) Σ_i α_i k(x_i, q), the weighted kernel density of the paper's representer view.
   */
  insertion?: 'cell-mean' | 'kde';
  /** Subtract the mean feature vector before hashing (default true: features after ReLU all lie in one orthant). */
  center?: boolean;
  /** Refine the counts with model.fit after insertion. */
  refine?: RefineOptions;
  /** Batch size of the feature and target predictions (default 512). */
  batchSize?: number;
  /**
   * Bits per stored count in the converted model (default 8): after filling and refining the
   * float counts, they are quantized ({@link RepresenterSketch.quantize}); 32 keeps them float32
   * (and trainable).
   */
  countBits?: CountBits;
}

/** What convertToRepresenterSketch measured about the sketch it built. */
export interface RepresenterSketchReport {
  /** Bytes and multiply-adds of the sketch against the head it replaced. */
  sizing: SizingReport;
  /** Largest difference of any output from the float sketch's caused by quantizing the counts (the bound, scale/2 for the mean; 0 for countBits 32). */
  quantizationErrorBound: number;
  /** Points inserted and the fraction of cells they reached. */
  fill: CellFill;
  /** Mean loss per refinement epoch (empty without refinement). */
  refineLoss: number[];
}

/**
 * What convertToRepresenterSketch returns: `model` (model inputs → the
 * original feature layers, shared → the sketch), `layers` (the one new
 * RepresenterSketch) and `reports` (its RepresenterSketchReport).
 */
export type RepresenterSketchConversion = ConversionResult<tfl.LayersModel, RepresenterSketch, RepresenterSketchReport>;

function layerIndex(model: tfl.LayersModel, headFrom: string | number): number {
  const layers = model.layers;
  let idx: number;
  if (typeof headFrom === 'number') {
    idx = assertInt('headFrom', headFrom, 0, layers.length - 1);
  } else if (typeof headFrom === 'string') {
    idx = layers.findIndex((l) => l.name === headFrom);
    if (idx < 0) fail('headFrom', `one of the model's layer names (${layers.map((l) => `'${l.name}'`).join(', ')})`, `'${headFrom}'`);
  } else {
    return fail('headFrom', 'a layer name or index', headFrom);
  }
  if (idx === layers.length - 1) fail('headFrom', 'a layer before the last one (the head after it must be non-empty)', `'${layers[idx].name}', the last layer`);
  return idx;
}

/**
 * Converts a trained model: the layers after `headFrom` become one
 * {@link RepresenterSketch}. The training points' features are hashed and
 * their α_i (the head's outputs, or `targets`) inserted, then the counts are
 * optionally refined with model.fit (they are trainable weights and the
 * sketch is linear in them). The feature layers are shared with `model`.
 */
export async function convertToRepresenterSketch(model: tfl.LayersModel, options: ConvertToRepresenterSketchOptions): Promise<RepresenterSketchConversion> {
  if (!(model instanceof tfl.LayersModel)) fail('model', 'a tf.LayersModel', model);
  if (options == null || typeof options !== 'object') fail('options', 'an options object', options);
  if (model.outputs.length !== 1) fail('model', 'a model with one output', `${model.outputs.length} outputs`);
  const idx = layerIndex(model, options.headFrom);
  const featureLayer = model.layers[idx];
  const featureOut = featureLayer.output as SymbolicTensor;
  if (Array.isArray(featureOut) || featureOut.shape.length !== 2 || featureOut.shape[1] == null) {
    fail('headFrom', 'a layer with one output [batch, features]', Array.isArray(featureOut) ? 'several outputs' : `shape [${featureOut.shape.join(', ')}]`);
  }
  const outShape = model.outputs[0].shape;
  if (outShape.length !== 2 || outShape[1] == null) fail('model', 'an output [batch, outputs]', `shape [${outShape.join(', ')}]`);
  const outputs = outShape[1] as number;
  const dim = featureOut.shape[1] as number;
  const insertion = assertOneOf('insertion', options.insertion ?? 'cell-mean', ['cell-mean', 'kde']);
  const batchSize = assertInt('batchSize', options.batchSize ?? 512, 1);
  const data = Array.isArray(options.data) ? options.data : [options.data];
  if (data.length !== model.inputs.length || data.some((t) => !(t instanceof tf.Tensor))) {
    fail('data', `${model.inputs.length} tensor(s), one per model input`, options.data);
  }
  data.forEach((t, i) => {
    const want = model.inputs[i].shape;
    if (t.rank !== want.length || want.some((s, k) => k > 0 && s != null && s !== t.shape[k]) || t.shape[0] === 0) {
      fail(data.length > 1 ? `data[${i}]` : 'data', `a non-empty tensor of shape [${want.map((s) => s ?? 'n').join(', ')}]`, t);
    }
  });
  const n = data[0].shape[0];
  if (options.targets != null) assertMatrix('targets', options.targets, { rows: n, cols: outputs });
  const refine = options.refine;
  if (refine != null) {
    if (typeof refine !== 'object') fail('refine', 'an options object', refine);
    assertInt('refine.epochs', refine.epochs, 0);
    // a negative rate is gradient ascent, NaN makes every count NaN
    if (refine.learningRate != null && !(typeof refine.learningRate === 'number' && refine.learningRate > 0 && Number.isFinite(refine.learningRate))) {
      fail('refine.learningRate', 'a finite positive number', refine.learningRate);
    }
    if (refine.batchSize != null) assertInt('refine.batchSize', refine.batchSize, 1);
    assertOneOf('refine.target', refine.target ?? 'outputs', ['outputs', 'labels', 'soft']);
    if ((refine.target ?? 'outputs') === 'labels') {
      const y = refine.labels;
      if (!(y instanceof tf.Tensor) || y.size !== n) fail('refine.labels', `class ids [${n}]`, y);
      const v = y.dataSync();
      for (let i = 0; i < n; i++) if (!Number.isInteger(v[i]) || v[i] < 0 || v[i] >= outputs) fail('refine.labels', `integer class ids in [0, ${outputs})`, `${v[i]} at ${i}`);
    }
  }
  const countBits = options.countBits ?? 8;
  if (!COUNT_BITS.includes(countBits)) fail('countBits', `one of ${COUNT_BITS.join(', ')}`, countBits);
  const args: RepresenterSketchArgs = { ...options, outputs, countBits: 32 } as RepresenterSketchArgs;
  for (const k of ['headFrom', 'data', 'targets', 'insertion', 'center', 'refine', 'batchSize'] as const) delete (args as unknown as Record<string, unknown>)[k];
  if (countBits !== 32) args.name = options.name != null ? `${options.name}_float` : undefined;
  const head = headCost(model.layers.slice(idx + 1));
  if (options.rows == null) {
    args.rows = autoRows(head, { dim, outputs, bits: options.bits ?? 4, countBits, projection: options.projection ?? 'sparse', density: options.density ?? null });
  }
  const sketch = new RepresenterSketch(args);

  const features = tfl.model({ inputs: model.inputs, outputs: featureOut });
  const x = data.length === 1 ? data[0] : data;
  const feats = features.predict(x, { batchSize }) as tf.Tensor2D;
  const targets = options.targets ?? (model.predict(x, { batchSize }) as tf.Tensor2D);
  const refineLoss: number[] = [];
  let fill: CellFill;
  let out: SymbolicTensor;
  try {
    // built through apply, so its weights are scoped by the layer name (needed by loadLayersModel)
    out = sketch.apply(featureOut) as SymbolicTensor;
    if (options.center ?? true) {
      const mean = tf.mean(feats, 0) as tf.Tensor1D;
      sketch.setCenter(mean);
      mean.dispose();
    }
    if (insertion === 'cell-mean') {
      fill = sketch.fitCellMeans(feats, targets);
    } else {
      const scaled = tf.div(targets, n) as tf.Tensor2D;
      fill = sketch.insert(feats, scaled);
      scaled.dispose();
    }
    if (refine != null && refine.epochs > 0) {
      const input = tfl.input({ shape: [dim] });
      const fitModel = tfl.model({ inputs: input, outputs: sketch.apply(input) as SymbolicTensor });
      const mode = refine.target ?? 'outputs';
      const byLabels = mode === 'labels';
      const loss = mode !== 'outputs'
        ? (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred)
        : 'meanSquaredError';
      fitModel.compile({ optimizer: tf.train.adam(refine.learningRate ?? 0.1), loss });
      const y = byLabels
        ? tf.tidy(() => tf.oneHot(tf.cast(tf.reshape(refine.labels as tf.Tensor, [-1]), 'int32') as tf.Tensor1D, outputs))
        : mode === 'soft'
          ? tf.softmax(targets)
          : targets;
      try {
        const cb = new tfl.CustomCallback({
          onEpochEnd: async (epoch, logs) => {
            const l = Number(logs?.loss);
            refineLoss.push(l);
            refine.onEpochEnd?.(epoch, l);
          },
        });
        await fitModel.fit(feats, y, { epochs: refine.epochs, batchSize: refine.batchSize ?? 128, shuffle: true, verbose: 0, callbacks: [cb] });
      } finally {
        if (y !== targets) y.dispose();
        (fitModel.optimizer as tf.Optimizer | undefined)?.dispose();
        // the refinement model holds a reference to the sketch (apply counts one per model): release it, so
        // sketch.dispose() (or the converted model's) frees the weights
        fitModel.dispose();
      }
    }
  } finally {
    feats.dispose();
    if (targets !== options.targets) targets.dispose();
  }
  let final = sketch;
  let quantizationErrorBound = 0;
  if (countBits !== 32) {
    final = sketch.quantize(countBits, options.name);
    out = final.apply(featureOut) as SymbolicTensor;
    const [scale] = (final.countsRange as NonNullable<RepresenterSketch['countsRange']>).read().dataSync();
    const w = final.aggregationWeights();
    const wv = w.dataSync();
    w.dispose();
    let wAbs = 0;
    for (let r = 0; r < wv.length; r++) wAbs += Math.abs(wv[r]);
    quantizationErrorBound = (scale / 2) * wAbs;
    sketch.dispose();
  }
  const converted = tfl.model({ inputs: model.inputs, outputs: out });
  const report = sizing(final, head);
  return { model: converted, layers: [final], reports: [{ sizing: report, quantizationErrorBound, fill, refineLoss }] };
}

/** What autoRows needs to know about the sketch. */
export interface AutoRowsOptions {
  dim: number;
  outputs: number;
  bits: number;
  countBits: CountBits;
  projection: ProjectionKind;
  density: number | null;
}

/**
 * The default R of a conversion: the largest power of two from 8 to 256 whose sketch is at least
 * `storage`x (default 50) smaller than the head (counts, center, scale and offset, and ~400 bytes of
 * config) and needs at least `compute`x (default 20) fewer operations per query (expected non-zero
 * projection entries, R·K comparisons, R·outputs additions); 8 if none is. More rows only lower the
 * variance of the estimate, so the largest R within the budget is the most accurate.
 */
export function autoRows(head: HeadCost, o: AutoRowsOptions, { storage = 50, compute = 20 } = {}): number {
  const density = o.projection === 'sparse' ? (o.density ?? Math.min(1 / 3, 1 / Math.sqrt(o.dim))) : 1;
  for (let rows = 256; rows >= 8; rows /= 2) {
    const cells = rows * 2 ** o.bits * o.outputs;
    const bytes = (o.countBits === 32 ? cells * 4 : Math.ceil((cells * o.countBits) / 32) * 4 + 8) + 4 * o.dim + 400;
    const ops = density * o.dim * rows * o.bits + rows * o.bits + rows * o.outputs + o.outputs;
    if (bytes * storage <= head.bytes && ops * compute <= head.multiplyAdds) return rows;
  }
  return 8;
}
