import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { assertInt, assertKnownKeys, fail, SeededRandom } from '@hashlayers/core/internal';
import { featureModel, LSHSoftmax } from '@hashlayers/lsh-softmax';
import { learnedLayer, LSSHashTrainer, LSSHashTrainerArgs, TRAINER_KEYS } from '../train/hash_trainer.js';

export interface LSSHashCallbackArgs extends LSSHashTrainerArgs {
  /** The LSS layer (`lss`, `convertToLSS`) whose hash to train. */
  layer: LSHSoftmax;
  /** The model inputs of the training data (without the labels input of a training model). */
  x: tf.Tensor | tf.Tensor[];
  /** Class ids [n] or [n, 1] of the training data. */
  y: tf.Tensor;
  /** Train the hash every N epochs (default 1). */
  everyEpochs?: number;
  /** Queries per hash-training round, a seeded sample of the training data (default min(n, 8192)). */
  samples?: number;
  /** Passes of the hash trainer over the sample per round (default 1). */
  hashEpochs?: number;
  verbose?: boolean;
}

export interface LSSHashEvent {
  epoch: number;
  loss: number;
  changedFraction: number;
  rebuilt: boolean;
  /**
   * Held-out correct-label recall of the round (the trainer's validationSplit of the sample): before
   * the round, and of the projections kept (never lower); null when nothing was held out.
   */
  validation: { start: number; kept: number; keptEpoch: number } | null;
}

/**
 * The joint workflow: while model.fit trains the network (with the LSS layer
 * producing its loss over retrieved ∪ label ∪ tail classes), this callback
 * trains the layer's hash every N epochs on (penultimate activation, label)
 * pairs of a sample of the training data, then re-hashes the labels. Events
 * (loss, changed codes, rebuilt) are kept in `events`.
 */
export class LSSHashCallback extends tfl.Callback {
  readonly trainer: LSSHashTrainer;
  readonly everyEpochs: number;
  readonly hashEpochs: number;
  readonly events: LSSHashEvent[] = [];
  private readonly x: tf.Tensor[];
  private readonly y: Int32Array;
  private readonly samples: number;
  private readonly rng: SeededRandom;
  private readonly verbose: boolean;
  private readonly args: LSSHashCallbackArgs;
  /** The options of the callback that are the trainer's (LSSHashTrainer rejects the others). */
  private readonly trainerArgs: LSSHashTrainerArgs;
  /** The trainer's optimizer was freed at the end of a fit: a new one is made when the callback is used again. */
  private trainerDisposed = false;

  constructor(args: LSSHashCallbackArgs) {
    super();
    if (args == null || typeof args !== 'object') fail('args', 'an options object { layer, x, y, ... }', args);
    assertKnownKeys('LSSHashCallback args', args, [...TRAINER_KEYS, 'layer', 'x', 'y', 'everyEpochs', 'samples', 'hashEpochs', 'verbose']);
    const internals = learnedLayer(args?.layer);
    const x = Array.isArray(args.x) ? args.x : [args.x];
    if (x.length === 0 || !x.every((t) => t instanceof tf.Tensor)) fail('x', 'a tensor or an array of tensors', args.x);
    const n = x[0].shape[0];
    if (!x.every((t) => t.shape[0] === n)) fail('x', `tensors with the same number of rows (${n})`, x.map((t) => t.shape[0]).join(', '));
    this.y = internals.readLabels(args.y, n);
    this.x = x;
    this.everyEpochs = assertInt('everyEpochs', args.everyEpochs ?? 1, 1);
    this.hashEpochs = assertInt('hashEpochs', args.hashEpochs ?? 1, 1);
    this.samples = Math.min(n, assertInt('samples', args.samples ?? 8192, 1));
    this.trainerArgs = Object.fromEntries(Object.entries(args).filter(([k]) => TRAINER_KEYS.includes(k))) as LSSHashTrainerArgs;
    this.trainer = new LSSHashTrainer(args.layer, this.trainerArgs);
    this.args = args;
    this.rng = new SeededRandom((args.seed ?? args.layer.seed) + 11);
    this.verbose = args.verbose ?? false;
  }

  /** A callback reused in another model.fit gets a fresh trainer (the last fit's was disposed at its end). */
  override async onTrainBegin(): Promise<void> {
    if (this.trainerDisposed) {
      (this as { trainer: LSSHashTrainer }).trainer = new LSSHashTrainer(this.args.layer, this.trainerArgs);
      this.trainerDisposed = false;
    }
  }

  override async onEpochEnd(epoch: number): Promise<void> {
    if ((epoch + 1) % this.everyEpochs !== 0) return;
    const n = this.y.length;
    const pick = this.samples < n ? this.rng.sampleWithoutReplacement(n, this.samples) : Int32Array.from({ length: n }, (_, i) => i);
    const idx = tf.tensor1d(pick, 'int32');
    const xs = this.x.map((t) => tf.gather(t, idx));
    idx.dispose();
    const h = featureModel(this.model as tfl.LayersModel).predict(xs.length === 1 ? xs[0] : xs, { batchSize: 1024 }) as tf.Tensor2D;
    tf.dispose(xs);
    try {
      const r = this.trainer.fit(h, Int32Array.from(pick, (i) => this.y[i]), { epochs: this.hashEpochs });
      const loss = r.losses[r.losses.length - 1];
      const v = r.validation;
      const validation = v != null ? { start: v.recall[0], kept: v.bestRecall, keptEpoch: v.bestEpoch } : null;
      this.events.push({ epoch, loss, changedFraction: r.rehash.changedFraction, rebuilt: r.rehash.rebuilt, validation });
      if (this.verbose) {
        const held = validation != null ? `, held-out recall ${validation.start.toFixed(3)} → ${validation.kept.toFixed(3)}` : '';
        console.log(`LSS hash epoch ${epoch}: loss ${loss.toFixed(4)}, ${(100 * r.rehash.changedFraction).toFixed(2)}% codes changed, ${r.rehash.rebuilt ? 'tables rebuilt' : 'tables kept'}${held}`);
      }
    } finally {
      h.dispose();
    }
  }

  override async onTrainEnd(): Promise<void> {
    this.trainer.dispose();
    this.trainerDisposed = true;
  }
}
