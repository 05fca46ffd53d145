import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { DisposeResult, LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';
import type { LayerVariable } from '@tensorflow/tfjs-layers/dist/variables.js';
import {
  assertBoolean,
  assertFiniteArray,
  assertFiniteTensor,
  assertInt,
  assertKnownKeys,
  assertOneOf,
  checkWeightList,
  configChecksum,
  fail,
  firstInputShape,
  guardWeight,
  LAYER_ARG_KEYS,
  SeededRandom,
  valuesChecksum,
  verifyConfigChecksum,
} from '@hashlayers/core/internal';
import { LEAVES, NODES, TREE_DEPTH } from '../kernels/maddness_encode.js';
import { maddnessEncodeUnchecked } from '../ops/maddness_encode.js';
import { InputGradient, lutMatMulUnchecked } from '../ops/lut_matmul.js';
import { lutMatMulU8Unchecked } from '../ops/lut_matmul_u8.js';
import { packTables, unpackTables } from '../fit/quantize.js';
import { ActivationFn, ActivationIdentifier, getActivation, serializeActivation } from './activations.js';
import { DenseParams, FitLUTOptions, FitReport, solveLUT } from '../fit/solve_lut.js';


export interface LUTDenseArgs extends LayerArgs {
  /** Output units, as tf.layers.dense. */
  units: number;
  /** C, the number of codebooks (trees of 16 leaves, tables of 16 rows). */
  codebooks: number;
  /** Activation name, as tf.layers.dense (default 'linear'; any tfjs-layers activation). */
  activation?: ActivationIdentifier;
  /** Add a bias, as tf.layers.dense (default true). */
  useBias?: boolean;
  /**
   * 8-bit tables with a scale and offset per output (default false): stored packed four entries per
   * int32 word (weight [C, M, 4]) and run by a WebAssembly SIMD look-up kernel on every backend; inference only.
   */
  quantized?: boolean;
  /** Gradient with respect to the input: 'none' (default) or 'ste' (straight-through, needs the dense kernel). */
  inputGradient?: InputGradient;
  /**
   * Keep the dense kernel [D, M] as a weight (default: only when
   * inputGradient is 'ste' or mode is 'dense'). A layer that keeps its
   * kernel can be re-fitted in place with `fitTables`.
   */
  keepKernel?: boolean;
  /**
   * 'lut' (default): output from the tables. 'dense': exact x·W + b with the
   * kept kernel, until `fitTables` switches the layer to 'lut' (used by
   * ProgressiveLUTReplacement to replace layers during model.fit).
   */
  mode?: 'lut' | 'dense';
  /** Seed of the random initial trees and tables of an unfitted layer (default 0). */
  seed?: number;
}

/** The parameters of a fitted look-up layer, as flat arrays. */
export interface LUTParams {
  splitDims: Int32Array; // [C·4]
  thresholds: Float32Array; // [C·15]
  tables: Float32Array | Int32Array; // [C·16·M] (quantized: integers in [0, 255], unpacked)
  scale?: Float32Array; // [M], quantized
  offset?: Float32Array; // [M], quantized
}

/**
 * A look-up-table replacement for tf.layers.dense (MADDNESS, Blalock &
 * Guttag 2021): each of C codebooks encodes the input with a balanced tree
 * of depth 4 (one split dimension per level, one threshold per node) into
 * one of 16 leaves, and the output is the sum of the C selected table rows
 * plus the bias, then the activation: C·M additions per row instead of D·M
 * multiply-adds.
 *
 * Weights: split_dims [C, 4] int32 and thresholds [C, 15] (non-trainable),
 * tables [C, 16, M] (trainable float32: the output is linear in them, so
 * model.fit trains them; when quantized, non-trainable int32 [C, M, 4]: the
 * 8-bit entries packed four per word, run by a WebAssembly SIMD kernel), bias [M],
 * and for quantized tables quant_scale / quant_offset [M]; optionally the
 * dense kernel [D, M] (non-trainable in 'lut' mode). `model.save` /
 * `tf.loadLayersModel` restore them exactly.
 */
export class LUTDense extends tfl.layers.Layer {
  static className = 'LUTDense';
  readonly units: number;
  readonly codebooks: number;
  /** The activation's serialized name (as in tf.layers.dense's config). */
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  readonly quantized: boolean;
  readonly inputGradient: InputGradient;
  readonly keepKernel: boolean;
  readonly seed: number;
  mode: 'lut' | 'dense';
  splitDims: LayerVariable | null = null;
  thresholds: LayerVariable | null = null;
  tables: LayerVariable | null = null;
  bias: LayerVariable | null = null;
  kernel: LayerVariable | null = null;
  quantScale: LayerVariable | null = null;
  quantOffset: LayerVariable | null = null;
  /** The report of the last fit (null for a loaded or unfitted layer). */
  fitReport: FitReport | null = null;
  private readonly activationFn: ActivationFn;

  constructor(args: LUTDenseArgs) {
    super(args);
    if (args == null || typeof args !== 'object') fail('args', 'an object with units and codebooks', args);
    assertKnownKeys('LUTDense args', args, LUTDENSE_KEYS);
    verifyConfigChecksum(args.name ?? 'LUTDense', args);
    const tc = (args as { tablesChecksum?: unknown }).tablesChecksum;
    if (tc != null) this.expectedTablesChecksum = assertInt('tablesChecksum', tc, 0, 0xffffffff);
    // bounded so that the tables [C, 16, units] stay a valid typed array (a clear error, not 'Invalid typed array length')
    this.units = assertInt('units', args.units, 1, 1 << 24);
    this.codebooks = assertInt('codebooks', args.codebooks, 1, 1 << 20);
    if (this.codebooks * LEAVES * this.units > 2 ** 28) fail('units', `codebooks · 16 · units at most 2^28 (tables of ${this.codebooks} codebooks)`, this.units);
    this.activationFn = getActivation(args.activation);
    this.activation = serializeActivation(this.activationFn);
    this.useBias = assertBoolean('useBias', args.useBias, true);
    this.quantized = assertBoolean('quantized', args.quantized, false);
    this.inputGradient = assertOneOf('inputGradient', args.inputGradient ?? 'none', ['none', 'ste']);
    this.mode = assertOneOf('mode', args.mode ?? 'lut', ['lut', 'dense']);
    if (this.quantized && this.inputGradient === 'ste') fail('inputGradient', "'none' for quantized tables", "'ste'");
    if (this.quantized && this.mode === 'dense') fail('mode', "'lut' for quantized tables", "'dense'");
    this.keepKernel = assertBoolean('keepKernel', args.keepKernel, false) || this.inputGradient === 'ste' || this.mode === 'dense';
    this.seed = assertInt('seed', args.seed ?? 0, 0, 0xffffffff);
    this.supportsMasking = false;
  }

  private shapeInputDim(inputShape: tfl.Shape | tfl.Shape[]): number {
    // [batch, ..., features] (rank > 2 is flattened to rows, as Dense), so not core's 2-d featureDim
    const shape = firstInputShape(inputShape);
    const dim = shape[shape.length - 1];
    if (shape.length < 2 || dim == null) fail('input shape', '[batch, ..., features] with known features', `[${shape.join(', ')}]`);
    return dim as number;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const d = this.shapeInputDim(inputShape);
    if (this.codebooks > d) fail('codebooks', `at most the input dimension ${d}`, this.codebooks);
    const rng = new SeededRandom(this.seed);
    const c = this.codebooks;
    const m = this.units;
    // an unfitted layer: random split dimensions, zero thresholds, small random tables
    const dims = Int32Array.from({ length: c * TREE_DEPTH }, () => rng.int(d));
    const scale = 1 / Math.sqrt(c);
    const t = Float32Array.from({ length: c * LEAVES * m }, () => 0.05 * scale * rng.gaussian());
    this.builtInputDim = d;
    this.inputSpec = [{ minNDim: 2, axes: { [-1]: d } }];
    this.splitDims = this.addWeight('split_dims', [c, TREE_DEPTH], 'int32', tfl.initializers.zeros(), undefined, false);
    this.thresholds = this.addWeight('thresholds', [c, NODES], 'float32', tfl.initializers.zeros(), undefined, false);
    if (this.quantized) {
      // 8-bit entries packed four per int32 word, [C, M, 4] (fit/quantize.ts packTables): the SIMD scan's layout
      this.tables = this.addWeight('tables', [c, m, LEAVES / 4], 'int32', tfl.initializers.zeros(), undefined, false);
      this.quantScale = this.addWeight('quant_scale', [m], 'float32', tfl.initializers.ones(), undefined, false);
      this.quantOffset = this.addWeight('quant_offset', [m], 'float32', tfl.initializers.zeros(), undefined, false);
    } else {
      this.tables = this.addWeight('tables', [c, LEAVES, m], 'float32', tfl.initializers.zeros(), undefined, true);
      this.writeVar(this.tables, tf.tensor3d(t, [c, LEAVES, m]));
    }
    if (this.useBias) this.bias = this.addWeight('bias', [m], 'float32', tfl.initializers.zeros(), undefined, true);
    this.writeVar(this.splitDims, tf.tensor2d(dims, [c, TREE_DEPTH], 'int32'));
    if (this.keepKernel) {
      this.kernel = this.addWeight('kernel', [d, m], 'float32', tfl.initializers.glorotUniform({ seed: this.seed }), undefined, true);
    }
    this.guardWeights(d);
    this.built = true;
  }

  /**
   * Every weight is checked where it enters (setWeights, tf.loadLayersModel,
   * setLUT, fitTables): split dimensions in [0, D) (the encoder indexes the
   * row with them), 8-bit tables in [0, 255], every float finite. A corrupted
   * file fails naming '<layer>/<weight>'.
   */
  private guardWeights(d: number): void {
    guardWeight(this, this.splitDims as LayerVariable, 'split_dims', { min: 0, max: d - 1 });
    guardWeight(this, this.thresholds as LayerVariable, 'thresholds');
    // quantized tables are packed words (any int32 is four valid bytes); their [0, 255] entries are checked by setLUT
    // packed 8-bit tables are checked against the checksum saved in the config (tablesChecksum), once, on load
    guardWeight(this, this.tables as LayerVariable, 'tables', { check: (v, where) => this.checkTablesChecksum(v, where) });
    for (const [v, name] of [
      [this.quantScale, 'quant_scale'],
      [this.quantOffset, 'quant_offset'],
      [this.bias, 'bias'],
      [this.kernel, 'kernel'],
    ] as const) {
      if (v != null) guardWeight(this, v, name);
    }
  }

  /** Quantized tables loaded into a layer made from a saved config must be the tables saved with it. */
  private checkTablesChecksum(values: ArrayLike<number>, where: string): void {
    if (!this.built || this.expectedTablesChecksum == null) return;
    const got = valuesChecksum(values);
    if (got !== this.expectedTablesChecksum) fail(where, `the tables saved with this model (checksum ${this.expectedTablesChecksum})`, `tables with checksum ${got}`);
    this.expectedTablesChecksum = null;
  }

  private expectedTablesChecksum: number | null = null;

  /** Checks every value (count, shapes, dtypes, ranges, finiteness) before writing any. */
  override setWeights(weights: tf.Tensor[]): void {
    this.expectedTablesChecksum = null; // tables set by hand are the user's
    checkWeightList(this, weights);
    super.setWeights(weights);
  }

  private requireBuilt(): { splitDims: LayerVariable; thresholds: LayerVariable; tables: LayerVariable } {
    if (this.splitDims == null || this.thresholds == null || this.tables == null) {
      fail('LUTDense', 'a built layer (call it on an input, or use convertToLUTDense)', 'an unbuilt layer');
    }
    return { splitDims: this.splitDims, thresholds: this.thresholds, tables: this.tables };
  }

  private builtInputDim = -1;

  /** The input dimension D (of a built layer). */
  get inputDim(): number {
    this.requireBuilt();
    return this.builtInputDim;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [...firstInputShape(inputShape).slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const { splitDims, thresholds, tables } = this.requireBuilt();
      const d = this.checkInput(x);
      const x2 = (x.rank === 2 ? x : tf.reshape(x, [-1, d])) as tf.Tensor2D;
      let y: tf.Tensor;
      if (this.mode === 'dense') {
        y = tf.matMul(x2, (this.kernel as LayerVariable).read() as tf.Tensor2D);
      } else if (this.quantized) {
        // one kernel (WebAssembly SIMD on every backend): encode, 8-bit look-ups, rescale, bias, NaN rows
        const scale = (this.quantScale as LayerVariable).read();
        const offset = (this.quantOffset as LayerVariable).read();
        y = lutMatMulU8Unchecked(x2, splitDims.read(), thresholds.read(), tables.read(), scale, offset, this.bias?.read() ?? null);
        y = this.activationFn.apply(y);
        return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.units]);
      } else {
        const ste = this.inputGradient === 'ste' ? ((this.kernel as LayerVariable).read() as tf.Tensor2D) : null;
        y = lutMatMulUnchecked(x2, splitDims.read(), thresholds.read(), tables.read(), ste);
      }
      // a row with NaN or ±Infinity gives NaN outputs, as Dense would (the trees alone would encode it like a finite row):
      // Σ x·0 is 0 for a finite row (never overflows) and NaN otherwise; its gradient is zero
      if (this.mode === 'lut') y = tf.add(y, tf.sum(tf.mul(x2, 0), 1, true));
      if (this.bias != null) y = tf.add(y, this.bias.read());
      y = this.activationFn.apply(y);
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.units]);
    });
  }

  private checkInput(x: tf.Tensor): number {
    const d = this.expectedInputDim();
    if (x instanceof tf.Tensor && x.isDisposed) fail('inputs', 'a live tensor', 'a disposed tensor');
    if (!(x instanceof tf.Tensor) || x.rank < 2 || x.shape[x.rank - 1] !== d || x.dtype !== 'float32') {
      fail('inputs', `a float32 tensor [..., ${d}]`, x instanceof tf.Tensor ? `a ${x.dtype} tensor of shape [${x.shape.join(', ')}]` : x);
    }
    return d;
  }

  private expectedInputDim(): number {
    this.requireBuilt();
    return this.builtInputDim;
  }

  /** Leaf indices of the rows of x [N, D]: [N, C] int32. */
  encode(x: tf.Tensor2D): tf.Tensor2D {
    const { splitDims, thresholds } = this.requireBuilt();
    this.checkInput(x);
    if (x.rank !== 2) fail('x', 'a rank-2 tensor', `rank ${x.rank}`);
    assertFiniteTensor('x', x);
    return maddnessEncodeUnchecked(x, splitDims.read(), thresholds.read());
  }

  /**
   * Learns trees and tables from inputs x [N, D] for the dense parameters
   * `dense` (default: this layer's kept kernel and its bias), writes them
   * and switches the layer to 'lut' mode. Nothing is changed on error.
   */
  fitTables(x: tf.Tensor2D, options: Omit<FitLUTOptions, 'codebooks'> & { kernel?: tf.Tensor2D; bias?: tf.Tensor1D | null } = {}): FitReport {
    const d = this.expectedInputDim();
    if (!(x instanceof tf.Tensor) || x.isDisposed || x.rank !== 2 || x.shape[1] !== d || x.dtype !== 'float32') {
      fail('inputs', `a float32 tensor [N, ${d}]`, x);
    }
    if (options == null || typeof options !== 'object') fail('options', 'an object', options);
    const kernel = options.kernel ?? this.kernel?.read();
    if (kernel == null) fail('kernel', 'a dense kernel (the layer keeps none: pass options.kernel)', kernel);
    if (kernel.rank !== 2 || kernel.shape[0] !== d || kernel.shape[1] !== this.units) {
      fail('kernel', `shape [${d}, ${this.units}]`, `shape [${kernel.shape.join(', ')}]`);
    }
    const bias = options.bias !== undefined ? options.bias : this.bias?.read() ?? null;
    if (bias != null && (bias.rank !== 1 || bias.shape[0] !== this.units)) fail('bias', `shape [${this.units}]`, `shape [${bias.shape.join(', ')}]`);
    if (options.targetInputs != null) {
      const t = options.targetInputs;
      if (!(t instanceof tf.Tensor) || t.isDisposed || t.rank !== 2 || t.shape[0] !== x.shape[0] || t.shape[1] !== d) {
        fail('targetInputs', `a tensor [${x.shape[0]}, ${d}] (row-aligned with inputs)`, t);
      }
      assertFiniteTensor('targetInputs', t);
    }
    // NaN or infinite data would give NaN trees, tables and report: refuse them before anything changes
    assertFiniteTensor('inputs', x);
    assertFiniteTensor(options.kernel != null ? 'kernel' : `${this.name}/kernel`, kernel);
    if (bias != null) assertFiniteTensor(options.bias != null ? 'bias' : `${this.name}/bias`, bias);
    const params: DenseParams = {
      kernel: kernel.dataSync() as Float32Array,
      bias: bias ? (bias.dataSync() as Float32Array) : null,
      inputDim: d,
      units: this.units,
      activation: this.activation,
    };
    // the target product (targetInputs ?? x)·W on the backend when it has a fast matMul; on the
    // plain cpu backend the JavaScript product in solveLUT (which skips zero inputs) is faster
    let xwValues: Float32Array | null = null;
    if (tf.getBackend() !== 'cpu') {
      const xw = tf.tidy(() => tf.matMul(options.targetInputs ?? x, kernel as tf.Tensor2D));
      xwValues = xw.dataSync() as Float32Array;
      xw.dispose();
    }
    const solved = solveLUT(
      x.dataSync() as Float32Array,
      x.shape[0],
      params,
      { ...options, codebooks: this.codebooks, quantize: this.quantized },
      options.targetInputs ? (options.targetInputs.dataSync() as Float32Array) : null,
      xwValues,
    );
    const q = solved.quantized;
    this.setLUT({
      splitDims: solved.splitDims,
      thresholds: solved.thresholds,
      tables: q ? q.q : solved.tables,
      scale: q?.scale,
      offset: q?.offset,
    });
    if (bias != null && this.bias != null && options.bias !== undefined) this.writeVar(this.bias, tf.tensor1d(bias.dataSync() as Float32Array));
    if (this.kernel != null && options.kernel != null) this.writeVar(this.kernel, tf.clone(options.kernel));
    this.mode = 'lut';
    this.fitReport = solved.report;
    return solved.report;
  }

  private writeVar(v: LayerVariable, t: tf.Tensor): void {
    v.write(t);
    t.dispose();
  }

  /** Writes fitted parameters (checked first; nothing changes on error). */
  setLUT(p: LUTParams): void {
    const { splitDims, thresholds, tables } = this.requireBuilt();
    const c = this.codebooks;
    const m = this.units;
    const d = this.expectedInputDim();
    if (!(p.splitDims instanceof Int32Array) || p.splitDims.length !== c * TREE_DEPTH) fail('splitDims', `an Int32Array of ${c * TREE_DEPTH}`, p.splitDims?.length);
    for (const v of p.splitDims) if (v < 0 || v >= d) fail('splitDims', `dimensions in [0, ${d})`, v);
    if (!(p.thresholds instanceof Float32Array) || p.thresholds.length !== c * NODES) fail('thresholds', `a Float32Array of ${c * NODES}`, p.thresholds?.length);
    if (p.tables.length !== c * LEAVES * m) fail('tables', `${c * LEAVES * m} entries`, p.tables.length);
    if (this.quantized !== (p.tables instanceof Int32Array) || (this.quantized && (p.scale?.length !== m || p.offset?.length !== m))) {
      fail('tables', this.quantized ? 'Int32Array tables with scale and offset [units]' : 'Float32Array tables', p.tables.constructor.name);
    }
    // everything checked before anything is written (the weight guards check again on write)
    assertFiniteArray('thresholds', p.thresholds);
    if (this.quantized) {
      for (let i = 0; i < p.tables.length; i++) if (!(p.tables[i] >= 0 && p.tables[i] <= 255)) fail('tables', '8-bit entries in [0, 255]', `${p.tables[i]} at flat index ${i}`);
      assertFiniteArray('scale', p.scale as Float32Array);
      assertFiniteArray('offset', p.offset as Float32Array);
    } else {
      assertFiniteArray('tables', p.tables);
    }
    this.writeVar(splitDims, tf.tensor2d(p.splitDims, [c, TREE_DEPTH], 'int32'));
    this.writeVar(thresholds, tf.tensor2d(p.thresholds, [c, NODES]));
    if (this.quantized) this.writeVar(tables, tf.tensor3d(packTables(p.tables, c, m), [c, m, LEAVES / 4], 'int32'));
    else this.writeVar(tables, tf.tensor3d(p.tables, [c, LEAVES, m], 'float32'));
    if (this.quantized) {
      this.writeVar(this.quantScale as LayerVariable, tf.tensor1d(p.scale as Float32Array));
      this.writeVar(this.quantOffset as LayerVariable, tf.tensor1d(p.offset as Float32Array));
    }
  }

  /** The current parameters as flat arrays (copies). */
  getLUT(): LUTParams {
    const { splitDims, thresholds, tables } = this.requireBuilt();
    return {
      splitDims: Int32Array.from(splitDims.read().dataSync() as Int32Array),
      thresholds: Float32Array.from(thresholds.read().dataSync() as Float32Array),
      tables: this.quantized ? unpackTables(tables.read().dataSync() as Int32Array, this.codebooks, this.units) : Float32Array.from(tables.read().dataSync() as Float32Array),
      scale: this.quantScale ? Float32Array.from(this.quantScale.read().dataSync() as Float32Array) : undefined,
      offset: this.quantOffset ? Float32Array.from(this.quantOffset.read().dataSync() as Float32Array) : undefined,
    };
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      units: this.units,
      codebooks: this.codebooks,
      activation: this.activation,
      useBias: this.useBias,
      quantized: this.quantized,
      inputGradient: this.inputGradient,
      keepKernel: this.keepKernel,
      mode: this.mode,
      seed: this.seed,
    };
    // quantized tables are non-trainable packed words: a checksum detects a corrupted file (floats are checked for finiteness)
    if (this.quantized && this.tables != null) config.tablesChecksum = valuesChecksum(this.tables.read().dataSync());
    return { ...config, configChecksum: configChecksum(config) };
  }

  /** Frees the weights (also for a layer built and fitted but never applied in a model). */
  override dispose(): DisposeResult {
    if (this.inboundNodes.length > 0) return super.dispose();
    const vars = [this.splitDims, this.thresholds, this.tables, this.bias, this.kernel, this.quantScale, this.quantOffset].filter(
      (v): v is LayerVariable => v != null,
    );
    vars.forEach((v) => v.dispose());
    return { refCountAfterDispose: 0, numDisposedVariables: vars.length };
  }
}

const LUTDENSE_KEYS = [...LAYER_ARG_KEYS, 'units', 'codebooks', 'activation', 'useBias', 'quantized', 'inputGradient', 'keepKernel', 'mode', 'seed', 'tablesChecksum'];

tf.serialization.registerClass(LUTDense);

/** Factory in the style of tf.layers.*. */
export function lutDense(args: LUTDenseArgs): LUTDense {
  return new LUTDense(args);
}
