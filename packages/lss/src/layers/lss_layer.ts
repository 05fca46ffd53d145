import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { HashFamily, HashIndex, LearnedHash, RebuildReport } from '@hashlayers/hashing';
import { assertInt, fail } from '@hashlayers/core/internal';
import { LSHSoftmax, LSHSoftmaxArgs, denseWeights } from '@hashlayers/lsh-softmax';

type LayerVariable = ReturnType<tfl.layers.Layer['addWeight']>;

export interface LSSArgs extends Omit<LSHSoftmaxArgs, 'hash' | 'window' | 'band'> {
  /** L, hash tables (default 16). */
  tables?: number;
  /** K, sign bits per table (default 8). */
  bits?: number;
  /**
   * true (default): queries [h; 1] and labels [w; b] each have their own
   * learned projection (an asymmetric hash); false: one projection shared by
   * both. Measured (docs/lss.md, npm run bench -- lss-sotu lss-planted): on
   * SOTU the asymmetric hash led in 5 of 6 budget comparisons over two runs
   * and always reached a lower hash loss; on the planted problem both reach
   * recall 1.0. The shared one has half the parameters.
   */
  asymmetric?: boolean;
}

/**
 * Label Superior Sampling ("Climbing the WOL: Training for Cheaper
 * Inference", arXiv 2007.01230): a wide output layer whose candidate classes
 * come from a *learned* hash, trained (LSSHashTrainer) so that a query's
 * buckets hold its correct label rather than its largest inner products.
 *
 * Retrieval uses two `LearnedHash` families of @hashlayers/hashing (one when
 * `asymmetric: false`): labels are hashed as [w; b], queries as [h; 1], each
 * code the sign bits of a linear projection. Both projections start as the
 * same seeded SimHash, so an untrained LSSLayer retrieves exactly like
 * SimHash over [w; b]. The projections are non-trainable layer weights
 * (`query_projection`, `label_projection`) and the label codes an int32
 * weight, so `model.save` / `tf.loadLayersModel` restore retrieval exactly.
 *
 * Everything else is LSHSoftmax: `topK` (exact logits of the retrieved
 * classes, top-k), training on [features, labels] over retrieved ∪ labels ∪
 * tail samples, `rehash`, RehashCallback, `mode: 'full'`.
 */
export class LSSLayer extends LSHSoftmax {
  static override className = 'LSSLayer';
  readonly asymmetric: boolean;
  queryProjection: LayerVariable | null = null;
  labelProjection: LayerVariable | null = null;
  private queryHash: LearnedHash | null = null;
  private queryProjectionId: object | null = null;
  private labelProjectionId: object | null = null;

  constructor(args: LSSArgs) {
    // a config saved by getConfig() has no hash/window/band; drop them if a caller passes LSHSoftmax options
    const { hash: _hash, window: _window, band: _band, ...rest } = args as LSSArgs & Pick<LSHSoftmaxArgs, 'hash' | 'window' | 'band'>;
    super({ ...rest, hash: 'simhash', tables: args.tables ?? 16, bits: args.bits ?? 8 });
    if (args.asymmetric != null && typeof args.asymmetric !== 'boolean') fail('asymmetric', 'a boolean', args.asymmetric);
    this.asymmetric = args.asymmetric ?? true;
  }

  /** Input width of the hash: the features plus the folded bias. */
  get hashDim(): number {
    const { kernel } = this.requireBuilt();
    return (kernel.shape[1] as number) + (this.useBias ? 1 : 0);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const dim = shape[shape.length - 1];
    if (shape.length !== 2 || dim == null) fail('input shape', '[batch, features]', `[${shape.join(', ')}]`);
    const hashDim = dim + ((this.useBias ?? true) ? 1 : 0);
    const width = this.tables * this.bits;
    // both projections start as the seeded SimHash draw of LearnedHash
    const init = new LearnedHash({ inputDim: hashDim, tables: this.tables, bits: this.bits, seed: this.seed, trainable: false });
    const zeros = tfl.initializers.zeros();
    this.queryProjection = this.addWeight('query_projection', [hashDim, width], 'float32', zeros, undefined, false);
    this.queryProjection.write(init.projection);
    if (this.asymmetric) {
      this.labelProjection = this.addWeight('label_projection', [hashDim, width], 'float32', zeros, undefined, false);
      this.labelProjection.write(init.projection);
    }
    init.dispose();
    super.build(inputShape);
  }

  private labelProjectionWeight(): LayerVariable {
    const w = this.asymmetric ? this.labelProjection : this.queryProjection;
    if (w == null) fail('LSSLayer', 'a built layer (call it on an input first)', 'an unbuilt layer');
    return w;
  }

  /** The label-side family: a LearnedHash initialised from the stored label projection. */
  protected override makeFamily(dim: number): HashFamily {
    const projection = this.labelProjectionWeight().read() as tf.Tensor2D;
    return new LearnedHash({ inputDim: dim + (this.useBias ? 1 : 0), tables: this.tables, bits: this.bits, seed: this.seed, projection });
  }

  override buildIndex(): void {
    super.buildIndex();
    this.labelProjectionId = this.labelProjectionWeight().read().dataId;
  }

  /** The index; re-created from the stored codes when the label projection weight was replaced (setWeights, load). */
  override getIndex(): HashIndex {
    const v = this.labelProjectionWeight().read();
    if (this.index != null && v.dataId !== this.labelProjectionId) {
      this.index.family.dispose();
      this.index = null;
    }
    const index = super.getIndex();
    this.labelProjectionId = v.dataId;
    return index;
  }

  protected override indexOptions(): { foldBias: boolean; transform: 'none' | 'mips' } {
    return { foldBias: this.useBias, transform: 'none' };
  }

  /**
   * The learned families: `label` hashes [w; b] into the tables, `query`
   * hashes [h; 1] at search time (the same object when not asymmetric).
   * LSSHashTrainer trains their projection variables in place; `rehash()`
   * then re-hashes the labels and stores both projections in the weights.
   */
  hashFamilies(): { query: LearnedHash; label: LearnedHash } {
    const label = this.getIndex().family as LearnedHash;
    if (!this.asymmetric) return { query: label, label };
    const w = this.queryProjection as LayerVariable;
    const v = w.read();
    if (this.queryHash == null || v.dataId !== this.queryProjectionId) {
      this.queryHash?.dispose();
      this.queryHash = new LearnedHash({ inputDim: this.hashDim, tables: this.tables, bits: this.bits, seed: this.seed, projection: v as tf.Tensor2D });
      this.queryProjectionId = v.dataId;
    }
    return { query: this.queryHash, label };
  }

  protected override queryCodes(h: tf.Tensor2D): tf.Tensor2D {
    const index = this.getIndex();
    const { query } = this.hashFamilies();
    return tf.tidy(() => query.hash(index.transformQueries(h)));
  }

  /**
   * Re-hashes the labels with the current label projection (after training
   * of the weights or of the hash) and rebuilds the tables when at least
   * `minChangedFraction` of the codes changed; the learned projections are
   * written to the layer weights either way.
   */
  override rehash(opts: { minChangedFraction?: number } = {}): RebuildReport {
    const { query, label } = this.hashFamilies();
    const report = super.rehash(opts);
    // super.rehash may have replaced nothing; store the projections the families hold now
    this.labelProjectionWeight().write(label.projection);
    this.labelProjectionId = this.labelProjectionWeight().read().dataId;
    if (this.asymmetric) {
      (this.queryProjection as LayerVariable).write(query.projection);
      this.queryProjectionId = (this.queryProjection as LayerVariable).read().dataId;
    }
    return report;
  }

  /** Turns a trained Dense softmax (or linear) layer into an LSSLayer with the same weights (hash untrained). */
  static override fromDense(dense: tfl.layers.Layer, options: Omit<LSSArgs, 'units' | 'useBias'> = {}): LSSLayer {
    const { kernel, bias } = denseWeights(dense);
    const layer = new LSSLayer({ ...options, units: kernel.shape[1] as number, useBias: bias != null });
    layer.setDenseWeights(kernel, bias);
    return layer;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { hash: _hash, window: _window, band: _band, ...config } = super.getConfig();
    return { ...config, asymmetric: this.asymmetric };
  }

  override dispose(): ReturnType<LSHSoftmax['dispose']> {
    this.queryHash?.dispose();
    this.queryHash = null;
    const out = super.dispose();
    if (this.inboundNodes.length === 0) {
      for (const w of [this.queryProjection, this.labelProjection]) w?.dispose();
    }
    return out;
  }
}

tf.serialization.registerClass(LSSLayer);

/** Factory in the style of tf.layers.*. */
export function lss(args: LSSArgs): LSSLayer {
  assertInt('units', args?.units, 2);
  return new LSSLayer(args);
}
