import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ConversionResult } from '@hashlayers/core';
import { assertBoolean, assertInt, assertKnownKeys, fail, readDense } from '@hashlayers/core/internal';
import { buildInScope, fitLUTDense } from './fit/fit_lut.js';
import { FitLUTOptions, FitReport } from './fit/solve_lut.js';
import { LUTDense, SoftAssignment } from './layers/lut_dense.js';
import { quantizeTables } from './fit/quantize.js';
import { InputGradient } from './ops/lut_matmul.js';

type SymbolicTensor = tfl.SymbolicTensor;

/**
 * Options of convertToLUTDense: which Dense layers, C per layer, the data
 * their inputs are collected from, and the fit (objective, partition,
 * quantize, lambda, refine, splitCandidates, klSteps, klLearningRate) and
 * layer options (inputGradient, keepKernel) of every new layer.
 */
export interface ConvertToLUTDenseOptions extends Omit<FitLUTOptions, 'codebooks' | 'targetInputs'> {
  /** The Dense layers to replace, by name or index in model.layers (default: every Dense layer). */
  layers?: (string | number)[];
  /** C per replaced layer: one number for all, or one per entry of `layers`. */
  codebooks: number | number[];
  /** Model inputs [N, ...] from which each replaced layer's inputs are collected. */
  data: tf.Tensor;
  /**
   * Where a layer's fitting inputs come from: 'current' (default), the network
   * with the earlier layers already replaced (so each table also absorbs the
   * error upstream, as in McCarter & Dronen), or 'original'. With 'current'
   * and objective 'mse' or 'kl', the targets are the original network's
   * outputs of the layer (targetInputs from the original network).
   */
  collectFrom?: 'current' | 'original';
  /**
   * false: do not fit now; the new layers keep the dense kernel and compute
   * x·W + b ('dense' mode) until a ProgressiveLUTReplacement callback (or
   * layer.fitTables) fits them. Default true.
   */
  fit?: boolean;
  /** Batch size of the collection passes (default 512). */
  batchSize?: number;
  /** Gradient of the new layers with respect to their input (default 'none'; see LUTDenseArgs). */
  inputGradient?: InputGradient;
  /** Keep the dense kernel as a weight of the new layers (default false; true for 'ste' and with fit: false). */
  keepKernel?: boolean;
  /**
   * LUT-NN fine-tuning (default false): each new layer, once fitted, gets learned prototypes
   * (its leaves' means) and starts in 'soft' mode, differentiable in its input, prototypes and
   * tables; train with model.fit and a SoftLUTAnnealing callback, which lowers the temperature
   * and hardens the layers back into trees at the end. Needs fit: true and float tables.
   */
  soft?: boolean;
  /**
   * With soft: what is made soft. 'prototypes' (default): LUT-NN's softmax over the distances to
   * learned prototypes, hardened by fitting new trees to them. 'tree': the layer's own trees, each
   * node a sigmoid of (x − threshold); thresholds and tables learn and hardening keeps them exactly.
   */
  softAssignment?: SoftAssignment;
}

/**
 * What convertToLUTDense returns: `model`, the new model; `layers`, the new
 * LUTDense layers in the order of `options.layers`; `reports`, their
 * FitReports in the same order (empty with `fit: false`: each layer's report
 * is then its `fitReport` once ProgressiveLUTReplacement or fitTables fits
 * it, also recorded in the callback's `events`).
 */
export type LUTDenseConversion = ConversionResult<tfl.LayersModel, LUTDense, FitReport>;

const CONVERT_KEYS = [
  'layers',
  'codebooks',
  'data',
  'collectFrom',
  'fit',
  'batchSize',
  'inputGradient',
  'keepKernel',
  'soft',
  'softAssignment',
  'objective',
  'partition',
  'quantize',
  'lambda',
  'refine',
  'splitCandidates',
  'klSteps',
  'klLearningRate',
];

interface ChainLink {
  layer: tfl.layers.Layer;
  /** The symbolic input of the layer in this model (a layer shared with other models has several). */
  input: SymbolicTensor;
}

/** The layers of a chain model (each applied, in this model, to the previous one's output). */
function chainLayers(model: tfl.LayersModel): ChainLink[] {
  if (model == null || !Array.isArray(model.layers)) fail('model', 'a tf.LayersModel', model);
  if (model.inputs.length !== 1 || model.outputs.length !== 1) fail('model', 'a model with one input and one output', `${model.inputs.length} inputs, ${model.outputs.length} outputs`);
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const links: ChainLink[] = [];
  let prevOutput: SymbolicTensor = model.inputs[0];
  for (const l of layers) {
    const node = l.inboundNodes.find((nd) => nd.inputTensors.length === 1 && nd.inputTensors[0] === prevOutput);
    if (node == null) fail('model', 'a chain of layers (sequential; each layer applied once to the previous output)', `layer '${l.name}'`);
    links.push({ layer: l, input: prevOutput });
    prevOutput = node.outputTensors[0];
  }
  if (prevOutput !== model.outputs[0]) fail('model', 'a chain of layers ending at the model output', `output '${model.outputs[0].name}'`);
  return links;
}

function predictBatched(m: tfl.LayersModel, data: tf.Tensor, batchSize: number): tf.Tensor2D {
  const out = m.predict(data, { batchSize }) as tf.Tensor;
  if (out.rank === 2) return out as tf.Tensor2D;
  const r = tf.reshape(out, [-1, out.shape[out.rank - 1]]) as tf.Tensor2D;
  out.dispose();
  return r;
}

/**
 * Converts a trained model: returns a new model in which the chosen Dense
 * layers of a chain model (Sequential or a functional chain) are replaced by
 * LUTDense layers fitted on the inputs that `data` produces at each of them
 * (or, with `fit: false`, kept exact in 'dense' mode for
 * ProgressiveLUTReplacement). The other layers are shared with `model` (same
 * weight variables): training the new model also changes them in the
 * original. Nothing is changed in `model`, and no new layer survives, when
 * it throws.
 */
export async function convertToLUTDense(model: tfl.LayersModel, options: ConvertToLUTDenseOptions): Promise<LUTDenseConversion> {
  const links = chainLayers(model);
  const layers = links.map((k) => k.layer);
  if (options == null || typeof options !== 'object') fail('options', 'an object with codebooks and data', options);
  // a misspelt option would otherwise be ignored silently (e.g. 'quantise': float tables where 8-bit were asked for)
  assertKnownKeys('options', options, CONVERT_KEYS);
  const chosenSpec = options.layers ?? layers.filter((l) => l.getClassName() === 'Dense').map((l) => l.name);
  if (!Array.isArray(chosenSpec) || chosenSpec.length === 0) fail('layers', 'a non-empty array of Dense layer names or indices', chosenSpec);
  const chosen = chosenSpec.map((s) => {
    const l = typeof s === 'number' ? model.layers[s] : layers.find((x) => x.name === s);
    if (l == null || !layers.includes(l)) fail('layers', `names or indices of layers of the model`, typeof s === 'string' ? `'${s}'` : s);
    if (l.getClassName() !== 'Dense') fail('layers', 'Dense layers only', `'${l.name}' (${l.getClassName()})`);
    return l;
  });
  if (new Set(chosen).size !== chosen.length) fail('layers', 'distinct layers', chosenSpec);
  const cbs = Array.isArray(options.codebooks) ? options.codebooks : chosen.map(() => options.codebooks as number);
  if (cbs.length !== chosen.length) fail('codebooks', `one number, or ${chosen.length} (one per layer)`, options.codebooks);
  chosen.forEach((l, i) => assertInt('codebooks', cbs[i], 1, readDense(l, { arg: 'layers' }).kernel.shape[0]));
  if (!(options.data instanceof tf.Tensor) || options.data.isDisposed) fail('data', 'a tf.Tensor of model inputs', options.data);
  const collectFrom = options.collectFrom ?? 'current';
  const doFit = options.fit ?? true;
  const batchSize = assertInt('batchSize', options.batchSize ?? 512, 1);
  const soft = assertBoolean('soft', options.soft, false);
  if (options.softAssignment != null && !soft) fail('softAssignment', 'nothing without soft: true', options.softAssignment);
  if (soft && !doFit) fail('soft', 'false with fit: false (soft layers start from fitted trees)', true);
  if (soft && options.quantize) fail('soft', 'false with quantize: true (soft assignment trains float tables; quantize after hardening)', true);

  const input = tfl.input({ shape: model.inputs[0].shape.slice(1) as number[], dtype: model.inputs[0].dtype });
  let x: SymbolicTensor = input;
  const replaced: LUTDense[] = [];
  const reports: FitReport[] = [];
  try {
    for (const l of layers) {
      const at = chosen.indexOf(l);
      if (at < 0) {
        x = l.apply(x) as SymbolicTensor;
        continue;
      }
      const parts = readDense(l, { arg: 'layers' });
      const cb = cbs[at];
      let lut: LUTDense;
      if (doFit) {
        const origInput = links[layers.indexOf(l)].input;
        const src = collectFrom === 'current' ? tfl.model({ inputs: input, outputs: x }) : tfl.model({ inputs: model.inputs, outputs: origInput });
        const xs = predictBatched(src, options.data, batchSize);
        // 'mse' / 'kl' behind replaced layers: fit to what the original network computes here
        const needTarget = collectFrom === 'current' && replaced.some((r) => r != null) && (options.objective === 'mse' || options.objective === 'kl');
        const orig = needTarget ? predictBatched(tfl.model({ inputs: model.inputs, outputs: origInput }), options.data, batchSize) : undefined;
        try {
          lut = fitLUTDense(l, xs, { ...options, codebooks: cb, name: `${l.name}_lut`, targetInputs: orig, soft, softAssignment: options.softAssignment });
        } finally {
          tf.dispose([xs, ...(orig ? [orig] : [])]);
        }
        reports[at] = lut.fitReport as FitReport; // in the order of options.layers, as `layers`
      } else {
        lut = new LUTDense({
          units: parts.units,
          codebooks: cb,
          activation: parts.activation as LUTDense['activation'],
          useBias: parts.bias != null,
          inputGradient: options.inputGradient,
          quantized: false,
          keepKernel: true,
          mode: 'dense',
          name: `${l.name}_lut`,
        });
        buildInScope(lut, parts.kernel.shape[0]);
        (lut.kernel as NonNullable<LUTDense['kernel']>).write(parts.kernel);
        if (parts.bias && lut.bias) lut.bias.write(parts.bias);
      }
      replaced[at] = lut;
      x = lut.apply(x) as SymbolicTensor;
    }
  } catch (e) {
    replaced.forEach((r) => r?.dispose());
    throw e;
  }
  return { model: tfl.model({ inputs: input, outputs: x }), layers: replaced, reports };
}

/** What quantizeLUTDense reports per new layer. */
export interface QuantizationReport {
  /** The name of the float LUTDense layer that was quantized. */
  layer: string;
  /** C of that layer. */
  codebooks: number;
  /** Per output, the bound on |8-bit output − float output| before the activation: C · scale / 2. */
  errorBound: Float32Array;
}

/**
 * Quantizes the float LUTDense layers of a chain model (e.g. after
 * fine-tuning with ProgressiveLUTReplacement): returns a new model in which
 * each LUTDense layer with float tables in 'lut' mode is replaced by a
 * quantized LUTDense with the same trees, bias and activation, and its
 * tables rounded to 8 bits (per output a scale, per codebook and output an
 * offset), which runs the WebAssembly SIMD look-up kernel on every backend.
 * The other layers are shared with `model`; `model` is not changed.
 * `layers` and `reports` follow the order of the replaced layers in the model.
 */
export async function quantizeLUTDense(model: tfl.LayersModel): Promise<ConversionResult<tfl.LayersModel, LUTDense, QuantizationReport>> {
  const links = chainLayers(model);
  const targets = links.map((k) => k.layer).filter((l): l is LUTDense => l instanceof LUTDense && !l.quantized);
  if (targets.length === 0) fail('model', 'a chain model with at least one LUTDense layer with float tables', 'none');
  const dense = targets.find((l) => l.mode !== 'lut');
  if (dense != null) fail('model', "LUTDense layers in 'lut' mode (fit them first; harden soft ones)", `'${dense.name}' in '${dense.mode}' mode`);
  const input = tfl.input({ shape: model.inputs[0].shape.slice(1) as number[], dtype: model.inputs[0].dtype });
  let x: SymbolicTensor = input;
  const replaced: LUTDense[] = [];
  const reports: QuantizationReport[] = [];
  try {
    for (const { layer } of links) {
      if (!targets.includes(layer as LUTDense)) {
        x = layer.apply(x) as SymbolicTensor;
        continue;
      }
      const f = layer as LUTDense;
      const p = f.getLUT();
      const q = quantizeTables(p.tables, f.codebooks, f.units);
      const lut = new LUTDense({
        units: f.units,
        codebooks: f.codebooks,
        activation: f.activation,
        useBias: f.useBias,
        quantized: true,
        seed: f.seed,
        name: `${f.name}_q`,
      });
      replaced.push(lut);
      buildInScope(lut, f.inputDim);
      lut.setLUT({ splitDims: p.splitDims, thresholds: p.thresholds, tables: q.q, scale: q.scale, offset: q.offset });
      if (f.bias != null && lut.bias != null) lut.bias.write((f.bias as NonNullable<LUTDense['bias']>).read());
      reports.push({ layer: f.name, codebooks: f.codebooks, errorBound: q.errorBound });
      x = lut.apply(x) as SymbolicTensor;
    }
  } catch (e) {
    replaced.forEach((r) => r.dispose());
    throw e;
  }
  return { model: tfl.model({ inputs: input, outputs: x }), layers: replaced, reports };
}
