import * as tf from '@tensorflow/tfjs-core';
import { fail } from '../util/validate.js';

/**
 * Validation of layer weights where they enter: `setWeights`,
 * `tf.loadLayersModel` (tfjs-layers writes each LayerVariable), conversions
 * and fits. A guarded variable checks every value written to it, and the
 * error names the layer and the weight ('<layer>/<weight>: expected …').
 */
export interface WeightRule {
  /** Every value finite (float weights; default true for float32). */
  finite?: boolean;
  /** Integer weights: every value in [min, max] (inclusive). */
  min?: number;
  max?: number | (() => number);
  /** Any further check of the values (throw with fail()). */
  check?: (values: ArrayLike<number>, where: string) => void;
}

/** What a guard reads of a tfjs-layers LayerVariable. */
export interface GuardableVariable {
  readonly shape: readonly (number | null)[];
  readonly dtype: tf.DataType;
  write(value: tf.Tensor): unknown;
}

const GUARD = Symbol.for('hashlayers.weightGuard');

type Guard = (value: unknown) => void;

/** Checks `value` as the new value of weight `where` (shape, dtype, range, finiteness). */
export function checkWeightValue(where: string, value: unknown, shape: readonly (number | null)[], dtype: tf.DataType, rule: WeightRule = {}): void {
  if (!(value instanceof tf.Tensor)) fail(where, 'a tf.Tensor', value === null ? null : typeof value);
  const t = value as tf.Tensor;
  if (t.isDisposed) fail(where, 'a live tensor', 'a disposed tensor');
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) fail(where, `shape [${shape.join(', ')}]`, `shape [${t.shape.join(', ')}]`);
  if (t.dtype !== dtype) fail(where, `dtype ${dtype}`, t.dtype);
  const finite = rule.finite ?? dtype === 'float32';
  const max = typeof rule.max === 'function' ? rule.max() : rule.max;
  if (!finite && rule.min == null && max == null && rule.check == null) return;
  const v = t.dataSync() as ArrayLike<number>;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    // x - x is NaN exactly for NaN and ±Infinity
    if (finite && x - x !== 0) fail(where, 'finite values', `${x} at flat index ${i}`);
    if ((rule.min != null && x < rule.min) || (max != null && x > max)) {
      fail(where, `values in [${rule.min ?? '-inf'}, ${max ?? 'inf'}]`, `${x} at flat index ${i}`);
    }
  }
  rule.check?.(v, where);
}

/**
 * Guards a layer weight: every later write (setWeights, loadLayersModel,
 * the layer's own writes) is checked first and fails naming
 * '<layer name>/<weightName>'. Optimizer updates (Variable.assign) are not
 * checked (training keeps its speed).
 */
export function guardWeight(layer: { readonly name: string }, variable: GuardableVariable, weightName: string, rule: WeightRule = {}): void {
  const guard: Guard = (value) => checkWeightValue(`${layer.name}/${weightName}`, value, variable.shape, variable.dtype, rule);
  (variable as unknown as Record<symbol, Guard>)[GUARD] = guard;
  const write = variable.write.bind(variable);
  (variable as { write: (t: tf.Tensor) => unknown }).write = (t: tf.Tensor) => {
    guard(t);
    return write(t);
  };
}

/**
 * Checks a list of values for `layer.setWeights` against the layer's weights
 * (count, shapes, dtypes, and each guarded weight's rule) before anything is
 * written, so a failed setWeights changes nothing.
 */
export function checkWeightList(layer: { readonly name: string; readonly weights: readonly GuardableVariable[] }, values: unknown): void {
  const vars = layer.weights;
  if (!Array.isArray(values) || values.length !== vars.length) {
    fail(`${layer.name}.setWeights(weights)`, `an array of ${vars.length} tensors`, Array.isArray(values) ? `${values.length} tensors` : values);
  }
  vars.forEach((v, i) => {
    const guard = (v as unknown as Record<symbol, Guard | undefined>)[GUARD];
    const name = ((v as unknown as { originalName?: string; name?: string }).originalName ?? (v as unknown as { name?: string }).name ?? `weight ${i}`).split('/').pop();
    if (guard != null) guard(values[i]);
    else checkWeightValue(`${layer.name}/${name}`, values[i], v.shape, v.dtype, { finite: false });
  });
}

/** Fails on keys of `args` that are not in `known` (an options object or a saved config with a typo or drift). */
export function assertKnownKeys(arg: string, args: object, known: readonly string[]): void {
  for (const key of Object.keys(args)) {
    if (!known.includes(key)) fail(arg, `only the options ${known.join(', ')}`, `unknown option '${key}'`);
  }
}

/** The options of tfjs-layers' LayerArgs (and what Layer.getConfig writes), accepted by every hashlayers layer. */
export const LAYER_ARG_KEYS: readonly string[] = [
  'name',
  'trainable',
  'inputShape',
  'batchInputShape',
  'batchSize',
  'dtype',
  'weights',
  'inputDType',
  // added by tfjs-layers' deserialization (Container.fromConfig passes its custom objects to every layer)
  'customObjects',
  // written by getConfig (verifyConfigChecksum)
  'configChecksum',
];

/** Fails unless `v` is a boolean (or undefined: the default). */
export function assertBoolean(arg: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') fail(arg, 'a boolean', typeof v === 'string' ? `'${v}'` : v);
  return v;
}

/** Keys a config checksum leaves out: what tfjs adds on load, and the checksums themselves. */
const UNCHECKED_KEYS = new Set(['customObjects', 'configChecksum', 'hashFingerprint', 'codesChecksum', 'tablesChecksum']);

/**
 * FNV-1a over the primitive values of a layer config (numbers, strings,
 * booleans, null; keys sorted), written by getConfig as `configChecksum`.
 * Nested objects (initializers, shapes) are left out: tfjs-layers rewrites
 * their spelling when it saves and loads.
 */
export function configChecksum(config: object): number {
  let h = 0x811c9dc5;
  const entries = Object.entries(config)
    .filter(([k, v]) => !UNCHECKED_KEYS.has(k) && (v === null || ['number', 'string', 'boolean'].includes(typeof v)))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = JSON.stringify(entries);
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

/**
 * A layer made from a saved config (with `configChecksum`) fails when a value
 * of the config was changed since it was saved: an edited or corrupted file
 * gives an error instead of a model that answers differently. To accept a
 * deliberate edit, delete `configChecksum` from the config.
 */
export function verifyConfigChecksum(layerName: string, args: object): void {
  const want = (args as { configChecksum?: unknown }).configChecksum;
  if (want == null) return;
  const got = configChecksum(args);
  if (want !== got) {
    fail(
      `${layerName} config`,
      `the values it was saved with (configChecksum ${String(want)}; to accept an edited config, delete its configChecksum)`,
      `a config with checksum ${got}`,
    );
  }
}

/** FNV-1a over int32 views of values (a backend-independent checksum of a weight, e.g. packed tables). */
export function valuesChecksum(values: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < values.length; i++) {
    let v = values[i] | 0;
    for (let k = 0; k < 4; k++) {
      h = Math.imul(h ^ (v & 0xff), 0x01000193) >>> 0;
      v >>>= 8;
    }
  }
  return h >>> 0;
}
