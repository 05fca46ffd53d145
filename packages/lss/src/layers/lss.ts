import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ConversionResult } from '@hashlayers/core';
import { assertInt } from '@hashlayers/core/internal';
import { convertToLSHSoftmax, ConvertToLSHSoftmaxOptions, LSHSoftmax, LSHSoftmaxArgs, LSHSoftmaxReport, lshSoftmax } from '@hashlayers/lsh-softmax';

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

/** Label Superior Sampling's defaults over LSHSoftmax's. */
function lssArgs<T extends object>(args: T): T & Pick<LSHSoftmaxArgs, 'hash' | 'tables' | 'bits' | 'asymmetric'> {
  // a caller (or a saved config) may carry WTA options; the learned hash has no use for them
  const { window: _window, band: _band, ...rest } = args as T & { window?: number; band?: number };
  // no exact head and no tail samples by default: LSS's learned hash is trained to retrieve the label
  // itself, and LSHSoftmax's defaults for both (100 each from 2,000 classes on) were measured with WTA
  // only; LSS's benchmarks (docs/lss.md) ran with 0 and 0
  return { tables: 16, bits: 8, asymmetric: true, headClasses: 0, uniformSamples: 0, ...(rest as T), hash: 'learned' };
}

/**
 * Label Superior Sampling ("Climbing the WOL: Training for Cheaper
 * Inference", arXiv 2007.01230): a wide output layer whose candidate classes
 * come from a *learned* hash, trained (LSSHashTrainer, LSSHashCallback) so
 * that a query's buckets hold its correct label rather than its largest
 * inner products.
 *
 * It is an LSHSoftmax (@hashlayers/lsh-softmax) with the learned family of
 * @hashlayers/hashing: `hash: 'learned'`, L tables of K sign bits, labels
 * hashed as [w; b] and queries as [h; 1] (each with its own projection when
 * `asymmetric`, the default). Both projections start as the same seeded
 * SimHash, so an untrained layer retrieves exactly like SimHash over [w; b].
 * The projections are non-trainable layer weights (`query_projection`,
 * `label_projection`) and the label codes an int32 weight, so `model.save` /
 * `tf.loadLayersModel` restore retrieval exactly.
 *
 * Everything else is LSHSoftmax: `topK`, training on [features, labels] over
 * retrieved ∪ labels ∪ tail samples, `rehash`, RehashCallback, `mode: 'full'`.
 */
export function lss(args: LSSArgs): LSHSoftmax {
  assertInt('units', args?.units, 2);
  return lshSoftmax(lssArgs(args));
}

/** convertToLSS's options: convertToLSHSoftmax's (`layer` names the Dense layer) without the WTA ones, with LSS's defaults. */
export type ConvertToLSSOptions = Omit<ConvertToLSHSoftmaxOptions, 'hash' | 'window' | 'band'> & Pick<LSSArgs, 'tables' | 'bits' | 'asymmetric'>;

/**
 * Converts a trained model whose output layer is a Dense softmax (or linear)
 * layer into one with an LSS output layer (`lss`): the same weights, the
 * hash untrained (it retrieves like SimHash over [w; b] until LSSHashTrainer
 * trains it). Options as convertToLSHSoftmax (`layer` names the Dense layer;
 * default the last), with LSS's defaults (tables 16, bits 8, asymmetric).
 */
export async function convertToLSS(model: tfl.LayersModel, options: ConvertToLSSOptions = {}): Promise<ConversionResult<tfl.LayersModel, LSHSoftmax, LSHSoftmaxReport>> {
  return convertToLSHSoftmax(model, lssArgs(options ?? {}));
}

/**
 * Loads the saved models of the earlier `LSSLayer` class (an LSHSoftmax
 * subclass with the same weights: query_projection, label_projection,
 * kernel, bias, hash_codes) as the `lss` layer they are now. Registered under
 * the class name 'LSSLayer' for deserialization only.
 */
class LSSLayerFormat extends tf.serialization.Serializable {
  static className = 'LSSLayer';

  override getClassName(): string {
    return LSSLayerFormat.className;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {};
  }

  static override fromConfig<T extends tf.serialization.Serializable>(_cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return lss(config as unknown as LSSArgs) as unknown as T;
  }
}

tf.serialization.registerClass(LSSLayerFormat);
