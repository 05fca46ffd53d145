import type * as tf from '@tensorflow/tfjs-core';
import { assertFiniteTensor, fail } from '../util/validate.js';

/**
 * Helpers for the tfjs-layers Layer subclasses of every hashlayers package.
 * They are typed structurally (no runtime import of @tensorflow/tfjs-layers),
 * so packages without layers (hashing) can use core without it.
 */

/** A tfjs-layers shape: [null, d1, ...]. */
export type ShapeLike = (number | null)[];

/**
 * The shape of a layer's first input: layers called on [features, labels]
 * (training) receive a list of shapes, on features alone a single shape.
 */
export function firstInputShape(inputShape: ShapeLike | ShapeLike[]): ShapeLike {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as ShapeLike;
}

/** True when the layer was called on a list of inputs (e.g. [features, labels]). */
export function isMultiInputShape(inputShape: ShapeLike | ShapeLike[]): inputShape is ShapeLike[] {
  return Array.isArray(inputShape[0]);
}

/**
 * The feature width of a [batch, features] input shape; an Error naming
 * `arg` otherwise.
 */
export function featureDim(inputShape: ShapeLike | ShapeLike[], arg = 'input shape'): number {
  const shape = firstInputShape(inputShape);
  const dim = shape[shape.length - 1];
  if (shape.length !== 2 || dim == null) fail(arg, '[batch, features]', `[${shape.join(', ')}]`);
  return dim;
}

/** What hashlayers reads of a tfjs-layers Layer. */
export interface LayerLike {
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): tf.Tensor[];
}

export interface DenseParts {
  /** [inputDim, units] */
  kernel: tf.Tensor2D;
  /** [units], or null without bias */
  bias: tf.Tensor1D | null;
  units: number;
  /** The activation's serialized name ('linear', 'relu', 'softmax', ...). */
  activation: string;
}

/**
 * The weights and activation of a built tf.layers.dense layer, checked (the
 * one reader of Dense weights that every conversion uses). `activations`
 * restricts the accepted activations; the Error names `arg`.
 */
export function readDense(dense: unknown, opts: { arg?: string; activations?: readonly string[] } = {}): DenseParts {
  const arg = opts.arg ?? 'dense';
  const l = dense as Partial<LayerLike> | null;
  const name = l != null && typeof l.getClassName === 'function' ? l.getClassName() : undefined;
  if (name !== 'Dense') fail(arg, 'a tf.layers.dense layer', name ?? (dense === null ? null : typeof dense));
  const layer = dense as LayerLike;
  const cfg = layer.getConfig();
  const activation = String(cfg.activation ?? 'linear');
  if (opts.activations != null && !opts.activations.includes(activation)) {
    fail(`${arg}.activation`, opts.activations.map((a) => `'${a}'`).join(' or '), `'${activation}'`);
  }
  const weights = layer.getWeights();
  if (weights.length === 0) fail(arg, 'a built Dense layer', 'an unbuilt layer');
  const kernel = weights[0] as tf.Tensor2D;
  if (kernel.rank !== 2) fail(arg, 'a kernel of rank 2', `rank ${kernel.rank}`);
  const useBias = Boolean(cfg.useBias ?? true);
  const bias = useBias ? ((weights[1] as tf.Tensor1D) ?? null) : null;
  // a NaN or infinite weight would become NaN tables, codes or counts downstream: refuse it here, naming the weight
  assertFiniteTensor(`${arg}.kernel ('${(dense as { name?: string }).name ?? ''}')`, kernel);
  if (bias != null) assertFiniteTensor(`${arg}.bias ('${(dense as { name?: string }).name ?? ''}')`, bias);
  return { kernel, bias, units: kernel.shape[1], activation };
}

/**
 * Marks a class's instances with a process-wide brand (`Symbol.for('hashlayers.<name>')`), so that
 * an object made by one copy of a package (e.g. through require) is recognised by another copy
 * (through import) where `instanceof` would fail.
 */
export function brandClass(cls: { prototype: object }, name: string): void {
  Object.defineProperty(cls.prototype, Symbol.for(`hashlayers.${name}`), { value: true });
}

/** Whether x carries the brand `name` (see brandClass). */
export function hasBrand(x: unknown, name: string): boolean {
  return x != null && typeof x === 'object' && (x as Record<symbol, unknown>)[Symbol.for(`hashlayers.${name}`)] === true;
}
