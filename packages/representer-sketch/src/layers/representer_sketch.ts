import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { DisposeResult, LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';
import type { LayerVariable } from '@tensorflow/tfjs-layers/dist/variables.js';
import { raceInsert } from '@hashlayers/hashing/internal';
import {
  assertFiniteTensor,
  assertInt,
  assertKnownKeys,
  assertMatrix,
  assertOneOf,
  brandClass,
  checkWeightList,
  configChecksum,
  fail,
  featureDim,
  firstInputShape,
  guardWeight,
  hasBrand,
  LAYER_ARG_KEYS,
  valuesChecksum,
  verifyConfigChecksum,
  guardWasmFusedActivations,
} from '@hashlayers/core/internal';
import { HashInputs, sketchCodes } from '../ops/sketch_codes.js';
import { sketchPredict } from '../ops/sketch_predict.js';
import { drawProjection, ProjectionKind, ProjectionPlan, thresholds } from '../projection.js';
import { COUNT_BITS, CountBits, packedWords, quantizeCounts } from '../quantize.js';


export type Aggregation = 'mean' | 'weighted';

export interface RepresenterSketchArgs extends LayerArgs {
  /** Values stored per cell: the outputs of the head being replaced (e.g. classes). */
  outputs: number;
  /** R: independent rows, each its own SRP hash and count array (default 32). */
  rows?: number;
  /** K: SRP bits per row; each row has 2^K cells (1..20, default 4). */
  bits?: number;
  /**
   * The random projection, regenerated from `seed` (never stored): 'sparse' (Achlioptas ±1/0,
   * additions only; default), 'sign' (dense ±1, additions only) or 'gaussian' (dense N(0, 1)).
   */
  projection?: ProjectionKind;
  /**
   * Non-zero fraction of a 'sparse' projection, in (0, 1]. Default (undefined or null): 1/√d, at
   * most 1/3 (Li, Hastie & Church's very sparse projections; Achlioptas' 1/3 for d ≤ 9), so the
   * hash costs about √d·R·K additions whatever the feature width.
   */
  density?: number | null;
  seed?: number;
  /** 'mean' over rows (the RACE estimator, default) or 'weighted': learned per-row weights (trainable, start at 1/R). */
  aggregation?: Aggregation;
  /**
   * Bits per stored count: 32 (float32, trainable: fill, refine, then quantize) or 16, 8, 4
   * (unsigned integers packed in int32 words with one scale and offset; inference only, made by
   * {@link RepresenterSketch.quantize} or the conversion's `countBits`). Default 32.
   */
  countBits?: CountBits;
  /**
   * Checksum (FNV-1a, valuesChecksum) of the packed counts of a quantized sketch, written by
   * {@link RepresenterSketch.quantize}: packed words have no invalid values, so a corrupted saved
   * file is caught by this check instead of loading a sketch that answers differently.
   */
  countsChecksum?: number;
}

export interface CellFill {
  /** Points inserted. */
  points: number;
  /** Fraction of the R·2^K cells that received at least one point. */
  occupiedFraction: number;
}

/**
 * Representer Sketch (Liu, Coleman, Shrivastava, arXiv 2106.11426): a network
 * head rewritten as count arrays indexed by LSH codes of its input features.
 *
 * features x [batch, d] → R SRP codes of K bits each (of x − center) → one
 * count array [2^K, outputs] per row → the rows' cells aggregated (mean, or
 * learned per-row weights) → [batch, outputs].
 *
 * With counts filled by {@link insert} (RACE: every point adds its weight
 * vector α_i to its cell in every row), the mean over rows is an unbiased
 * estimate of Σ_i α_i k(x_i, x), k(x, y) = (1 − θ(x − c, y − c)/π)^K, the SRP
 * collision probability. Float counts are ordinary trainable weights (the
 * output is linear in them), so `model.fit` refines them; {@link quantize}
 * then packs them into 16, 8 or 4 bits. The projection is drawn from the seed
 * (in the config) and never stored; the center and the counts are weights, so
 * `model.save` / `tf.loadLayersModel` restore the exact sketch.
 */
export class RepresenterSketch extends tfl.layers.Layer {
  static className = 'RepresenterSketch';
  readonly outputs: number;
  readonly rows: number;
  readonly bits: number;
  readonly projectionKind: ProjectionKind;
  /** The density asked for (null: 1/√d, at most 1/3, resolved when built). */
  readonly densityArg: number | null;
  private resolvedDensity: number | null = null;
  readonly seed: number;
  readonly aggregation: Aggregation;
  readonly countBits: CountBits;
  readonly countsChecksum: number | null;
  center: LayerVariable | null = null;
  /** float32 [rows, cells, outputs] (countBits 32) or int32 packed words. */
  counts: LayerVariable | null = null;
  /** [scale, offset] of packed counts (countBits < 32). */
  countsRange: LayerVariable | null = null;
  rowWeights: LayerVariable | null = null;
  private proj: ProjectionPlan | null = null;
  private hashTensors: { plan: tf.Tensor1D; denseT: tf.Tensor; mean: tf.Tensor1D; range: tf.Tensor1D } | null = null;
  private thresholdsOf: { dataId: object; t: tf.Tensor1D } | null = null;
  /** Weights a quantized copy receives when it is built (then freed). */
  private pendingWeights: tf.Tensor[] | null = null;

  constructor(args: RepresenterSketchArgs) {
    super(args);
    if (args == null || typeof args !== 'object') fail('args', 'an options object', args);
    assertKnownKeys('RepresenterSketch args', args, SKETCH_KEYS);
    verifyConfigChecksum(args.name ?? 'RepresenterSketch', args);
    this.outputs = assertInt('outputs', args.outputs, 1);
    this.rows = assertInt('rows', args.rows ?? 32, 1, 4096);
    this.bits = assertInt('bits', args.bits ?? 4, 1, 20);
    this.projectionKind = assertOneOf('projection', args.projection ?? 'sparse', ['gaussian', 'sign', 'sparse']);
    this.densityArg = args.density ?? null;
    if (this.densityArg != null && !(typeof this.densityArg === 'number' && this.densityArg > 0 && this.densityArg <= 1)) fail('density', 'a number in (0, 1] (or null: 1/√d)', args.density);
    this.seed = assertInt('seed', args.seed ?? 0, 0, 0xffffffff);
    this.aggregation = assertOneOf('aggregation', args.aggregation ?? 'mean', ['mean', 'weighted']);
    const cb = args.countBits ?? 32;
    if (!COUNT_BITS.includes(cb)) fail('countBits', `one of ${COUNT_BITS.join(', ')}`, cb);
    this.countBits = cb;
    this.countsChecksum = args.countsChecksum == null ? null : assertInt('countsChecksum', args.countsChecksum, 0, 0xffffffff);
    if (this.countsChecksum != null && cb === 32) fail('countsChecksum', 'none for float counts (countBits 32)', this.countsChecksum);
    const cells = this.rows * 2 ** this.bits * this.outputs;
    if (cells > 2 ** 28) fail('rows · 2^bits · outputs', 'at most 2^28 count cells', cells);
    // integer sums of the mean stay exact in float32 below 2^24
    if (cb !== 32 && this.rows * (2 ** cb - 1) >= 2 ** 24) fail('rows', `at most ${Math.floor((2 ** 24 - 1) / (2 ** cb - 1))} with countBits ${cb}`, this.rows);
    this.supportsMasking = false;
  }

  /** Non-zero fraction of a 'sparse' projection: the one asked for, or 1/√d (at most 1/3) once built. */
  get density(): number {
    return this.densityArg ?? this.resolvedDensity ?? 1 / 3;
  }

  /** Cells per row, 2^bits. */
  get cells(): number {
    return 2 ** this.bits;
  }

  /** Input feature dimension (after build). */
  get inputDim(): number {
    return this.requireBuilt().center.shape[0] as number;
  }

  /** Non-zero entries of the projection (d·R·K for 'gaussian' and 'sign'): additions (or multiply-adds) per query. */
  get projectionNonzeros(): number {
    this.requireBuilt();
    return (this.proj as ProjectionPlan).nonzeros;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    // a Dense(relu) before this layer on wasm must not turn NaN into 0 (see core's wasm_fused_activation)
    guardWasmFusedActivations();
    const dim = featureDim(inputShape);
    const n = this.rows * this.cells * this.outputs;
    this.center = this.addWeight('center', [dim], 'float32', tfl.initializers.zeros(), undefined, false);
    if (this.countBits === 32) {
      this.counts = this.addWeight('counts', [this.rows, this.cells, this.outputs], 'float32', tfl.initializers.zeros(), undefined, true);
    } else {
      this.counts = this.addWeight('counts_packed', [packedWords(n, this.countBits)], 'int32', tfl.initializers.zeros(), undefined, false);
      this.countsRange = this.addWeight('counts_range', [2], 'float32', tfl.initializers.zeros(), undefined, false);
    }
    if (this.aggregation === 'weighted') {
      this.rowWeights = this.addWeight('row_weights', [this.rows], 'float32', tfl.initializers.constant({ value: 1 / this.rows }), undefined, this.countBits === 32);
    }
    // the projection is drawn from the seed (same seed, same codes, in every process) and kept out of the weights
    this.resolvedDensity = this.densityArg ?? Math.min(1 / 3, 1 / Math.sqrt(dim));
    this.proj = drawProjection(dim, this.rows, this.bits, this.seed, this.projectionKind, this.density);
    this.hashTensors = tf.tidy(() => ({
      plan: tf.keep(tf.tensor1d((this.proj as ProjectionPlan).plan, 'int32')),
      denseT: tf.keep(this.proj?.denseT != null ? tf.tensor2d(this.proj.denseT, [this.proj.width, dim]) : tf.zeros([1])),
      mean: tf.keep(tf.fill([this.rows], 1 / this.rows) as tf.Tensor1D),
      range: tf.keep(tf.tensor1d([1, 0])),
    }));
    // every weight is checked where it enters (setWeights, tf.loadLayersModel): finite values, named '<layer>/<weight>'
    guardWeight(this, this.center, 'center');
    guardWeight(this, this.counts, this.countBits === 32 ? 'counts' : 'counts_packed', this.countBits === 32 ? {} : {
      finite: false,
      check: (v, where) => {
        const sum = valuesChecksum(v);
        if (this.countsChecksum != null && sum !== this.countsChecksum) {
          fail(where, `packed counts with the config's countsChecksum ${this.countsChecksum} (quantize again to change them)`, `checksum ${sum}`);
        }
      },
    });
    if (this.countsRange != null) {
      guardWeight(this, this.countsRange, 'counts_range', {
        check: (v, where) => {
          if (!(v[0] >= 0)) fail(where, 'a scale ≥ 0 (first value)', v[0]);
        },
      });
    }
    if (this.rowWeights != null) guardWeight(this, this.rowWeights, 'row_weights');
    this.built = true;
    this.hashInputs(); // thresholds of the initial center: later calls only replace them
    if (this.pendingWeights != null) {
      const w = this.pendingWeights;
      this.pendingWeights = null;
      try {
        this.setWeights(w);
      } finally {
        tf.dispose(w);
      }
    }
  }

  /** Checks every value (count, shapes, dtypes, finiteness) before writing any. */
  override setWeights(weights: tf.Tensor[]): void {
    checkWeightList(this, weights);
    super.setWeights(weights);
  }

  private requireBuilt(): { center: LayerVariable; counts: LayerVariable } {
    if (this.center == null || this.counts == null) {
      fail('RepresenterSketch', 'a built layer (call it on an input or build([null, dim]) first)', 'an unbuilt layer');
    }
    return { center: this.center, counts: this.counts };
  }

  private requireFloat(what: string): LayerVariable {
    const { counts } = this.requireBuilt();
    if (this.countBits !== 32) fail(what, 'a sketch with float counts (countBits 32; quantize after filling and refining)', `countBits ${this.countBits}`);
    return counts;
  }

  private checkFeatures(arg: string, x: unknown): tf.Tensor2D {
    const { center } = this.requireBuilt();
    return assertMatrix(arg, x, { cols: center.shape[0] as number });
  }

  /** The hash kernels' inputs; the thresholds c·p_j follow the center (recomputed when it was written). */
  private hashInputs(): HashInputs {
    const { center } = this.requireBuilt();
    const h = this.hashTensors as NonNullable<RepresenterSketch['hashTensors']>;
    const c = center.read();
    const dataId = (c as unknown as { dataId: object }).dataId;
    if (this.thresholdsOf?.dataId !== dataId) {
      const t = tf.keep(tf.tensor1d(thresholds(this.proj as ProjectionPlan, c.dataSync())));
      this.thresholdsOf?.t.dispose();
      this.thresholdsOf = { dataId, t };
    }
    return { plan: h.plan, thresholds: this.thresholdsOf.t, denseT: h.denseT, rows: this.rows, bits: this.bits, dense: this.projectionKind === 'gaussian' };
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [firstInputShape(inputShape)[0], this.outputs];
  }

  /** Bucket ids [batch, rows] (int32) of features x [batch, d]: bit k of row r is the sign of (x − center)·p_{r·bits+k}. */
  codes(x: tf.Tensor2D): tf.Tensor2D {
    this.checkFeatures('x', x);
    return sketchCodes(x, this.hashInputs());
  }

  /** The aggregation weights [rows]: 1/R everywhere ('mean') or the learned ones ('weighted'). Caller owns it. */
  aggregationWeights(): tf.Tensor1D {
    if (this.rowWeights != null) return tf.clone(this.rowWeights.read()) as tf.Tensor1D;
    return tf.fill([this.rows], 1 / this.rows) as tf.Tensor1D;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length !== 1) fail('inputs', 'one features tensor', `${list.length} tensors`);
    const x = this.checkFeatures('features', list[0]);
    const { counts } = this.requireBuilt();
    const h = this.hashTensors as NonNullable<RepresenterSketch['hashTensors']>;
    return sketchPredict(x, this.hashInputs(), {
      counts: counts.read(),
      rowWeights: this.rowWeights != null ? (this.rowWeights.read() as tf.Tensor1D) : h.mean,
      range: this.countsRange != null ? (this.countsRange.read() as tf.Tensor1D) : h.range,
      cells: this.cells,
      outputs: this.outputs,
      countBits: this.countBits,
      mean: this.rowWeights == null,
    });
  }

  /** Reads codes [n, rows] and the weights [n, outputs] after validating both (nothing is changed on error). */
  private readPoints(x: tf.Tensor2D, weights: tf.Tensor2D | undefined): { codes: Int32Array; w: Float32Array | null; n: number } {
    this.checkFeatures('x', x);
    if (weights != null) {
      assertMatrix('weights', weights, { rows: x.shape[0], cols: this.outputs });
      assertFiniteTensor('weights', weights);
    }
    const t = this.codes(x);
    const codes = t.dataSync() as Int32Array;
    t.dispose();
    const w = weights != null ? (weights.dataSync() as Float32Array) : null;
    return { codes, w, n: x.shape[0] };
  }

  private writeCounts(values: Float32Array): void {
    const counts = this.requireFloat('counts');
    const t = tf.tensor3d(values, [this.rows, this.cells, this.outputs]);
    counts.write(t);
    t.dispose();
  }

  /**
   * RACE insertion: adds each point's weight vector α_i ([n, outputs], default
   * 1) to its cell in every row. With 'mean' aggregation the layer then
   * estimates Σ_i α_i k(x_i, q) without bias.
   */
  insert(x: tf.Tensor2D, weights?: tf.Tensor2D): CellFill {
    const counts = this.requireFloat('insert');
    const { codes, w, n } = this.readPoints(x, weights);
    const values = Float32Array.from(counts.read().dataSync() as Float32Array);
    const { rows, cells, outputs } = this;
    // the hashing package's RACE insertion (the one RaceSketch uses)
    raceInsert(values, codes, w, { rows, cells, outputs });
    this.writeCounts(values);
    return { points: n, occupiedFraction: occupied(codes, rows, cells) };
  }

  /**
   * Normalised insertion: every cell holds the mean target of the points that
   * hash to it (the per-row Nadaraya–Watson estimate with the row's collision
   * kernel); empty cells hold the mean target over all points. With 'mean'
   * aggregation the layer then averages R such histogram regressions, so its
   * output is on the scale of the targets (e.g. the head's logits). Replaces
   * the counts.
   */
  fitCellMeans(x: tf.Tensor2D, targets: tf.Tensor2D): CellFill {
    this.requireFloat('fitCellMeans');
    if (targets == null) fail('targets', `a [${x?.shape?.[0]}, ${this.outputs}] tensor`, targets);
    const { codes, w, n } = this.readPoints(x, targets);
    const t = w as Float32Array;
    const { rows, cells, outputs } = this;
    const sums = new Float64Array(rows * cells * outputs);
    const hits = new Float64Array(rows * cells);
    const global = new Float64Array(outputs);
    for (let i = 0; i < n; i++) {
      for (let o = 0; o < outputs; o++) global[o] += t[i * outputs + o] / n;
      for (let r = 0; r < rows; r++) {
        const cell = r * cells + codes[i * rows + r];
        hits[cell]++;
        const base = cell * outputs;
        for (let o = 0; o < outputs; o++) sums[base + o] += t[i * outputs + o];
      }
    }
    const values = new Float32Array(rows * cells * outputs);
    for (let cell = 0; cell < rows * cells; cell++) {
      const base = cell * outputs;
      for (let o = 0; o < outputs; o++) values[base + o] = hits[cell] > 0 ? sums[base + o] / hits[cell] : global[o];
    }
    this.writeCounts(values);
    return { points: n, occupiedFraction: occupied(codes, rows, cells) };
  }

  /** Sets the center subtracted before hashing (e.g. the mean feature vector), [d]. */
  setCenter(center: tf.Tensor1D): void {
    const v = this.requireBuilt().center;
    if (!(center instanceof tf.Tensor) || center.rank !== 1 || center.shape[0] !== v.shape[0] || center.dtype !== 'float32') {
      fail('center', `a float32 tensor [${v.shape[0]}]`, center);
    }
    assertFiniteTensor('center', center);
    v.write(center);
  }

  /**
   * A new RepresenterSketch with this one's hash (same config, seed and center) and its float
   * counts quantized to `countBits` (16, 8 or 4) bits: one affine map for the whole array, so
   * each output is within scale/2 of this layer's (the mean; Σ|w_r|·scale/2 for 'weighted').
   * The new layer gets its weights when it is first applied (e.g. to the same features tensor
   * in a model). Named `name` (default '<this name>_q<bits>').
   */
  quantize(countBits: Exclude<CountBits, 32>, name?: string): RepresenterSketch {
    const counts = this.requireFloat('quantize');
    if (!COUNT_BITS.includes(countBits) || countBits === (32 as number)) fail('countBits', 'one of 16, 8, 4', countBits);
    if (name != null && typeof name !== 'string') fail('name', 'a string', name);
    const { words, scale, offset } = quantizeCounts(counts.read().dataSync() as Float32Array, countBits);
    const weights = [
      tf.clone((this.center as LayerVariable).read()),
      tf.tensor1d(words, 'int32'),
      tf.tensor1d([scale, offset]),
      ...(this.rowWeights != null ? [tf.clone(this.rowWeights.read())] : []),
    ];
    const config = this.getConfig();
    delete config.configChecksum;
    delete config.batchInputShape;
    const q = new RepresenterSketch({
      ...(config as unknown as RepresenterSketchArgs), countBits, countsChecksum: valuesChecksum(words), name: name ?? `${this.name}_q${countBits}`, trainable: false,
    });
    q.pendingWeights = weights;
    return q;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      outputs: this.outputs,
      rows: this.rows,
      bits: this.bits,
      projection: this.projectionKind,
      density: this.densityArg,
      seed: this.seed,
      aggregation: this.aggregation,
      countBits: this.countBits,
      ...(this.countsChecksum != null ? { countsChecksum: this.countsChecksum } : {}),
    };
    return { ...config, configChecksum: configChecksum(config) };
  }

  private disposeHash(): void {
    if (this.hashTensors != null) tf.dispose(Object.values(this.hashTensors));
    this.thresholdsOf?.t.dispose();
    this.hashTensors = null;
    this.thresholdsOf = null;
  }

  /** Frees the weights and the projection (also for a layer built directly and never applied in a model). */
  override dispose(): DisposeResult {
    if (this.inboundNodes.length > 0) {
      const r = super.dispose();
      if (r.refCountAfterDispose === 0) this.disposeHash();
      return r;
    }
    const vars = [this.center, this.counts, this.countsRange, this.rowWeights].filter((v): v is LayerVariable => v != null);
    vars.forEach((v) => v.dispose());
    this.disposeHash();
    if (this.pendingWeights != null) tf.dispose(this.pendingWeights);
    this.pendingWeights = null;
    return { refCountAfterDispose: 0, numDisposedVariables: vars.length };
  }
}

function occupied(codes: Int32Array, rows: number, cells: number): number {
  const seen = new Uint8Array(rows * cells);
  let k = 0;
  for (let i = 0; i < codes.length; i++) {
    const cell = (i % rows) * cells + codes[i];
    if (seen[cell] === 0) {
      seen[cell] = 1;
      k++;
    }
  }
  return k / (rows * cells);
}

const SKETCH_KEYS = [...LAYER_ARG_KEYS, 'outputs', 'rows', 'bits', 'projection', 'density', 'seed', 'aggregation', 'countBits', 'countsChecksum'];

tf.serialization.registerClass(RepresenterSketch);

// A brand instead of instanceof: layers built through another copy of this package
// (require next to import) are recognised too.
brandClass(RepresenterSketch, 'RepresenterSketch');

/** Whether x is a RepresenterSketch layer, from this or any other copy of the package. */
export function isRepresenterSketch(x: unknown): x is RepresenterSketch {
  return hasBrand(x, 'RepresenterSketch');
}

/** Factory in the style of tf.layers.*. */
export function representerSketch(args: RepresenterSketchArgs): RepresenterSketch {
  return new RepresenterSketch(args);
}
