import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { assertInt, assertKnownKeys, fail } from '@hashlayers/core/internal';
import { FitLUTOptions, FitReport } from '../fit/solve_lut.js';
import { LUTDense } from '../layers/lut_dense.js';

export interface ProgressiveLUTReplacementArgs {
  /** LUTDense layers of the model being fitted, in 'dense' mode, in order from the input side (see convertToLUTDense with fit: false). */
  layers: LUTDense[];
  /** Model inputs from which each layer's fitting inputs are collected (through the current network). */
  data: tf.Tensor;
  /** Epochs of training after each replacement before the next one (default 1). */
  epochsPerLayer?: number;
  /**
   * false (default, McCarter & Dronen): a replaced layer is frozen, only the
   * later layers train. true: its tables (and bias) keep training with
   * model.fit (the output is linear in the table entries).
   */
  trainTables?: boolean;
  /** Options of each table fit (codebooks come from the layer). */
  fit?: Omit<FitLUTOptions, 'codebooks' | 'quantize'>;
  /** Batch size of the collection passes (default 512). */
  batchSize?: number;
  verbose?: boolean;
}

export interface ReplacementEvent {
  layer: string;
  /** The epoch at whose start the layer was replaced. */
  epoch: number;
  report: FitReport;
}

/**
 * McCarter & Dronen's fine-tuning as a model.fit callback: from the input
 * side, replace one layer at a time — collect its inputs from the current
 * network, fit its trees and table, freeze it — then train the later layers
 * for `epochsPerLayer` epochs before replacing the next one. Layers start in
 * 'dense' mode (exact x·W + b), so the model's graph never changes; run
 * model.fit for layers × epochsPerLayer epochs. Layers not yet replaced
 * when training ends are replaced in onTrainEnd, so every layer is a LUT
 * when fit returns.
 */
export class ProgressiveLUTReplacement extends tfl.Callback {
  readonly layers: LUTDense[];
  readonly data: tf.Tensor;
  readonly epochsPerLayer: number;
  readonly trainTables: boolean;
  readonly fitOptions: Omit<FitLUTOptions, 'codebooks' | 'quantize'>;
  readonly batchSize: number;
  readonly verbose: boolean;
  readonly events: ReplacementEvent[] = [];
  private next = 0;

  constructor(args: ProgressiveLUTReplacementArgs) {
    super();
    if (args == null || typeof args !== 'object') fail('args', 'an options object { layers, data, ... }', args);
    assertKnownKeys('ProgressiveLUTReplacement args', args, ['layers', 'data', 'epochsPerLayer', 'trainTables', 'fit', 'batchSize', 'verbose']);
    if (args == null || !Array.isArray(args.layers) || args.layers.length === 0 || !args.layers.every((l) => l instanceof LUTDense)) {
      fail('layers', 'a non-empty array of LUTDense layers', args?.layers);
    }
    for (const l of args.layers) {
      if (l.kernel == null) fail('layers', "LUTDense layers that keep their dense kernel (convertToLUTDense with fit: false)", `'${l.name}' without a kernel`);
      if (l.quantized) fail('layers', 'layers with float tables', `'${l.name}' (quantized)`);
    }
    if (!(args.data instanceof tf.Tensor)) fail('data', 'a tf.Tensor of model inputs', args.data);
    this.layers = args.layers;
    this.data = args.data;
    this.epochsPerLayer = assertInt('epochsPerLayer', args.epochsPerLayer ?? 1, 1);
    this.trainTables = args.trainTables ?? false;
    this.fitOptions = args.fit ?? {};
    this.batchSize = assertInt('batchSize', args.batchSize ?? 512, 1);
    this.verbose = args.verbose ?? false;
  }

  /** Layers replaced so far. */
  get replaced(): number {
    return this.next;
  }

  private replaceNext(epoch: number): void {
    if (this.next >= this.layers.length) return;
    const layer = this.layers[this.next];
    const model = this.model as unknown as tfl.LayersModel;
    if (model == null) fail('ProgressiveLUTReplacement', 'a callback passed to model.fit', 'no model');
    const sub = tfl.model({ inputs: model.inputs, outputs: layer.input as tfl.SymbolicTensor });
    const raw = sub.predict(this.data, { batchSize: this.batchSize }) as tf.Tensor;
    const xs = (raw.rank === 2 ? raw : tf.reshape(raw, [-1, raw.shape[raw.rank - 1]])) as tf.Tensor2D;
    if (xs !== raw) raw.dispose();
    try {
      const report = layer.fitTables(xs, this.fitOptions);
      layer.trainable = this.trainTables;
      this.events.push({ layer: layer.name, epoch, report });
      if (this.verbose) {
        console.log(`ProgressiveLUTReplacement: epoch ${epoch}: ${layer.name} → ${layer.codebooks} codebooks, output MSE ${report.outputMse.toExponential(3)} (${report.seconds.toFixed(2)} s), ${this.trainTables ? 'tables train' : 'frozen'}`);
      }
    } finally {
      xs.dispose();
    }
    this.next++;
  }

  override async onTrainBegin(): Promise<void> {
    this.replaceNext(0);
  }

  override async onEpochEnd(epoch: number): Promise<void> {
    if ((epoch + 1) % this.epochsPerLayer === 0) this.replaceNext(epoch + 1);
  }

  override async onTrainEnd(): Promise<void> {
    while (this.next < this.layers.length) this.replaceNext(-1);
  }
}
