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
  guardWasmFusedActivations,
} from '@hashlayers/core/internal';
import { LEAVES, NODES, TREE_DEPTH } from '../kernels/maddness_encode.js';
import { maddnessEncodeUnchecked } from '../ops/maddness_encode.js';
import { InputGradient, lutMatMulUnchecked } from '../ops/lut_matmul.js';
import { lutMatMulU8Unchecked } from '../ops/lut_matmul_u8.js';
import { packTables, unpackTables } from '../fit/quantize.js';
import { ActivationFn, ActivationIdentifier, getActivation, serializeActivation } from './activations.js';
import { DenseParams, FitLUTOptions, FitReport, solveLUT } from '../fit/solve_lut.js';
import { softLutMatMul, softTreeLutMatMul, subspaceDistances, subspaceMask } from '../ops/soft_lut.js';
import { learnTrees } from '../fit/trees.js';
import { choleskySolve, gram, gTimes } from '../fit/linear.js';


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
  mode?: 'lut' | 'dense' | 'soft';
  /**
   * Soft-assignment weights for LUT-NN fine-tuning (default false): learned prototypes [C, 16, D]
   * (trainable), the codebook of each input dimension [D] and a distance scale per codebook [C].
   * In 'soft' mode the output is Σ_c softmax(−‖x_c − P_ck‖² / (temperature · scale_c)) · tables[c],
   * differentiable in x, the prototypes and the tables; `harden` (or SoftLUTAnnealing) turns the
   * layer back into trees ('lut' mode). Set up by convertToLUTDense with `soft: true`.
   */
  soft?: boolean;
  /** 'soft' mode: the temperature t (default 1, relative to each codebook's scale; 0 = the hard assignment). */
  temperature?: number;
  /**
   * What is made soft (with soft: true): 'prototypes' (default, LUT-NN: softmax over the distances
   * to learned prototypes; hardening fits new trees to them) or 'tree' (each node of the layer's own
   * trees routes a row right with probability σ((x − threshold) / (t · scale)); the thresholds and
   * tables train, and hardening is exact: the trained trees are the encoder).
   */
  softAssignment?: SoftAssignment;
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
  mode: 'lut' | 'dense' | 'soft';
  readonly soft: boolean;
  readonly softAssignment: SoftAssignment;
  private temperatureValue = 1;
  prototypes: LayerVariable | null = null;
  subspace: LayerVariable | null = null;
  softScale: LayerVariable | null = null;
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
    this.mode = assertOneOf('mode', args.mode ?? 'lut', ['lut', 'dense', 'soft']);
    this.soft = assertBoolean('soft', args.soft, false);
    this.softAssignment = assertOneOf('softAssignment', args.softAssignment ?? 'prototypes', ['prototypes', 'tree']);
    if (this.soft && this.quantized) fail('soft', 'false for quantized tables (soft assignment trains float tables)', true);
    if (this.mode === 'soft' && !this.soft) fail('mode', "'lut' or 'dense' (mode 'soft' needs soft: true)", "'soft'");
    if (args.temperature != null) this.temperature = args.temperature;
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
    // a Dense(relu) before this layer on wasm must not turn NaN into 0 (see core's wasm_fused_activation)
    guardWasmFusedActivations();
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
    // a 'tree' soft layer's thresholds train while it is soft (the hard encoding has no threshold gradient): tfjs-layers
    // lists a weight as trainable only if it was added so, and then filters by the variable's flag
    this.thresholds = this.addWeight('thresholds', [c, NODES], 'float32', tfl.initializers.zeros(), undefined, this.softTree);
    if (this.softTree) this.thresholds.trainable = this.mode === 'soft';
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
    if (this.softTree) {
      this.softScale = this.addWeight('soft_scale', [c], 'float32', tfl.initializers.ones(), undefined, false);
    } else if (this.soft) {
      this.prototypes = this.addWeight('prototypes', [c, LEAVES, d], 'float32', tfl.initializers.zeros(), undefined, true);
      this.subspace = this.addWeight('subspace', [d], 'int32', tfl.initializers.zeros(), undefined, false);
      this.softScale = this.addWeight('soft_scale', [c], 'float32', tfl.initializers.ones(), undefined, false);
      // until initSoftAssignment: the contiguous partition of MADDNESS
      this.writeVar(this.subspace, tf.tensor1d(Int32Array.from({ length: d }, (_, i) => Math.min(c - 1, Math.floor((i * c) / d))), 'int32'));
    }
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
    if (this.subspace != null) guardWeight(this, this.subspace, 'subspace', { min: 0, max: this.codebooks - 1 });
    if (this.softScale != null) {
      guardWeight(this, this.softScale, 'soft_scale', {
        check: (v, where) => {
          for (let i = 0; i < v.length; i++) if (!(v[i] > 0)) fail(where, 'positive distance scales', `${v[i]} at flat index ${i}`);
        },
      });
    }
    for (const [v, name] of [
      [this.prototypes, 'prototypes'],
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
      } else if (this.mode === 'soft') {
        y = this.softOutput(x2, this.temperatureValue);
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

  /** 'soft' mode's pre-bias output at temperature t (LUT-NN; t = 0: the nearest prototype's row). */
  private softOutput(x2: tf.Tensor2D, t: number): tf.Tensor2D {
    const { tables, splitDims, thresholds } = this.requireBuilt();
    if (this.softTree) return softTreeLutMatMul(x2, splitDims.read(), thresholds.read(), (this.softScale as LayerVariable).read(), t, tables.read());
    const { prototypes, subspace, softScale } = this.requireSoft();
    return tf.tidy(() => softLutMatMul(x2, prototypes.read(), subspaceMask(subspace.read(), this.codebooks), softScale.read(), t, tables.read()));
  }

  private get softTree(): boolean {
    return this.soft && this.softAssignment === 'tree';
  }

  private requireSoft(): { prototypes: LayerVariable; subspace: LayerVariable; softScale: LayerVariable } {
    this.requireBuilt();
    if (this.softTree) fail(this.name, "a layer with soft-assignment prototypes (softAssignment 'prototypes')", "softAssignment 'tree'");
    if (this.prototypes == null || this.subspace == null || this.softScale == null) fail(this.name, 'a layer with soft-assignment weights (soft: true)', 'soft: false');
    return { prototypes: this.prototypes, subspace: this.subspace, softScale: this.softScale };
  }

  /** 'soft' mode's temperature t, relative to each codebook's distance scale (0: hard nearest prototype). */
  get temperature(): number {
    return this.temperatureValue;
  }

  set temperature(t: number) {
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) fail('temperature', 'a finite number ≥ 0', t);
    this.temperatureValue = t;
  }

  /**
   * Sets up LUT-NN training from the layer's fitted trees and inputs x [N, D] (the inputs it was
   * fitted on): each codebook's 16 prototypes start as the means of its leaves' rows on its
   * subspace (`subspaces`, default the fit's), its distance scale as the mean squared distance of
   * a row to its nearest prototype, and the layer switches to 'soft' mode (tables unchanged).
   * Nothing changes on error.
   */
  initSoftAssignment(x: tf.Tensor2D, subspaces: Int32Array[] | null = this.fitReport?.subspaces ?? null): void {
    const { splitDims, thresholds } = this.requireBuilt();
    if (!this.soft) fail(this.name, 'a layer with soft-assignment weights (soft: true)', 'soft: false');
    if (this.mode === 'dense') fail(this.name, "a fitted layer ('lut' mode)", "'dense' mode");
    if (this.softTree) {
      this.initSoftTree(x);
      return;
    }
    const { prototypes, subspace, softScale } = this.requireSoft();
    const d = this.checkInput(x);
    if (x.rank !== 2) fail('x', 'a rank-2 tensor', `rank ${x.rank}`);
    assertFiniteTensor('x', x);
    const c = this.codebooks;
    if (subspaces == null) fail('subspaces', 'the codebooks\' input dimensions (the layer has no fit report)', subspaces);
    const owner = new Int32Array(d).fill(-1);
    if (!Array.isArray(subspaces) || subspaces.length !== c) fail('subspaces', `${c} arrays of input dimensions`, subspaces);
    subspaces.forEach((dims, j) => {
      for (const q of dims) {
        if (!(q >= 0 && q < d) || owner[q] !== -1) fail('subspaces', `a partition of [0, ${d})`, `dimension ${q} in codebook ${j}`);
        owner[q] = j;
      }
    });
    if (owner.includes(-1)) fail('subspaces', `a partition of [0, ${d})`, `dimension ${owner.indexOf(-1)} in no codebook`);
    const n = x.shape[0];
    const xv = x.dataSync() as Float32Array;
    const codes = readOnce(tf.tidy(() => maddnessEncodeUnchecked(x, splitDims.read(), thresholds.read()))) as Int32Array;
    const p = new Float64Array(c * LEAVES * d);
    const cnt = new Float64Array(c * LEAVES);
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let q = 0; q < d; q++) mean[q] += xv[i * d + q] / n;
      for (let j = 0; j < c; j++) {
        const leaf = j * LEAVES + codes[i * c + j];
        cnt[leaf]++;
        for (const q of subspaces[j]) p[leaf * d + q] += xv[i * d + q];
      }
    }
    for (let j = 0; j < c; j++) {
      for (let k = 0; k < LEAVES; k++) {
        const leaf = j * LEAVES + k;
        // an empty leaf gets the subspace mean (it then rarely wins; its table row is trained anyway)
        for (const q of subspaces[j]) p[leaf * d + q] = cnt[leaf] > 0 ? p[leaf * d + q] / cnt[leaf] : mean[q];
      }
    }
    const scale = new Float32Array(c);
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) {
        let best = Infinity;
        for (let k = 0; k < LEAVES; k++) {
          let e = 0;
          for (const q of subspaces[j]) {
            const v = xv[i * d + q] - p[(j * LEAVES + k) * d + q];
            e += v * v;
          }
          if (e < best) best = e;
        }
        s += best;
      }
      // a codebook whose rows all sit on a prototype (constant inputs) keeps scale 1
      scale[j] = s > 0 ? s / n : 1;
    }
    this.writeVar(prototypes, tf.tensor3d(Float32Array.from(p), [c, LEAVES, d]));
    this.writeVar(subspace, tf.tensor1d(owner, 'int32'));
    this.writeVar(softScale, tf.tensor1d(scale));
    this.mode = 'soft';
  }

  /** 'tree' soft assignment: scale_c = the mean standard deviation of x over the codebook's 4 split dimensions. */
  private initSoftTree(x: tf.Tensor2D): void {
    const { splitDims, thresholds } = this.requireBuilt();
    const d = this.checkInput(x);
    if (x.rank !== 2) fail('x', 'a rank-2 tensor', `rank ${x.rank}`);
    assertFiniteTensor('x', x);
    const n = x.shape[0];
    const xv = x.dataSync() as Float32Array;
    const dims = splitDims.read().dataSync() as Int32Array;
    const scale = new Float32Array(this.codebooks);
    for (let j = 0; j < this.codebooks; j++) {
      let s = 0;
      for (let l = 0; l < TREE_DEPTH; l++) {
        const q = dims[j * TREE_DEPTH + l];
        let mean = 0;
        let sq = 0;
        for (let i = 0; i < n; i++) mean += xv[i * d + q] / n;
        for (let i = 0; i < n; i++) sq += (xv[i * d + q] - mean) ** 2 / n;
        s += Math.sqrt(sq) / TREE_DEPTH;
      }
      // a codebook splitting constant dimensions keeps scale 1
      scale[j] = s > 0 ? s : 1;
    }
    this.writeVar(this.softScale as LayerVariable, tf.tensor1d(scale));
    thresholds.trainable = true;
    this.mode = 'soft';
  }

  /**
   * Ends LUT-NN training: from inputs x [N, D], the 'soft' layer's output at the current
   * temperature becomes the target, each row's nearest learned prototype per codebook is
   * computed, new trees are fitted (encoder 'prototypes', default: a regression tree onto the
   * nearest prototypes, i.e. axis-aligned cuts that reproduce the learned cells; 'inputs':
   * MADDNESS's trees on x), the tables are fitted to the target by ridge regression (λ), and the
   * layer switches to 'lut' mode (the fast tree encoder, quantizable). Nothing changes on error.
   */
  harden(x: tf.Tensor2D, options: HardenOptions = {}): HardenReport {
    if (!this.soft) fail(this.name, 'a layer with soft-assignment weights (soft: true)', 'soft: false');
    if (this.mode !== 'soft') fail(this.name, "a layer in 'soft' mode", `'${this.mode}' mode`);
    if (options == null || typeof options !== 'object') fail('options', 'an object', options);
    assertKnownKeys('harden options', options, ['encoder', 'lambda', 'splitCandidates']);
    if (this.softTree) return this.hardenTree(x, options);
    const { prototypes, subspace } = this.requireSoft();
    const encoder = assertOneOf('encoder', options.encoder ?? 'prototypes', ['prototypes', 'inputs']);
    const lambda = options.lambda ?? 1;
    if (typeof lambda !== 'number' || !(lambda > 0) || !Number.isFinite(lambda)) fail('lambda', 'a finite number > 0', lambda);
    const candidates = assertInt('splitCandidates', options.splitCandidates ?? 4, 1);
    const d = this.checkInput(x);
    if (x.rank !== 2) fail('x', 'a rank-2 tensor', `rank ${x.rank}`);
    assertFiniteTensor('x', x);
    const start = performance.now();
    const n = x.shape[0];
    const c = this.codebooks;
    const m = this.units;
    const xv = x.dataSync() as Float32Array;
    const target = readOnce(this.softOutput(x, this.temperatureValue)) as Float32Array;
    const nearestOut = readOnce(this.softOutput(x, 0)) as Float32Array;
    const owner = subspace.read().dataSync() as Int32Array;
    const groups: number[][] = Array.from({ length: c }, () => []);
    owner.forEach((o, q) => groups[o].push(q));
    const subspaces = groups.map((g) => Int32Array.from(g));
    let sseTarget: Float32Array | null = null;
    if (encoder === 'prototypes') {
      const mask = subspaceMask(subspace.read(), c);
      const idx = readOnce(tf.tidy(() => tf.argMin(subspaceDistances(x, prototypes.read(), mask), 2))) as Int32Array;
      mask.dispose();
      const pv = prototypes.read().dataSync() as Float32Array;
      sseTarget = new Float32Array(n * d);
      for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) sseTarget[i * d + q] = pv[(owner[q] * LEAVES + idx[i * c + owner[q]]) * d + q];
    }
    const trees = learnTrees(xv, n, d, subspaces, candidates, sseTarget);
    const tables = Float32Array.from(choleskySolve(gram(trees.codes, n, c, lambda), c * LEAVES, gTimes(trees.codes, n, c, target, m), m));
    const mse = (out: ArrayLike<number>) => {
      let se = 0;
      for (let i = 0; i < n * m; i++) se += (out[i] - target[i]) ** 2;
      return se / (n * m);
    };
    let se = 0;
    for (let i = 0; i < n; i++) {
      for (let q = 0; q < m; q++) {
        let s = 0;
        for (let j = 0; j < c; j++) s += tables[(j * LEAVES + trees.codes[i * c + j]) * m + q];
        se += (s - target[i * m + q]) ** 2;
      }
    }
    this.setLUT({ splitDims: trees.splitDims, thresholds: trees.thresholds, tables });
    this.mode = 'lut';
    const report: HardenReport = {
      encoder,
      rows: n,
      temperature: this.temperatureValue,
      outputMse: se / (n * m),
      nearestPrototypeMse: mse(nearestOut),
      targetMeanSquare: mse(new Float32Array(n * m)),
      seconds: (performance.now() - start) / 1000,
    };
    this.hardenReport = report;
    return report;
  }

  /**
   * 'tree' soft assignment: the trained thresholds and tables are kept as they are (the hard tree is
   * the t → 0 limit the annealing approached); the report measures the step from the soft output.
   */
  private hardenTree(x: tf.Tensor2D, options: HardenOptions): HardenReport {
    if (options.encoder != null && options.encoder !== 'tree') fail('encoder', "'tree' (or nothing) for softAssignment 'tree'", options.encoder);
    this.checkInput(x);
    if (x.rank !== 2) fail('x', 'a rank-2 tensor', `rank ${x.rank}`);
    assertFiniteTensor('x', x);
    const start = performance.now();
    const target = readOnce(this.softOutput(x, this.temperatureValue)) as Float32Array;
    const hard = readOnce(this.softOutput(x, 0)) as Float32Array;
    let se = 0;
    let ms = 0;
    for (let i = 0; i < target.length; i++) {
      se += (hard[i] - target[i]) ** 2;
      ms += target[i] ** 2;
    }
    (this.thresholds as LayerVariable).trainable = false;
    this.mode = 'lut';
    const mse = se / target.length;
    const report: HardenReport = {
      encoder: 'tree',
      rows: x.shape[0],
      temperature: this.temperatureValue,
      outputMse: mse,
      nearestPrototypeMse: mse,
      targetMeanSquare: ms / target.length,
      seconds: (performance.now() - start) / 1000,
    };
    this.hardenReport = report;
    return report;
  }

  /** The report of the last `harden` (null before). */
  hardenReport: HardenReport | null = null;

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
    if (this.soft) {
      config.soft = true;
      config.temperature = this.temperatureValue;
      config.softAssignment = this.softAssignment;
    }
    // quantized tables are non-trainable packed words: a checksum detects a corrupted file (floats are checked for finiteness)
    if (this.quantized && this.tables != null) config.tablesChecksum = valuesChecksum(this.tables.read().dataSync());
    return { ...config, configChecksum: configChecksum(config) };
  }

  /** Frees the weights (also for a layer built and fitted but never applied in a model). */
  override dispose(): DisposeResult {
    if (this.inboundNodes.length > 0) return super.dispose();
    const vars = [this.splitDims, this.thresholds, this.tables, this.bias, this.kernel, this.quantScale, this.quantOffset, this.prototypes, this.subspace, this.softScale].filter(
      (v): v is LayerVariable => v != null,
    );
    vars.forEach((v) => v.dispose());
    return { refCountAfterDispose: 0, numDisposedVariables: vars.length };
  }
}

/** The values of a tensor made only to be read, which is then disposed. */
function readOnce(t: tf.Tensor): tf.TypedArray {
  try {
    return t.dataSync() as tf.TypedArray;
  } finally {
    t.dispose();
  }
}

const LUTDENSE_KEYS = [...LAYER_ARG_KEYS, 'units', 'codebooks', 'activation', 'useBias', 'quantized', 'inputGradient', 'keepKernel', 'mode', 'seed', 'tablesChecksum', 'soft', 'temperature', 'softAssignment'];

/** What 'soft' mode makes soft: the distances to learned prototypes (LUT-NN) or the tree's own nodes. */
export type SoftAssignment = 'prototypes' | 'tree';

/** Options of LUTDense.harden. */
export interface HardenOptions {
  /**
   * How the hardened layer encodes: 'prototypes' (default), trees fitted to reproduce each row's
   * nearest learned prototype (their cuts still on x, so the fast tree kernels run); 'inputs',
   * MADDNESS's trees re-fitted on x alone (the learned prototypes then only shape the target).
   * Layers with softAssignment 'tree' take only 'tree' (their trained trees are kept).
   */
  encoder?: 'prototypes' | 'inputs' | 'tree';
  /** Ridge penalty λ of the table fit (default 1). */
  lambda?: number;
  /** Split-dimension candidates per level (default 4). */
  splitCandidates?: number;
}

/** What LUTDense.harden reports (mean squared errors per output element, against the soft layer's output). */
export interface HardenReport {
  encoder: 'prototypes' | 'inputs' | 'tree';
  rows: number;
  /** The temperature whose soft output was the target. */
  temperature: number;
  /** The hardened layer (trees and ridge tables) against the soft output. */
  outputMse: number;
  /** The nearest-prototype encoding (temperature 0, the soft layer's own tables) against the soft output ('tree': the hard tree, = outputMse). */
  nearestPrototypeMse: number;
  /** Mean square of the soft output itself (the scale of the two errors). */
  targetMeanSquare: number;
  seconds: number;
}

tf.serialization.registerClass(LUTDense);

/** Factory in the style of tf.layers.*. */
export function lutDense(args: LUTDenseArgs): LUTDense {
  return new LUTDense(args);
}
