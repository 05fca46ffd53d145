import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { DisposeResult, LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';
import type { LayerVariable } from '@tensorflow/tfjs-layers/dist/variables.js';
import { BucketTables, BuildReport, Candidates, HashFamily, HashFamilyConfig, HashIndex, RebuildReport, hashFamilyFromConfig } from '@hashlayers/hashing';
import { topKOverCandidates } from '@hashlayers/hashing/internal';
import {
  assertBoolean,
  assertInt,
  assertKnownKeys,
  assertOneOf,
  brandClass,
  ClassRowEngine,
  checkWeightList,
  configChecksum,
  fail,
  featureDim,
  firstInputShape,
  guardWeight,
  hasBrand,
  isMultiInputShape,
  LAYER_ARG_KEYS,
  oneTensor,
  SeededRandom,
  deriveSeed,
  valuesChecksum,
  verifyConfigChecksum,
  guardWasmFusedActivations,
} from '@hashlayers/core/internal';
import type { RowSparseSource } from '@hashlayers/core';
import type { AdamHyperparameters } from '@hashlayers/core/internal';
import { buildCandidates, CandidateBatch, largestIds } from '../candidates.js';
import { candidateLogits, candidateSoftmaxLoss } from '../ops/candidate_softmax.js';
import { getInitializer, Initializer, InitializerArg, serializeInitializer, transposedInitializer } from './initializers.js';

/** The hash families an LSHSoftmax can use (all through @hashlayers/hashing's family interface). */
export type LSHSoftmaxHash = 'wta' | 'dwta' | 'simhash' | 'learned';

export interface LSHSoftmaxArgs extends LayerArgs {
  /** Number of classes. */
  units: number;
  /**
   * Hash of the class vectors [w; b] and queries [h; 1]: 'wta' (default, as in arXiv 1412.7479),
   * 'dwta' (sparse activations), 'simhash' (sign random projections after the MIPS transform),
   * 'learned' (a LearnedHash whose projections are non-trainable weights, trained by
   * @hashlayers/lss's LSSHashTrainer: Label Superior Sampling).
   */
  hash?: LSHSoftmaxHash;
  /** L, hash tables (default 16). */
  tables?: number;
  /** WTA/DWTA: entries compared per code (default 8). */
  window?: number;
  /** WTA/DWTA: codes per table (default 3, i.e. 9-bit buckets with window 8). */
  band?: number;
  /** SimHash and learned: sign bits per table (default 10). */
  bits?: number;
  /** Learned: queries and classes each get their own projection (default false: one projection hashes both). */
  asymmetric?: boolean;
  /** At most this many retrieved classes per query, most table hits first (default min(units, 1024)). */
  maxCandidates?: number;
  /**
   * Uniform samples of the classes outside the retrieved set, for the LSH-softmax tail estimate
   * (default min(100, ⌊units / 20⌋): 100 from 2,000 classes on). Without them, classes that are
   * never retrieved are never pushed down in training (measured: docs/lsh-softmax.md, "Real tasks").
   */
  uniformSamples?: number;
  /** Inference: queries with fewer retrieved classes are answered exactly (default 1: only those with none). */
  exactBelow?: number;
  /** Training: rows with fewer retrieved classes use every class (default 0: never; labels and tail samples suffice). */
  trainExactBelow?: number;
  /**
   * Classes with the largest biases added to every candidate set (default min(100, ⌊units / 20⌋): 100
   * from 2,000 classes on; 0 switches the head off). With Zipf-distributed
   * classes (words) the bias carries the frequency, and a hash of [w; b] retrieves rare and frequent
   * classes alike; an exact head for the most frequent classes (as in adaptive softmax) fixes that.
   */
  headClasses?: number;
  /**
   * Training: which classes of a group with equal table hits survive the cut to `maxCandidates`
   * (with band 3 the cut usually falls inside the group of classes sharing one table with the
   * query). 'bias' (default): those with the largest bias; 'random': a random subset drawn each step;
   * 'id': the smallest class ids. 'bias' and 'random' do not depend on how the classes are numbered.
   * Inference always keeps the smallest ids. Measured: docs/lsh-softmax.md, "Which tied classes a
   * training step keeps".
   */
  tieBreak?: 'bias' | 'random' | 'id';
  seed?: number;
  useBias?: boolean;
  /**
   * Any tfjs-layers initializer, as for tf.layers.dense: a name ('glorotUniform', the default;
   * 'heUniform', ...), an initializer object, or its config. The kernel starts as the transpose of
   * the Dense kernel the initializer would draw; a name is seeded with `seed`.
   */
  kernelInitializer?: InitializerArg;
  /** The bias initializer (default 'zeros'), as for tf.layers.dense. */
  biasInitializer?: InitializerArg;
  /** 'lsh' (default): candidates in training and inference. 'full': exact softmax (compatibility, baselines). */
  mode?: 'lsh' | 'full';
  /**
   * Train the class rows and bias in the layer's sparse engine instead of
   * through the optimizer the model was compiled with (default null: the
   * compiled optimizer trains them, from a dense [units, features] gradient).
   * With it, a training step reads and updates only the rows of its
   * candidate classes, by lazy Adam with these hyperparameters, applied
   * while model.fit back-propagates; kernel and bias become non-trainable
   * weights (still saved, loaded and set as before), and the rest of the
   * network stays with the compiled optimizer. Requires mode 'lsh'.
   */
  classOptimizer?: ClassOptimizerArgs | null;
  /**
   * Written by getConfig (do not set by hand): a checksum of the hash family
   * the config generates (WTA permutations, SimHash projections) and of the
   * saved hash codes. A saved model whose config no longer regenerates the
   * same family (changed seed, window, …), or whose codes were altered, then
   * fails to load instead of answering differently.
   */
  hashFingerprint?: number;
  /** See hashFingerprint. */
  codesChecksum?: number;
}

/** The layer's own optimizer for the class rows and bias (see LSHSoftmaxArgs.classOptimizer). */
export interface ClassOptimizerArgs {
  /** The only kind: lazy Adam (TF-Addons' LazyAdam): moments and values of the step's candidate rows only. */
  type?: 'lazyAdam';
  /** Default 0.001. */
  learningRate?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7 (as tf.train.adam). */
  epsilon?: number;
}

const CLASS_OPTIMIZER_KEYS = ['type', 'learningRate', 'beta1', 'beta2', 'epsilon'];

function classOptimizerOf(args: ClassOptimizerArgs | null | undefined): AdamHyperparameters | null {
  if (args == null) return null;
  if (typeof args !== 'object') fail('classOptimizer', "null or an object such as { learningRate: 0.001 }", args);
  assertKnownKeys('classOptimizer', args, CLASS_OPTIMIZER_KEYS);
  assertOneOf('classOptimizer.type', args.type ?? 'lazyAdam', ['lazyAdam']);
  const num = (name: string, v: unknown, dflt: number, ok: (x: number) => boolean, want: string): number => {
    const x = v ?? dflt;
    if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) fail(`classOptimizer.${name}`, want, v);
    return x;
  };
  return {
    learningRate: num('learningRate', args.learningRate, 0.001, (x) => x > 0, 'a finite number > 0'),
    beta1: num('beta1', args.beta1, 0.9, (x) => x >= 0 && x < 1, 'a number in [0, 1)'),
    beta2: num('beta2', args.beta2, 0.999, (x) => x >= 0 && x < 1, 'a number in [0, 1)'),
    epsilon: num('epsilon', args.epsilon, 1e-7, (x) => x > 0, 'a finite number > 0'),
  };
}

const LSH_SOFTMAX_KEYS = [
  ...LAYER_ARG_KEYS,
  'units',
  'hash',
  'tables',
  'window',
  'band',
  'bits',
  'asymmetric',
  'maxCandidates',
  'uniformSamples',
  'exactBelow',
  'trainExactBelow',
  'headClasses',
  'tieBreak',
  'seed',
  'useBias',
  'kernelInitializer',
  'biasInitializer',
  'mode',
  'classOptimizer',
  'hashFingerprint',
  'codesChecksum',
];

export interface TopK {
  /** [batch, k] int32 class ids, best first. */
  indices: tf.Tensor2D;
  /** [batch, k] probabilities normalised over the row's candidate set. */
  values: tf.Tensor2D;
  /** Retrieved classes per query (before fallback). */
  candidatesPerQuery: Int32Array;
  /** Queries answered exactly (fewer than exactBelow candidates). */
  exactRows: number;
}

export interface LabelRecall {
  /** Fraction of queries whose correct label is among the retrieved classes. */
  recall: number;
  /** Mean retrieved classes per query. */
  meanCandidates: number;
}

export interface TrainingStats {
  /** Mean classes in the softmax of a row (labels, retrieved, tail samples). */
  meanSetSize: number;
  meanRetrieved: number;
  exactRows: number;
}

/**
 * What the other hashlayers packages (the lss package's trainer and
 * callback) and this package's conversion reach inside an LSHSoftmax.
 * UNSTABLE: exported through '@hashlayers/lsh-softmax/internal' only.
 */
export interface LSHSoftmaxInternals {
  /** The hash family; its state (a learned family's projections) is the layer's non-trainable weights. */
  readonly family: HashFamily;
  /** The bucket index of the class vectors (restored from the codes weight after load or setWeights). */
  index(): HashIndex;
  /** The retrieved classes of the rows of h (ragged, by hits then id, or unordered; no head classes, no fallback). */
  retrieve(h: tf.Tensor2D, ordered?: boolean): Candidates;
  /** Validates labels ([batch] or [batch, 1], integer class ids in [0, units)) and reads them. */
  readLabels(labels: tf.Tensor, batch: number): Int32Array;
  /** The queries as the family hashes them ([h; 1] with a bias), [batch, family.inputDim]. */
  queryInputs(h: tf.Tensor2D): tf.Tensor2D;
  /** The class vectors of `ids` as the family hashes them ([w; b] with a bias), [ids, family.inputDim]. */
  classInputs(ids: tf.Tensor1D): tf.Tensor2D;
  /** Candidate sets of the rows of h (labels first when given: training). */
  candidates(h: tf.Tensor2D, labels: Int32Array | null, uniformSamples: number): CandidateBatch;
  /** Builds the layer with a Dense kernel [dim, units] (stored transposed) and bias, then hashes the classes. */
  setDenseWeights(kernel: tf.Tensor2D, bias: tf.Tensor1D | null): BuildReport;
}

let internalsOf: (layer: LSHSoftmax) => LSHSoftmaxInternals;

/** The internals of a layer (see LSHSoftmaxInternals; for @hashlayers/* packages only). */
export function lshSoftmaxInternals(layer: LSHSoftmax): LSHSoftmaxInternals {
  if (layer == null || typeof layer.getClassName !== 'function' || layer.getClassName() !== 'LSHSoftmax') fail('layer', 'an LSHSoftmax layer', layer);
  return internalsOf(layer);
}

/** The class ids of a padded candidate matrix without the padding (−1); duplicates stay. */
function candidateRows(ids: Int32Array): Int32Array {
  let n = 0;
  for (let p = 0; p < ids.length; p++) if (ids[p] >= 0) n++;
  const out = new Int32Array(n);
  for (let p = 0, j = 0; p < ids.length; p++) if (ids[p] >= 0) out[j++] = ids[p];
  return out;
}

/**
 * The default of headClasses and uniformSamples: 100, at most 5% of the
 * classes (so small layers stay sampled). Measured on two unrelated corpora
 * (docs/lsh-softmax.md, "Real tasks" and "Choices made here"): without the
 * head, sampled training loses 0.80x / 0.72x / 0.74x of the full softmax's
 * P@1 at 10k / 30k / 100k classes, with 100 head classes 1.01x / 1.07x /
 * 1.11x; without tail samples it loses 12% at 100k.
 */
function defaultSampled(units: number): number {
  return Math.min(100, Math.floor(units / 20));
}

/**
 * A softmax output layer over many classes that computes logits only for
 * the classes its hash tables retrieve (Vijayanarasimhan, Shlens, Monga,
 * Yagnik, "Deep Networks With Large Output Spaces", arXiv 1412.7479).
 *
 * - Called on `[features, labels]` (a two-input model) it returns the
 *   per-example softmax cross-entropy over labels ∪ retrieved ∪ tail samples,
 *   [batch, 1]: compile with `lshSoftmaxLoss` and `model.fit` trains at a
 *   cost set by the candidates, never materialising [batch, units].
 * - Called on `features` it returns full-width probabilities [batch, units]:
 *   non-zero only for candidates in 'lsh' mode, the exact softmax in 'full' mode.
 * - `topK(features, k)` is the fast inference path.
 *
 * The hash family comes from @hashlayers/hashing through its family
 * interface (`hashFamilyFromConfig`): the layer only builds the config. A
 * family's state (the learned family's projections) lives in non-trainable
 * weights named after the state entries (`query_projection`,
 * `label_projection`), which the family adopts.
 *
 * The kernel is stored one row per class, [units, inputDim] (the transpose of
 * a Dense kernel), so candidate rows are contiguous. The hash codes of the
 * classes are a non-trainable int32 weight, so `model.save` /
 * `tf.loadLayersModel` restore the index exactly.
 */
export class LSHSoftmax extends tfl.layers.Layer implements RowSparseSource {
  static className = 'LSHSoftmax';
  readonly units: number;
  readonly hash: LSHSoftmaxHash;
  readonly tables: number;
  readonly window: number;
  readonly band: number;
  readonly bits: number;
  readonly asymmetric: boolean;
  readonly maxCandidates: number;
  readonly uniformSamples: number;
  readonly exactBelow: number;
  readonly trainExactBelow: number;
  readonly headClasses: number;
  readonly tieBreak: 'bias' | 'random' | 'id';
  readonly seed: number;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  mode: 'lsh' | 'full';
  /** Lazy-Adam hyperparameters of the sparse engine's class-row training, or null (see LSHSoftmaxArgs.classOptimizer). */
  readonly classOptimizer: AdamHyperparameters | null;
  kernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;
  codes: LayerVariable | null = null;
  /** Statistics of the last training step. */
  lastTrainingStats: TrainingStats | null = null;
  private family: HashFamily | null = null;
  private transform: 'none' | 'mips' = 'none';
  private stateWeights: LayerVariable[] = [];
  private index: HashIndex | null = null;
  private head: Int32Array | null = null;
  /** What the head was computed from (the bias variable's data or the engine) and the engine's version then. */
  private headKey: object | null = null;
  private headVersion = 0;
  private codesDataId: object | null = null;
  /** From a saved config: what the family and the loaded codes must match (checked on build and first use). */
  private expectedFingerprint: number | null = null;
  private expectedCodesChecksum: number | null = null;
  private rng: SeededRandom;
  /** Rows of kernel and bias the last training step touched, per variable, until the optimizer clears them. */
  private touched = new Map<tf.Variable, Int32Array>();
  /** With classOptimizer: the engine that holds and trains the class rows, and the variables' state it matches. */
  private engine: ClassRowEngine | null = null;
  private engineState: { version: number; kernelId: object | null; biasId: object | null } = { version: -1, kernelId: null, biasId: null };
  /** A zero scalar weight that puts the sparse logits on model.fit's gradient path (its gradient is 0). */
  private anchor: LayerVariable | null = null;
  /** The variables' own read (without the engine's sync), for the variables whose read syncs. */
  private rawReads = new Map<LayerVariable, () => tf.Tensor>();

  static {
    internalsOf = (layer) => ({
      get family() {
        return layer.requireBuilt().family;
      },
      index: () => layer.getIndex(),
      retrieve: (h, ordered = true) => {
        layer.checkFeatures(h);
        return layer.retrieve(h, ordered);
      },
      readLabels: (labels, batch) => layer.readLabels(labels, batch),
      queryInputs: (h) => {
        layer.checkFeatures(h);
        return layer.getIndex().transformQueries(h);
      },
      classInputs: (ids) => layer.classInputs(ids),
      candidates: (h, labels, uniformSamples) => layer.candidates(h, labels, uniformSamples),
      setDenseWeights: (kernel, bias) => layer.setDenseWeights(kernel, bias),
    });
  }

  constructor(args: LSHSoftmaxArgs) {
    super(args ?? {});
    if (args == null || typeof args !== 'object') fail('args', 'an object with units (the number of classes)', args);
    assertKnownKeys('LSHSoftmax args', args, LSH_SOFTMAX_KEYS);
    verifyConfigChecksum(args.name ?? 'LSHSoftmax', args);
    // bounded so that [units, dim] and the code tables are valid typed arrays (a clear error, not 'Invalid typed array length')
    this.units = assertInt('units', args.units, 2, 1 << 28);
    this.hash = assertOneOf('hash', args.hash ?? 'wta', ['wta', 'dwta', 'simhash', 'learned']);
    this.tables = assertInt('tables', args.tables ?? 16, 1, 4096);
    this.window = assertInt('window', args.window ?? 8, 2, 1 << 16);
    this.band = assertInt('band', args.band ?? 3, 1, 30);
    this.bits = assertInt('bits', args.bits ?? 10, 1, 30);
    if (args.asymmetric != null && typeof args.asymmetric !== 'boolean') fail('asymmetric', 'a boolean', args.asymmetric);
    this.asymmetric = args.asymmetric ?? false;
    if (this.asymmetric && this.hash !== 'learned') fail('asymmetric', "false unless hash is 'learned'", `true with hash '${this.hash}'`);
    this.maxCandidates = assertInt('maxCandidates', args.maxCandidates ?? Math.min(this.units, 1024), 1);
    this.uniformSamples = assertInt('uniformSamples', args.uniformSamples ?? defaultSampled(this.units), 0);
    this.exactBelow = assertInt('exactBelow', args.exactBelow ?? 1, 0);
    this.trainExactBelow = assertInt('trainExactBelow', args.trainExactBelow ?? 0, 0);
    this.headClasses = assertInt('headClasses', args.headClasses ?? defaultSampled(this.units), 0, this.units);
    this.tieBreak = assertOneOf('tieBreak', args.tieBreak ?? 'bias', ['bias', 'random', 'id']);
    this.seed = assertInt('seed', args.seed ?? 0, 0, 0xffffffff);
    this.useBias = assertBoolean('useBias', args.useBias, true);
    if (args.hashFingerprint != null) this.expectedFingerprint = assertInt('hashFingerprint', args.hashFingerprint, 0, 0xffffffff);
    if (args.codesChecksum != null) this.expectedCodesChecksum = assertInt('codesChecksum', args.codesChecksum, 0, 0xffffffff);
    this.kernelInitializer = getInitializer('kernelInitializer', args.kernelInitializer ?? 'glorotUniform', this.seed);
    this.biasInitializer = getInitializer('biasInitializer', args.biasInitializer ?? 'zeros', this.seed);
    this.mode = assertOneOf('mode', args.mode ?? 'lsh', ['lsh', 'full']);
    this.classOptimizer = classOptimizerOf(args.classOptimizer);
    this.rng = new SeededRandom(this.seed + 1);
    this.supportsMasking = false;
  }

  /**
   * The family config for class vectors of `dim` features (bias folded in;
   * SimHash after the MIPS transform, which adds a dimension): the one place
   * where the layer names families.
   */
  private familyConfig(dim: number): { config: HashFamilyConfig; transform: 'none' | 'mips' } {
    const transform = this.hash === 'simhash' ? 'mips' : 'none';
    const inputDim = dim + (this.useBias ? 1 : 0) + (transform === 'mips' ? 1 : 0);
    const base = { inputDim, tables: this.tables, seed: this.seed };
    const config: HashFamilyConfig =
      this.hash === 'simhash'
        ? { ...base, className: 'SimHash', bits: this.bits }
        : this.hash === 'learned'
          ? { ...base, className: 'LearnedHash', bits: this.bits, asymmetric: this.asymmetric }
          : { ...base, className: this.hash === 'dwta' ? 'DWTAHash' : 'WTAHash', window: Math.min(this.window, inputDim), band: this.band };
    return { config, transform };
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    // a Dense(relu) before this layer on wasm must not turn NaN into 0 (see core's wasm_fused_activation)
    guardWasmFusedActivations();
    const dim = featureDim(inputShape);
    if (this.units * (dim + 1) > 2 ** 30) fail('units', `units · (features + 1) at most 2^30 (${dim} features)`, this.units);
    const { config, transform } = this.familyConfig(dim);
    // the window WTA/DWTA use (at most the hashed width): getConfig reports what the layer does
    if (config.className === 'WTAHash' || config.className === 'DWTAHash') (this as { window: number }).window = config.window as number;
    const family = hashFamilyFromConfig(config);
    this.checkFingerprint(family);
    // the family's state (learned projections) becomes non-trainable weights that the family hashes with:
    // model.save, tf.loadLayersModel and setWeights then read and write it directly
    const adopted: Record<string, tf.Variable> = {};
    for (const [name, value] of Object.entries(family.state)) {
      const w = this.addWeight(name, value.shape, value.dtype, tfl.initializers.zeros(), undefined, false);
      w.write(value);
      this.stateWeights.push(w);
      adopted[name] = w.read() as tf.Variable;
    }
    family.adoptState(adopted);
    this.family = family;
    this.transform = transform;
    // with the sparse engine the layer trains kernel and bias itself: the compiled optimizer must not see them
    const trainable = this.classOptimizer == null;
    this.kernel = this.addWeight('kernel', [this.units, dim], 'float32', transposedInitializer(this.kernelInitializer), undefined, trainable);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], 'float32', this.biasInitializer, undefined, trainable);
    if (!trainable) this.anchor = this.addWeight('sparse_anchor', [], 'float32', tfl.initializers.zeros(), undefined, true);
    this.codes = this.addWeight('hash_codes', [this.units, this.tables], 'int32', tfl.initializers.zeros(), undefined, false);
    // every weight is checked where it enters (setWeights, tf.loadLayersModel, conversions): finite floats, codes in range
    guardWeight(this, this.kernel, 'kernel');
    if (this.bias != null) guardWeight(this, this.bias, 'bias');
    guardWeight(this, this.codes, 'hash_codes', {
      min: 0,
      max: 2 ** family.bitsPerTable - 1,
      check: (values, where) => this.checkCodesChecksum(values, where),
    });
    for (const w of this.stateWeights) guardWeight(this, w, (w.originalName ?? w.name).split('/').pop() as string);
    if (this.anchor != null) {
      guardWeight(this, this.anchor, 'sparse_anchor');
      // reading kernel or bias (getWeights, model.save, topK, rehash) first copies the engine's trained rows out
      for (const v of [this.kernel, this.bias]) if (v != null) this.syncOnRead(v);
    }
    this.buildIndex();
    this.built = true;
  }

  /** Codes loaded into a layer made from a saved config must be the codes saved with it (once, on load). */
  private checkCodesChecksum(values: ArrayLike<number>, where: string): void {
    if (!this.built || this.expectedCodesChecksum == null) return;
    const got = valuesChecksum(values);
    if (got !== this.expectedCodesChecksum) fail(where, `the codes saved with this model (checksum ${this.expectedCodesChecksum})`, `codes with checksum ${got}`);
    this.expectedCodesChecksum = null;
  }

  /**
   * A checksum of the family the config generates: the bucket ids of a fixed
   * probe (null for a learned family: its projections are weights, restored
   * exactly).
   */
  private fingerprint(family: HashFamily): number | null {
    if (this.hash === 'learned') return null;
    const probe = tf.tidy(() => {
      const r = new SeededRandom(0x5eed);
      const x = tf.tensor2d(Float32Array.from({ length: 4 * family.inputDim }, () => r.gaussian()), [4, family.inputDim]);
      return family.hash(x);
    });
    const v = probe.dataSync();
    probe.dispose();
    return valuesChecksum(v);
  }

  private checkFingerprint(family: HashFamily): void {
    if (this.expectedFingerprint == null) return;
    const got = this.fingerprint(family);
    if (got != null && got !== this.expectedFingerprint) {
      family.dispose();
      fail(
        `${this.name} config`,
        `the hash family it was saved with (fingerprint ${this.expectedFingerprint}; seed, tables, window, band, bits or hash changed?)`,
        `a family with fingerprint ${got}`,
      );
    }
  }

  /** Checks every value (count, shapes, dtypes, code ranges, finiteness) before writing any. */
  override setWeights(weights: tf.Tensor[]): void {
    // codes set by hand are the user's: no saved checksum to match
    this.expectedCodesChecksum = null;
    checkWeightList(this, weights);
    super.setWeights(weights);
  }

  private requireBuilt(): { kernel: LayerVariable; codes: LayerVariable; family: HashFamily } {
    if (this.kernel == null || this.codes == null || this.family == null) fail('LSHSoftmax', 'a built layer (call it on an input first)', 'an unbuilt layer');
    return { kernel: this.kernel, codes: this.codes, family: this.family };
  }

  private indexOptions() {
    return { foldBias: this.useBias, transform: this.transform, storeItems: false };
  }

  /** Hashes every class vector from scratch and stores the codes. */
  private buildIndex(): BuildReport {
    const { kernel, family } = this.requireBuilt();
    const index = new HashIndex(family, this.indexOptions());
    const report = index.build(kernel.read() as tf.Tensor2D, this.bias?.read() as tf.Tensor1D | undefined);
    this.index = index;
    this.storeCodes();
    this.updateHead();
    return report;
  }

  /** The exact head: class ids added to every candidate set (empty without headClasses). */
  headClassIds(): Int32Array {
    this.getIndex();
    return this.head ?? new Int32Array(0);
  }

  /**
   * The `headClasses` classes with the largest bias, a function of the
   * current bias (recomputed when it changed), so a saved and reloaded layer
   * has the same head as the layer that was saved.
   */
  private updateHead(): void {
    if (this.headClasses === 0 || this.bias == null) {
      this.head = null;
      return;
    }
    const bv = this.storedValue(this.bias);
    const e = this.engine;
    // with classOptimizer the engine's bias is the current one (unless the variables were written since it
    // loaded them): the head follows it step by step, as it follows the variable without the engine; a
    // saved layer's bias is the engine's (synced on read), so a reloaded layer has the same head
    const live = e != null && this.engineState.biasId === bv.dataId;
    const key = live ? e : bv.dataId;
    const version = live ? e.version : 0;
    if (this.head != null && this.headKey === key && this.headVersion === version) return;
    this.head = largestIds(live ? (e.bias() as Float32Array) : (bv.dataSync() as Float32Array), this.headClasses);
    this.headKey = key;
    this.headVersion = version;
  }

  private storeCodes(): void {
    const { codes } = this.requireBuilt();
    const t = (this.index as HashIndex).toTensors().codes;
    codes.write(t);
    t.dispose();
    this.codesDataId = codes.read().dataId;
  }

  /** The index, restored from the codes weight when it was replaced (loadLayersModel, setWeights). */
  private getIndex(): HashIndex {
    const { codes, family } = this.requireBuilt();
    const v = codes.read();
    if (this.index == null || v.dataId !== this.codesDataId) {
      this.checkCodesChecksum(v.dataSync(), `${this.name}/hash_codes`);
      this.index = HashIndex.fromTensors(family, { codes: v as tf.Tensor2D }, this.indexOptions());
      this.codesDataId = v.dataId;
    }
    this.updateHead();
    return this.index;
  }

  /**
   * Re-hashes the class vectors after training moved them (or a learned
   * hash was trained); the tables are rebuilt only when at least
   * `minChangedFraction` of the codes changed.
   *
   * Incremental with the sparse engine (classOptimizer) and a WTA or DWTA
   * hash: only the classes the engine changed since the last rehash (or
   * all, after the weights were written) are re-hashed, straight from the
   * engine's rows, and their buckets updated in place (HashIndex.update);
   * the cost follows the changed rows, so their codes are always brought
   * up to date (`minChangedFraction` applies to the full rebuild only).
   */
  rehash(opts: { minChangedFraction?: number } = {}): RebuildReport {
    const { kernel } = this.requireBuilt();
    const index = this.getIndex();
    const minFrac = opts.minChangedFraction ?? 0;
    if (!(minFrac >= 0 && minFrac <= 1)) fail('minChangedFraction', 'a number in [0, 1]', opts.minChangedFraction);
    if (this.classOptimizer != null && (this.hash === 'wta' || this.hash === 'dwta')) return this.rehashChanged(index);
    const report = index.rebuild(kernel.read() as tf.Tensor2D, this.bias?.read() as tf.Tensor1D | undefined, opts);
    if (report.rebuilt) this.storeCodes();
    this.updateHead();
    return report;
  }

  /** rehash through the engine: the rows it changed since the last one, re-hashed and moved in place. */
  private rehashChanged(index: HashIndex): RebuildReport {
    const engine = this.classEngine(); // reloads (every row changed) when the variables were written
    const ids = engine.takeChangedRows();
    const { dim } = engine;
    const w = engine.rows();
    const b = engine.bias();
    const items = new Float32Array(ids.length * dim);
    for (let j = 0; j < ids.length; j++) items.set(w.subarray(ids[j] * dim, (ids[j] + 1) * dim), j * dim);
    const bias = b != null ? Float32Array.from(ids, (c) => b[c]) : null;
    const rows = tf.tensor2d(items, [ids.length, dim]);
    const rowBias = bias != null ? tf.tensor1d(bias) : undefined;
    let report;
    try {
      report = index.update(ids, rows, rowBias);
    } catch (e) {
      engine.markChanged(ids); // not hashed: still to do
      throw e;
    } finally {
      tf.dispose([rows, ...(rowBias != null ? [rowBias] : [])]);
    }
    if (report.changedItems > 0) this.storeCodes();
    this.updateHead();
    return { ...report, rebuilt: report.changedCodes > 0 };
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = firstInputShape(inputShape);
    return isMultiInputShape(inputShape) ? [shape[0], 1] : [shape[0], this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length > 2) fail('inputs', '[features] or [features, labels]', `${list.length} tensors`);
    const h = list[0] as tf.Tensor2D;
    this.checkFeatures(h);
    if (list.length === 1 && this.mode === 'lsh' && kwargs?.training === true) {
      // the probabilities of the candidates have no gradient to the weights: tfjs would only say
      // 'Cannot find a connection between any variable and the result of the loss function'
      fail(
        `${this.name} inputs`,
        "[features, labels] when training (build the model with trainingModel(inputs, features, layer) and compile it with lshSoftmaxLoss; or use mode 'full')",
        'features only, in model.fit',
      );
    }
    if (list.length === 2) return this.trainingLoss(h, list[1]);
    return this.probabilities(h);
  }

  private checkFeatures(h: tf.Tensor): void {
    const { kernel } = this.requireBuilt();
    const dim = kernel.shape[1];
    if (h instanceof tf.Tensor && h.isDisposed) fail('features', 'a live tensor', 'a disposed tensor');
    if (!(h instanceof tf.Tensor) || h.rank !== 2 || h.shape[1] !== dim) {
      fail('features', `a [batch, ${dim}] tensor`, h instanceof tf.Tensor ? `shape [${h.shape.join(', ')}]` : h);
    }
  }

  /** Validates labels ([batch] or [batch, 1], integer class ids in [0, units)) and reads them. */
  private readLabels(labels: tf.Tensor, batch: number): Int32Array {
    if (!(labels instanceof tf.Tensor)) fail('labels', 'a tensor of class ids', labels);
    if (labels.isDisposed) fail('labels', 'a live tensor', 'a disposed tensor');
    const ok = (labels.rank === 1 && labels.shape[0] === batch) || (labels.rank === 2 && labels.shape[0] === batch && labels.shape[1] === 1);
    if (!ok) fail('labels', `shape [${batch}] or [${batch}, 1]`, `shape [${labels.shape.join(', ')}]`);
    const v = labels.dataSync();
    const out = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      const y = v[i] as number;
      if (!Number.isInteger(y)) fail('labels', 'integer class ids', `${y} at row ${i}`);
      if (y < 0 || y >= this.units) fail('labels', `class ids in [0, ${this.units})`, `${y} at row ${i}`);
      out[i] = y;
    }
    return out;
  }

  private fullLogits(h: tf.Tensor2D): tf.Tensor2D {
    const { kernel } = this.requireBuilt();
    return tf.tidy(() => {
      const z = tf.matMul(h, kernel.read() as tf.Tensor2D, false, true);
      return (this.bias != null ? tf.add(z, this.bias.read()) : z) as tf.Tensor2D;
    });
  }

  /** The class vectors of `ids` as the family hashes them. */
  private classInputs(ids: tf.Tensor1D): tf.Tensor2D {
    const { kernel } = this.requireBuilt();
    const index = this.getIndex();
    return tf.tidy(() => {
      const w = kernel.read() as tf.Tensor2D;
      const b = this.bias?.read() as tf.Tensor1D | undefined;
      // the MIPS transform scales by the largest norm of all classes: transform all, then gather
      if (this.transform === 'mips') return tf.gather(index.transformItems(w, b), ids) as tf.Tensor2D;
      return index.transformItems(tf.gather(w, ids) as tf.Tensor2D, b != null ? (tf.gather(b, ids) as tf.Tensor1D) : undefined);
    });
  }

  /**
   * The classes retrieved for the rows of h (by hits then id, or unordered:
   * the same sets, faster). With `tieSeed`, a cut by maxCandidates inside a
   * group of equal hits keeps a seeded random subset of it instead of its
   * smallest ids (training: the negatives must not depend on the class ids).
   */
  private retrieve(h: tf.Tensor2D, ordered = true, tieSeed?: number, tieScores?: ArrayLike<number>): Candidates {
    const index = this.getIndex();
    return index.retrieveCodes(this.queryCodes(h), h.shape[0], {
      maxCandidates: this.maxCandidates,
      ordered,
      ...(tieSeed != null ? { tieSeed } : {}),
      ...(tieScores != null ? { tieScores } : {}),
    });
  }

  /**
   * The bucket ids [batch · tables] of the rows of h: in JavaScript when the
   * family hashes queries without tfjs (WTA, DWTA; their query transform
   * only appends the folded bias's 1), from h's values `hostValues` when the caller
   * read them already, else through tfjs (no read of h on the host).
   */
  private queryCodes(h: tf.Tensor2D, hostValues?: Float32Array): Int32Array {
    const { family } = this.requireBuilt();
    const [batch, dim] = h.shape;
    if (family.hashQueriesArray != null && this.transform === 'none' && !family.asymmetric) {
      const hv = hostValues ?? (h.dataSync() as Float32Array);
      if (!this.useBias) return family.hashQueriesArray(hv, batch);
      const x = new Float32Array(batch * (dim + 1));
      for (let i = 0; i < batch; i++) {
        x.set(hv.subarray(i * dim, (i + 1) * dim), i * (dim + 1));
        x[i * (dim + 1) + dim] = 1;
      }
      return family.hashQueriesArray(x, batch);
    }
    const codes = this.getIndex().hashQueries(h);
    const values = Int32Array.from(codes.dataSync() as Int32Array);
    codes.dispose();
    return values;
  }

  /**
   * How often the correct label is a candidate (retrieved or a head class),
   * and the mean candidate classes per query (retrieved ∪ head, before the
   * exact fallback): the quantity Label Superior Sampling optimises.
   */
  labelRecall(features: tf.Tensor | tf.Tensor[], labels: tf.Tensor): LabelRecall {
    const h = oneTensor('features', features) as tf.Tensor2D;
    this.checkFeatures(h);
    const y = this.readLabels(labels, h.shape[0]);
    const found = this.retrieve(h);
    const head = this.headClassIds();
    const inHead = new Uint8Array(this.units);
    for (const c of head) inHead[c] = 1;
    let hit = 0;
    let total = 0;
    for (let i = 0; i < y.length; i++) {
      let found_i = inHead[y[i]] === 1;
      let extra = 0;
      for (let j = found.offsets[i]; j < found.offsets[i + 1]; j++) {
        if (found.ids[j] === y[i]) found_i = true;
        if (inHead[found.ids[j]] === 0) extra++;
      }
      if (found_i) hit++;
      total += head.length + extra;
    }
    return { recall: hit / Math.max(1, y.length), meanCandidates: total / Math.max(1, y.length) };
  }

  /** Candidate sets of the rows of h (labels first when given: training). */
  private candidates(h: tf.Tensor2D, labels: Int32Array | null, uniformSamples: number): CandidateBatch {
    // training: which classes of a tied group survive the cut to maxCandidates is drawn afresh each step
    // (seeded by the layer's generator), not the smallest ids, which would make the same low-id classes
    // the retrieved negatives of every query
    // (the seed is drawn whatever the rule, so that the rules share the generator's stream)
    const tieSeed = labels != null ? this.rng.nextUint32() : undefined;
    const rule = this.tieBreak === 'bias' && this.bias == null ? 'random' : this.tieBreak;
    let found: Candidates | null = null;
    if (tieSeed != null) {
      if (this.classOptimizer != null) found = this.engineRetrieve(h, rule, tieSeed);
      found ??= this.retrieve(h, false, rule === 'random' ? tieSeed : undefined, rule === 'bias' ? this.storedValue(this.bias as LayerVariable).dataSync() : undefined);
    }
    found ??= this.retrieve(h, false);
    this.updateHead();
    const exactBelow = labels != null ? this.trainExactBelow : this.exactBelow;
    return buildCandidates(found, labels, { units: this.units, exactBelow, uniformSamples, head: this.head ?? undefined }, this.rng);
  }

  private trainingLoss(h: tf.Tensor2D, labels: tf.Tensor): tf.Tensor {
    const batch = h.shape[0];
    const y = this.readLabels(labels, batch);
    if (this.classOptimizer != null && this.mode !== 'lsh') {
      fail('mode', "'lsh' when classOptimizer is set (the engine trains the class rows over the candidates)", this.mode);
    }
    const { kernel } = this.requireBuilt();
    if (this.mode === 'full') {
      return tf.tidy(() => {
        const z = this.fullLogits(h);
        const picked = tf.sum(tf.mul(z, tf.oneHot(tf.tensor1d(y, 'int32'), this.units)), 1, true);
        return tf.sub(tf.logSumExp(z, 1, true), picked);
      });
    }
    const cb = this.candidates(h, y, this.uniformSamples);
    let total = 0;
    let retrieved = 0;
    for (let i = 0; i < batch; i++) {
      for (let k = 0; k < cb.width; k++) if (cb.ids[i * cb.width + k] >= 0) total++;
      retrieved += cb.retrieved[i];
    }
    this.lastTrainingStats = { meanSetSize: total / batch, meanRetrieved: retrieved / batch, exactRows: cb.exactRows };
    if (this.classOptimizer != null) return this.engineLoss(h, cb, this.classOptimizer);
    // the only rows of kernel and bias this step's gradient touches: a lazy FusedAdamOptimizer updates just these
    // (it validates them and drops duplicates once, when it applies the step)
    const rows = candidateRows(cb.ids);
    this.touched.clear();
    this.touched.set(kernel.read() as tf.Variable, rows);
    if (this.bias != null) this.touched.set(this.bias.read() as tf.Variable, rows);
    return tf.tidy(() => {
      const cand = tf.tensor2d(cb.ids, [batch, cb.width], 'int32');
      const lw = tf.tensor2d(cb.logWeights, [batch, cb.width]);
      const z = candidateLogits(h, kernel.read() as tf.Tensor2D, (this.bias?.read() ?? null) as tf.Tensor1D | null, cand, lw);
      return candidateSoftmaxLoss(z);
    });
  }

  /**
   * RowSparseSource: the rows of the kernel (or bias) the last training step's
   * loss read (candidates and labels), for a lazy FusedAdamOptimizer given this
   * layer as a row source; null for other variables or before a step.
   */
  touchedRows(variable: tf.Variable): Int32Array | null {
    return this.touched.get(variable) ?? null;
  }

  /** RowSparseSource: the optimizer applied the step to `variable`. */
  clearTouchedRows(variable: tf.Variable): void {
    this.touched.delete(variable);
  }

  /** A variable's value without the engine's sync (for the variables whose read syncs). */
  private storedValue(v: LayerVariable): tf.Tensor {
    const raw = this.rawReads.get(v);
    return raw != null ? raw() : v.read();
  }

  /** Makes `v.read()` copy the engine's rows out first when training changed them. */
  private syncOnRead(v: LayerVariable): void {
    const raw = v.read.bind(v);
    this.rawReads.set(v, raw);
    v.read = () => {
      this.syncVariables();
      return raw();
    };
  }

  /** The engine, holding the variables' current values (loaded again when they were written: setWeights, a load). */
  private classEngine(): ClassRowEngine {
    const { kernel } = this.requireBuilt();
    const k = this.storedValue(kernel);
    const b = this.bias != null ? this.storedValue(this.bias) : null;
    this.engine ??= new ClassRowEngine(this.units, kernel.shape[1] as number, this.bias != null);
    if (this.engineState.kernelId !== k.dataId || this.engineState.biasId !== (b?.dataId ?? null)) {
      this.engine.load(k.dataSync(), b?.dataSync() ?? null);
      this.engineState = { version: this.engine.version, kernelId: k.dataId, biasId: b?.dataId ?? null };
    }
    return this.engine;
  }

  /**
   * retrieve(h, false, …) in the sparse engine (WebAssembly, on its
   * threads), the tied group thinned by the engine's bias, by tieSeed or to its smallest ids:
   * the same candidates, or null when the engine cannot (no SIMD).
   */
  private engineRetrieve(h: tf.Tensor2D, rule: 'bias' | 'random' | 'id', tieSeed: number): Candidates | null {
    const index = this.getIndex();
    const batch = h.shape[0];
    let seeds: Int32Array | null = null;
    if (rule === 'random') {
      seeds = new Int32Array(batch);
      for (let i = 0; i < batch; i++) seeds[i] = deriveSeed(tieSeed, i);
    }
    const r = this.classEngine().unionRows(index.bucketTables(), this.queryCodes(h), batch, this.maxCandidates, 1, seeds, rule === 'bias');
    return r == null ? null : { ids: r.ids, offsets: r.offsets, hits: new Int32Array(0) };
  }

  /** Copies the engine's rows into kernel and bias when training changed them since (and nothing wrote the variables). */
  private syncVariables(): void {
    const e = this.engine;
    if (e == null || e.version === this.engineState.version || this.kernel == null) return;
    const k = this.storedValue(this.kernel) as tf.Variable;
    const b = this.bias != null ? (this.storedValue(this.bias) as tf.Variable) : null;
    // written since the engine last loaded them (setWeights, a load): the written values win
    if (this.engineState.kernelId !== k.dataId || this.engineState.biasId !== (b?.dataId ?? null)) return;
    tf.tidy(() => {
      // copies (tfjs-node may share an aligned array given to tf.tensor; the engine's memory must not be shared)
      k.assign(tf.tensor2d(Float32Array.from(e.rows()), k.shape as [number, number]));
      if (b != null) b.assign(tf.tensor1d(Float32Array.from(e.bias() as Float32Array)));
    });
    this.engineState = { version: e.version, kernelId: k.dataId, biasId: b?.dataId ?? null };
  }

  /**
   * The training loss through the sparse engine: logits of the candidates
   * from the engine's rows; their backward pass gives d/dh and applies one
   * lazy-Adam step to the candidate rows and biases (the step happens while
   * model.fit back-propagates; nothing of size [units, features] is made).
   */
  private engineLoss(h: tf.Tensor2D, cb: CandidateBatch, adam: AdamHyperparameters): tf.Tensor {
    const engine = this.classEngine();
    const [batch, dim] = h.shape;
    const { ids, width } = cb;
    const hv = Float32Array.from(h.dataSync() as Float32Array);
    const sparseLogits = tf.customGrad(((_x: tf.Tensor, anchor: tf.Tensor) => {
      const z = new Float32Array(batch * width);
      engine.logits(hv, batch, ids, width, z);
      return {
        value: tf.tensor2d(z, [batch, width]),
        gradFunc: (dy: tf.Tensor) => {
          const dh = new Float32Array(batch * dim);
          // a frozen layer (trainable = false) still passes d/dh on to the layers below, but does not step
          engine.backward(hv, batch, ids, width, dy.dataSync() as Float32Array, dh, this.trainable ? adam : null);
          return [tf.tensor2d(dh, [batch, dim]), tf.zerosLike(anchor)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return tf.tidy(() => {
      const z = sparseLogits(h, (this.anchor as LayerVariable).read()) as tf.Tensor2D;
      return candidateSoftmaxLoss(tf.add(z, tf.tensor2d(cb.logWeights, [batch, width])) as tf.Tensor2D);
    });
  }

  /**
   * Candidate probabilities [batch, width] (row-major) and the padded
   * candidate ids: exact logits of the candidates from the engine's class
   * rows, softmax over each candidate set (with its log-weights).
   */
  private candidateProbabilities(h: tf.Tensor2D): { probs: Float32Array; cb: CandidateBatch } {
    const engine = this.classEngine();
    const cb = this.candidates(h, null, 0);
    const { batch, width } = cb;
    const z = new Float32Array(batch * width);
    engine.logits(h.dataSync() as Float32Array, batch, cb.ids, width, z);
    for (let i = 0; i < batch; i++) {
      const row = i * width;
      let max = -Infinity;
      for (let j = row; j < row + width; j++) {
        z[j] += cb.logWeights[j];
        if (z[j] > max) max = z[j];
      }
      let sum = 0;
      for (let j = row; j < row + width; j++) sum += z[j] = Math.exp(z[j] - max);
      for (let j = row; j < row + width; j++) z[j] /= sum;
    }
    return { probs: z, cb };
  }

  /** Full-width probabilities: exact softmax ('full'), or candidates only, normalised over them ('lsh'). */
  private probabilities(h: tf.Tensor2D): tf.Tensor2D {
    if (this.mode === 'full') return tf.tidy(() => tf.softmax(this.fullLogits(h)) as tf.Tensor2D);
    const { probs: p, cb } = this.candidateProbabilities(h);
    const out = new Float32Array(cb.batch * this.units);
    for (let i = 0; i < cb.batch; i++) {
      for (let k = 0; k < cb.width; k++) {
        const c = cb.ids[i * cb.width + k];
        if (c >= 0) out[i * this.units + c] = p[i * cb.width + k];
      }
    }
    return tf.tensor2d(out, [cb.batch, this.units]);
  }

  /**
   * The k most probable classes per query from the candidates only (the
   * exact softmax in 'full' mode). Probabilities are normalised over each
   * query's candidate set; queries with fewer than `exactBelow` candidates
   * are answered exactly.
   */
  topK(features: tf.Tensor | tf.Tensor[], k = 1): TopK {
    const h = oneTensor('features', features) as tf.Tensor2D;
    this.checkFeatures(h);
    assertInt('k', k, 1, this.units);
    if (this.mode === 'full') {
      const r = tf.tidy(() => tf.topk(tf.softmax(this.fullLogits(h)), k));
      return { indices: r.indices as tf.Tensor2D, values: r.values as tf.Tensor2D, candidatesPerQuery: new Int32Array(h.shape[0]).fill(this.units), exactRows: h.shape[0] };
    }
    return this.engineTopK(h, k);
  }

  /**
   * topK in one engine call, with no tfjs op: the queries' bucket ids (in
   * JavaScript for WTA/DWTA), the union of each query's buckets (most table
   * hits first, at most maxCandidates) and the head, exact scores of those
   * candidates from the engine's class rows (SIMD, pairs in class order),
   * the k best and the log-partition. Per call only the queries and the
   * candidate ids are copied into the engine's memory; the class rows were
   * loaded once (and again only after kernel or bias were written).
   */
  private engineTopK(h: tf.Tensor2D, k: number): TopK {
    const index = this.getIndex();
    const engine = this.classEngine();
    const batch = h.shape[0];
    const hv = h.dataSync() as Float32Array;
    const codes = this.queryCodes(h, hv);
    const units = this.units;
    let pairScores = new Float32Array(0);
    let all: { ids: Int32Array; scores: Float32Array } | null = null;
    const scorer = {
      pairs: (flat: Int32Array, rowStart: Int32Array, total: number) => {
        if (pairScores.length < total) pairScores = new Float32Array(total);
        engine.scoreLists(hv, flat, rowStart, batch, pairScores);
        return pairScores;
      },
      // the exact fallback: query i against every class
      all: (i: number) => {
        if (all == null) {
          all = { ids: new Int32Array(units), scores: new Float32Array(units) };
          for (let c = 0; c < units; c++) all.ids[c] = c;
        }
        engine.scoreLists(hv, all.ids, Int32Array.of(0, units), 1, all.scores, Int32Array.of(i));
        return all;
      },
      // the union of each query's buckets in the engine (WebAssembly, on its threads at large batches)
      union: (tables: BucketTables, c: Int32Array, rows: number, maxCandidates: number, minTableHits: number) =>
        engine.unionRows(tables, c, rows, maxCandidates, minTableHits, null),
      // scores, bias, top-k and log-partition in the engine (WebAssembly SIMD), the scores never copied out
      finish: (flat: Int32Array, rowStart: Int32Array, rows: number, kk: number, o: { ids: Int32Array; scores: Float32Array; logZ: Float32Array }) =>
        engine.topKLists(hv, flat, rowStart, rows, kk, o),
    };
    const out = { ids: new Int32Array(batch * k), scores: new Float32Array(batch * k), logZ: new Float32Array(batch), retrieved: new Int32Array(batch) };
    const attrs = { index: index.bucketTables(), k, maxCandidates: this.maxCandidates, minTableHits: 1, exactBelow: this.exactBelow, head: this.head ?? new Int32Array(0) };
    topKOverCandidates(codes, batch, attrs, null, scorer, out);
    // probabilities over each candidate set: exp(score − logZ)
    const values = new Float32Array(batch * k);
    for (let p = 0; p < values.length; p++) values[p] = Math.exp(out.scores[p] - out.logZ[(p / k) | 0]);
    let exactRows = 0;
    for (let i = 0; i < batch; i++) if (out.retrieved[i] < this.exactBelow) exactRows++;
    return { indices: tf.tensor2d(out.ids, [batch, k], 'int32'), values: tf.tensor2d(values, [batch, k]), candidatesPerQuery: out.retrieved, exactRows };
  }

  /** Builds the layer with a Dense kernel [dim, units] (stored transposed) and bias, then hashes the classes. */
  private setDenseWeights(kernel: tf.Tensor2D, bias: tf.Tensor1D | null): BuildReport {
    if (!this.built) {
      // built through apply (on a concrete tensor: no inbound node), so inside the layer's name scope: its weights are
      // '<layer>/kernel', … as in a layer applied in a model, and model.save / tf.loadLayersModel match them
      const x = tf.zeros([1, kernel.shape[0]]);
      tf.dispose(this.apply(x) as tf.Tensor);
      x.dispose();
    }
    const wt = tf.transpose(kernel);
    (this.kernel as LayerVariable).write(wt);
    wt.dispose();
    if (bias != null) (this.bias as LayerVariable).write(bias);
    return this.buildIndex();
  }

  override getConfig(): tf.serialization.ConfigDict {
    const checks: tf.serialization.ConfigDict = {};
    if (this.family != null && this.codes != null) {
      const f = this.fingerprint(this.family);
      if (f != null) checks.hashFingerprint = f;
      checks.codesChecksum = valuesChecksum(this.codes.read().dataSync());
    }
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      ...checks,
      units: this.units,
      hash: this.hash,
      tables: this.tables,
      window: this.window,
      band: this.band,
      bits: this.bits,
      asymmetric: this.asymmetric,
      maxCandidates: this.maxCandidates,
      uniformSamples: this.uniformSamples,
      exactBelow: this.exactBelow,
      trainExactBelow: this.trainExactBelow,
      headClasses: this.headClasses,
      tieBreak: this.tieBreak,
      seed: this.seed,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      mode: this.mode,
      ...(this.classOptimizer != null ? { classOptimizer: { type: 'lazyAdam', ...this.classOptimizer } } : {}),
    };
    return { ...config, configChecksum: configChecksum(config) };
  }

  /** Frees the weights and the hash family (also for a layer built by a conversion and never applied). */
  override dispose(): DisposeResult {
    let result: DisposeResult;
    if (this.inboundNodes.length > 0) {
      result = super.dispose();
    } else {
      const vars = [...this.stateWeights, this.kernel, this.bias, this.codes, this.anchor].filter((v): v is LayerVariable => v != null);
      vars.forEach((v) => v.dispose());
      result = { refCountAfterDispose: 0, numDisposedVariables: vars.length };
    }
    // the family goes with the weights (a layer shared by several models keeps both until the last dispose)
    if (result.refCountAfterDispose === 0) {
      this.engine?.dispose();
      this.engine = null;
      this.family?.dispose();
      this.family = null;
      this.index = null;
    }
    return result;
  }
}

tf.serialization.registerClass(LSHSoftmax);

// A brand instead of instanceof: a model built through one copy of this package
// (e.g. require) must be recognised by another copy (e.g. import) in the same process.
brandClass(LSHSoftmax, 'LSHSoftmax');

/** Whether x is an LSHSoftmax layer, from this or any other copy of the package. */
export function isLSHSoftmax(x: unknown): x is LSHSoftmax {
  return hasBrand(x, 'LSHSoftmax');
}

/** Factory in the style of tf.layers.*. */
export function lshSoftmax(args: LSHSoftmaxArgs): LSHSoftmax {
  return new LSHSoftmax(args);
}

/**
 * The loss to compile a model whose output is an LSHSoftmax called on
 * [features, labels]: the layer already produced the per-example loss, so
 * this passes it through (y_true is ignored; feed zeros).
 */
export function lshSoftmaxLoss(_yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.reshape(yPred, [-1]);
}
