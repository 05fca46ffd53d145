import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { DisposeResult, LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';
import type { LayerVariable } from '@tensorflow/tfjs-layers/dist/variables.js';
import { SimHash } from '@hashlayers/hashing';
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
  verifyConfigChecksum,
} from '@hashlayers/core/internal';
import { sketchCodes } from '../ops/sketch_codes.js';
import { sketchLookup } from '../ops/sketch_lookup.js';


export type Aggregation = 'mean' | 'weighted';

export interface RepresenterSketchArgs extends LayerArgs {
  /** Values stored per cell: the outputs of the head being replaced (e.g. classes). */
  outputs: number;
  /** R: independent rows, each its own SRP hash and count array (default 32). */
  rows?: number;
  /** K: SRP bits per row; each row has 2^K cells (1..20, default 8). */
  bits?: number;
  /** 'gaussian' (dense N(0,1), default) or 'sparse' (Achlioptas ±1/0) projections. */
  projection?: 'gaussian' | 'sparse';
  /** Non-zero fraction of a sparse projection (default 1/3). */
  density?: number;
  seed?: number;
  /** 'mean' over rows (the RACE estimator, default) or 'weighted': learned per-row weights (trainable, start at 1/R). */
  aggregation?: Aggregation;
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
 * collision probability. The counts are ordinary trainable weights (the
 * output is linear in them), so `model.fit` refines them; the center and the
 * projection are non-trainable weights, so `model.save` / `tf.loadLayersModel`
 * restore the exact hash.
 */
export class RepresenterSketch extends tfl.layers.Layer {
  static className = 'RepresenterSketch';
  readonly outputs: number;
  readonly rows: number;
  readonly bits: number;
  readonly projectionKind: 'gaussian' | 'sparse';
  readonly density: number;
  readonly seed: number;
  readonly aggregation: Aggregation;
  center: LayerVariable | null = null;
  projection: LayerVariable | null = null;
  counts: LayerVariable | null = null;
  rowWeights: LayerVariable | null = null;

  constructor(args: RepresenterSketchArgs) {
    super(args);
    if (args == null || typeof args !== 'object') fail('args', 'an options object', args);
    assertKnownKeys('RepresenterSketch args', args, SKETCH_KEYS);
    verifyConfigChecksum(args.name ?? 'RepresenterSketch', args);
    this.outputs = assertInt('outputs', args.outputs, 1);
    this.rows = assertInt('rows', args.rows ?? 32, 1, 4096);
    this.bits = assertInt('bits', args.bits ?? 8, 1, 20);
    this.projectionKind = assertOneOf('projection', args.projection ?? 'gaussian', ['gaussian', 'sparse']);
    this.density = args.density ?? 1 / 3;
    if (!(this.density > 0 && this.density <= 1)) fail('density', 'a number in (0, 1]', args.density);
    this.seed = assertInt('seed', args.seed ?? 0, 0, 0xffffffff);
    this.aggregation = assertOneOf('aggregation', args.aggregation ?? 'mean', ['mean', 'weighted']);
    const cells = this.rows * 2 ** this.bits * this.outputs;
    if (cells > 2 ** 28) fail('rows · 2^bits · outputs', 'at most 2^28 count cells', cells);
    this.supportsMasking = false;
  }

  /** Cells per row, 2^bits. */
  get cells(): number {
    return 2 ** this.bits;
  }

  /** Input feature dimension (after build). */
  get inputDim(): number {
    return this.requireBuilt().projection.shape[0] as number;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const dim = featureDim(inputShape);
    const width = this.rows * this.bits;
    this.center = this.addWeight('center', [dim], 'float32', tfl.initializers.zeros(), undefined, false);
    this.projection = this.addWeight('projection', [dim, width], 'float32', tfl.initializers.zeros(), undefined, false);
    this.counts = this.addWeight('counts', [this.rows, this.cells, this.outputs], 'float32', tfl.initializers.zeros(), undefined, true);
    if (this.aggregation === 'weighted') {
      this.rowWeights = this.addWeight('row_weights', [this.rows], 'float32', tfl.initializers.constant({ value: 1 / this.rows }), undefined, true);
    }
    // the projection is drawn from the seed by the hashing package's SimHash (same seed, same codes)
    const family = new SimHash({ inputDim: dim, tables: this.rows, bits: this.bits, seed: this.seed, projection: this.projectionKind, density: this.density });
    this.projection.write(family.getProjection());
    family.dispose();
    // every weight is checked where it enters (setWeights, tf.loadLayersModel): finite values, named '<layer>/<weight>'
    guardWeight(this, this.center, 'center');
    guardWeight(this, this.projection, 'projection');
    guardWeight(this, this.counts, 'counts');
    if (this.rowWeights != null) guardWeight(this, this.rowWeights, 'row_weights');
    this.built = true;
  }

  /** Checks every value (count, shapes, dtypes, finiteness) before writing any. */
  override setWeights(weights: tf.Tensor[]): void {
    checkWeightList(this, weights);
    super.setWeights(weights);
  }

  private requireBuilt(): { center: LayerVariable; projection: LayerVariable; counts: LayerVariable } {
    if (this.center == null || this.projection == null || this.counts == null) {
      fail('RepresenterSketch', 'a built layer (call it on an input or build([null, dim]) first)', 'an unbuilt layer');
    }
    return { center: this.center, projection: this.projection, counts: this.counts };
  }

  private checkFeatures(arg: string, x: unknown): tf.Tensor2D {
    const { projection } = this.requireBuilt();
    return assertMatrix(arg, x, { cols: projection.shape[0] as number });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [firstInputShape(inputShape)[0], this.outputs];
  }

  /** Bucket ids [batch, rows] (int32) of features x [batch, d]. */
  codes(x: tf.Tensor2D): tf.Tensor2D {
    const { center, projection } = this.requireBuilt();
    this.checkFeatures('x', x);
    return sketchCodes(x, center.read() as tf.Tensor1D, projection.read() as tf.Tensor2D, { rows: this.rows, bits: this.bits });
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
    return tf.tidy(() => {
      const codes = this.codes(x);
      const w = this.rowWeights != null ? (this.rowWeights.read() as tf.Tensor1D) : (tf.fill([this.rows], 1 / this.rows) as tf.Tensor1D);
      return sketchLookup(codes, counts.read() as tf.Tensor3D, w);
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
    const { counts } = this.requireBuilt();
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
    const { counts } = this.requireBuilt();
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

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      outputs: this.outputs,
      rows: this.rows,
      bits: this.bits,
      projection: this.projectionKind,
      density: this.density,
      seed: this.seed,
      aggregation: this.aggregation,
    };
    return { ...config, configChecksum: configChecksum(config) };
  }

  /** Frees the weights (also for a layer built directly and never applied in a model). */
  override dispose(): DisposeResult {
    if (this.inboundNodes.length > 0) return super.dispose();
    const vars = [this.center, this.projection, this.counts, this.rowWeights].filter((v): v is LayerVariable => v != null);
    vars.forEach((v) => v.dispose());
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

const SKETCH_KEYS = [...LAYER_ARG_KEYS, 'outputs', 'rows', 'bits', 'projection', 'density', 'seed', 'aggregation'];

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
