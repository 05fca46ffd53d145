import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { assertBoolean, assertInt, assertKnownKeys, fail } from '@hashlayers/core/internal';
import { HardenOptions, HardenReport, LUTDense } from '../layers/lut_dense.js';

/** Options of hardenSoftLUT. */
export interface HardenSoftLUTOptions extends HardenOptions {
  /** The 'soft' LUTDense layers of `model`, in order from the input side. */
  layers: LUTDense[];
  /** Model inputs from which each layer's inputs are collected (through the current network). */
  data: tf.Tensor;
  /** Batch size of the collection passes (default 512). */
  batchSize?: number;
}

const HARDEN_KEYS = ['layers', 'data', 'batchSize', 'encoder', 'lambda', 'splitCandidates'];

function checkSoftLayers(layers: unknown): LUTDense[] {
  if (!Array.isArray(layers) || layers.length === 0 || !layers.every((l) => l instanceof LUTDense)) fail('layers', 'a non-empty array of LUTDense layers', layers);
  for (const l of layers as LUTDense[]) if (!l.soft) fail('layers', 'LUTDense layers with soft-assignment weights (convertToLUTDense with soft: true)', `'${l.name}' (soft: false)`);
  return layers as LUTDense[];
}

/**
 * Hardens the 'soft' LUTDense layers of a model one at a time from the input side: each layer's
 * inputs are collected through the current network (the earlier layers already hardened) and
 * `layer.harden` fits its trees and tables to its soft output. Returns one report per layer.
 */
export function hardenSoftLUT(model: tfl.LayersModel, options: HardenSoftLUTOptions): HardenReport[] {
  if (model == null || !Array.isArray(model.layers)) fail('model', 'a tf.LayersModel', model);
  if (options == null || typeof options !== 'object') fail('options', 'an object with layers and data', options);
  assertKnownKeys('options', options, HARDEN_KEYS);
  const layers = checkSoftLayers(options.layers);
  for (const l of layers) if (!model.layers.includes(l)) fail('layers', 'layers of the model', `'${l.name}'`);
  if (!(options.data instanceof tf.Tensor) || options.data.isDisposed) fail('data', 'a tf.Tensor of model inputs', options.data);
  const batchSize = assertInt('batchSize', options.batchSize ?? 512, 1);
  const { encoder, lambda, splitCandidates } = options;
  const reports: HardenReport[] = [];
  for (const layer of layers) {
    if (layer.mode !== 'soft') continue;
    const sub = tfl.model({ inputs: model.inputs, outputs: layer.input as tfl.SymbolicTensor });
    const raw = sub.predict(options.data, { batchSize }) as tf.Tensor;
    const xs = (raw.rank === 2 ? raw : tf.reshape(raw, [-1, raw.shape[raw.rank - 1]])) as tf.Tensor2D;
    if (xs !== raw) raw.dispose();
    try {
      reports.push(layer.harden(xs, { encoder, lambda, splitCandidates }));
    } finally {
      xs.dispose();
    }
  }
  return reports;
}

export interface SoftLUTAnnealingArgs extends HardenOptions {
  /** The 'soft' LUTDense layers of the model being fitted, in order from the input side. */
  layers: LUTDense[];
  /** Model inputs for hardening (required when harden is true). */
  data?: tf.Tensor;
  /** Temperature at the first batch (default 1: relative to each codebook's mean squared distance to its nearest prototype). */
  startTemperature?: number;
  /** Temperature at the last batch (default 0.01); geometric in between, per batch. */
  endTemperature?: number;
  /** Harden the layers into trees when training ends (default true). */
  harden?: boolean;
  /** Batch size of the hardening collection passes (default 512). */
  batchSize?: number;
}

const ANNEAL_KEYS = ['layers', 'data', 'startTemperature', 'endTemperature', 'harden', 'batchSize', 'encoder', 'lambda', 'splitCandidates'];

/**
 * LUT-NN's schedule (Tang et al. 2023) as a model.fit callback: the soft-assignment temperature of
 * the layers falls geometrically from `startTemperature` to `endTemperature` over the batches of
 * the fit, and when training ends the layers are hardened into trees (hardenSoftLUT), so that the
 * model returned by fit runs the look-up kernels (and quantizeLUTDense applies).
 */
export class SoftLUTAnnealing extends tfl.Callback {
  readonly layers: LUTDense[];
  readonly data: tf.Tensor | null;
  readonly startTemperature: number;
  readonly endTemperature: number;
  readonly hardenAtEnd: boolean;
  readonly hardenOptions: HardenOptions;
  readonly batchSize: number;
  /** The hardening reports (after training, when harden is true). */
  reports: HardenReport[] = [];
  private step = 0;
  private totalSteps = 1;

  constructor(args: SoftLUTAnnealingArgs) {
    super();
    if (args == null || typeof args !== 'object') fail('args', 'an options object { layers, data, ... }', args);
    assertKnownKeys('SoftLUTAnnealing args', args, ANNEAL_KEYS);
    this.layers = checkSoftLayers(args.layers);
    const positive = (name: string, v: unknown, dflt: number) => {
      const t = v ?? dflt;
      if (typeof t !== 'number' || !Number.isFinite(t) || !(t > 0)) fail(name, 'a finite number > 0', t);
      return t;
    };
    this.startTemperature = positive('startTemperature', args.startTemperature, 1);
    this.endTemperature = positive('endTemperature', args.endTemperature, 0.01);
    if (this.endTemperature > this.startTemperature) fail('endTemperature', `at most startTemperature (${this.startTemperature})`, this.endTemperature);
    this.hardenAtEnd = assertBoolean('harden', args.harden, true);
    if (this.hardenAtEnd && !(args.data instanceof tf.Tensor)) fail('data', 'a tf.Tensor of model inputs (to harden the layers)', args.data);
    this.data = args.data ?? null;
    this.batchSize = assertInt('batchSize', args.batchSize ?? 512, 1);
    this.hardenOptions = { encoder: args.encoder, lambda: args.lambda, splitCandidates: args.splitCandidates };
  }

  private setTemperature(): void {
    const f = this.totalSteps > 1 ? Math.min(1, this.step / (this.totalSteps - 1)) : 1;
    const t = this.startTemperature * (this.endTemperature / this.startTemperature) ** f;
    for (const l of this.layers) l.temperature = t;
  }

  override async onTrainBegin(): Promise<void> {
    for (const l of this.layers) if (l.mode !== 'soft') fail('layers', "layers in 'soft' mode", `'${l.name}' in '${l.mode}' mode`);
    const p = this.params as { epochs?: number; initialEpoch?: number; samples?: number; steps?: number | null; batchSize?: number };
    const epochs = (p.epochs ?? 1) - (p.initialEpoch ?? 0);
    const perEpoch = p.steps != null ? p.steps : Math.ceil((p.samples ?? 1) / (p.batchSize ?? 32));
    this.totalSteps = Math.max(1, epochs * perEpoch);
    this.step = 0;
    this.setTemperature();
  }

  override async onBatchBegin(): Promise<void> {
    this.setTemperature();
    this.step++;
  }

  override async onTrainEnd(): Promise<void> {
    for (const l of this.layers) l.temperature = this.endTemperature;
    if (!this.hardenAtEnd) return;
    this.reports = hardenSoftLUT(this.model as unknown as tfl.LayersModel, { layers: this.layers, data: this.data as tf.Tensor, batchSize: this.batchSize, ...this.hardenOptions });
  }
}
