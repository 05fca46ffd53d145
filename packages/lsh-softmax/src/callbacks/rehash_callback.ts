import * as tfl from '@tensorflow/tfjs-layers';
import { RebuildReport } from '@hashlayers/hashing';
import { assertInt, assertKnownKeys, fail } from '@hashlayers/core/internal';
import { isLSHSoftmax, LSHSoftmax } from '../layers/lsh_softmax.js';

export interface RehashCallbackArgs {
  /** The layer(s) whose tables to rebuild. */
  layer: LSHSoftmax | LSHSoftmax[];
  /** Re-hash every N batches (0 = never). */
  everyBatches?: number;
  /** Re-hash every N epochs (default 1 when everyBatches is not given). */
  everyEpochs?: number;
  /** Rebuild the tables only when at least this fraction of codes changed (default 0.01). */
  minChangedFraction?: number;
  /** Print one line per re-hash. */
  verbose?: boolean;
}

export interface RehashEvent extends RebuildReport {
  layer: string;
  epoch: number;
  batch: number;
}

/**
 * Keeps LSHSoftmax hash tables in step with the weights during model.fit:
 * every N batches or epochs it re-hashes the class vectors and rebuilds the
 * tables when enough codes changed. Every check is recorded in `events`
 * (changed codes, changed fraction, rebuilt or not).
 */
export class RehashCallback extends tfl.Callback {
  readonly layers: LSHSoftmax[];
  readonly everyBatches: number;
  readonly everyEpochs: number;
  readonly minChangedFraction: number;
  readonly verbose: boolean;
  readonly events: RehashEvent[] = [];
  private batches = 0;
  private epoch = 0;

  constructor(args: RehashCallbackArgs) {
    super();
    if (args == null || typeof args !== 'object') fail('args', 'an options object { layer, ... }', args);
    assertKnownKeys('RehashCallback args', args, ['layer', 'everyBatches', 'everyEpochs', 'minChangedFraction', 'verbose']);
    const layers = Array.isArray(args.layer) ? args.layer : [args.layer];
    if (layers.length === 0 || !layers.every((l) => isLSHSoftmax(l))) fail('layer', 'an LSHSoftmax layer (or an array of them)', args.layer);
    this.layers = layers;
    this.everyBatches = assertInt('everyBatches', args.everyBatches ?? 0, 0);
    this.everyEpochs = assertInt('everyEpochs', args.everyEpochs ?? (args.everyBatches ? 0 : 1), 0);
    this.minChangedFraction = args.minChangedFraction ?? 0.01;
    if (!(this.minChangedFraction >= 0 && this.minChangedFraction <= 1)) fail('minChangedFraction', 'a number in [0, 1]', args.minChangedFraction);
    this.verbose = args.verbose ?? false;
  }

  private rehash(batch: number, minChangedFraction = this.minChangedFraction): void {
    for (const layer of this.layers) {
      const r = layer.rehash({ minChangedFraction });
      this.events.push({ ...r, layer: layer.name, epoch: this.epoch, batch });
      if (this.verbose) {
        console.log(`rehash ${layer.name} epoch ${this.epoch} batch ${batch}: ${r.changedCodes} codes changed (${(100 * r.changedFraction).toFixed(2)}%), ${r.rebuilt ? 'tables rebuilt' : 'tables kept'}`);
      }
    }
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
  }

  override async onBatchEnd(batch: number): Promise<void> {
    this.batches++;
    if (this.everyBatches > 0 && this.batches % this.everyBatches === 0) this.rehash(batch);
  }

  override async onEpochEnd(epoch: number): Promise<void> {
    if (this.everyEpochs > 0 && (epoch + 1) % this.everyEpochs === 0) this.rehash(-1);
  }

  /** The tables always match the final weights when fit returns. */
  override async onTrainEnd(): Promise<void> {
    this.rehash(-1, 0);
  }
}
