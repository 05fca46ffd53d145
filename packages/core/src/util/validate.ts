import * as tf from '@tensorflow/tfjs-core';

/** Errors name the argument, the expected and the actual value. */
export function fail(arg: string, expected: string, actual: unknown): never {
  throw new Error(`${arg}: expected ${expected}, got ${describe(actual)}`);
}

function describe(v: unknown): string {
  if (v instanceof tf.Tensor) return `a ${v.dtype} tensor of shape [${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  return String(v);
}

export function assertInt(
  arg: string,
  v: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(arg, `an integer in [${min}, ${max}]`, v);
  }
  return v;
}

export function assertOneOf<T extends string>(arg: string, v: unknown, options: readonly T[]): T {
  if (typeof v !== 'string' || !options.includes(v as T)) {
    fail(arg, `one of ${options.map((o) => `'${o}'`).join(', ')}`, typeof v === 'string' ? `'${v}'` : v);
  }
  return v as T;
}

export interface MatrixSpec {
  cols?: number;
  rows?: number;
  dtype?: tf.DataType;
  allowEmpty?: boolean;
}

/**
 * The one tensor of `x`: a tf.Tensor, or a one-element array of them (what
 * `model.predict` returns for a model with one output, typed Tensor | Tensor[]).
 */
export function oneTensor(arg: string, x: unknown): tf.Tensor {
  const t = Array.isArray(x) ? (x.length === 1 ? x[0] : fail(arg, 'a tensor (or an array of one tensor)', `an array of ${x.length}`)) : x;
  if (!(t instanceof tf.Tensor)) fail(arg, 'a tf.Tensor', t);
  return t;
}

/** Checks that `x` is a rank-2 tensor with the given dtype and sizes. */
export function assertMatrix(arg: string, x: unknown, spec: MatrixSpec = {}): tf.Tensor2D {
  if (!(x instanceof tf.Tensor)) fail(arg, 'a tf.Tensor', typeof x);
  const t = x as tf.Tensor;
  if (t.isDisposed) fail(arg, 'a live tensor', 'a disposed tensor');
  if (t.rank !== 2) fail(arg, `a rank-2 tensor`, `rank ${t.rank} (shape [${t.shape.join(', ')}])`);
  const dtype = spec.dtype ?? 'float32';
  if (t.dtype !== dtype) fail(arg, `dtype ${dtype}`, t.dtype);
  if (!spec.allowEmpty && t.shape[0] === 0) fail(arg, 'a non-empty batch', 'batch size 0');
  if (spec.cols != null && t.shape[1] !== spec.cols) {
    fail(arg, `${spec.cols} columns`, `shape [${t.shape.join(', ')}]`);
  }
  if (spec.rows != null && t.shape[0] !== spec.rows) {
    fail(arg, `${spec.rows} rows`, `shape [${t.shape.join(', ')}]`);
  }
  return t as tf.Tensor2D;
}

/** Throws when a typed array holds NaN or ±Infinity (used inside kernels). */
export function assertFiniteArray(arg: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // v - v is NaN exactly for NaN and ±Infinity (no global Infinity lookups: slow inside jest's sandbox)
    if (v - v !== 0) {
      fail(arg, 'finite values', `${v} at flat index ${i}`);
    }
  }
}

/** Reads a tensor and checks it is finite (for validation outside kernels). */
export function assertFiniteTensor(arg: string, x: tf.Tensor): void {
  assertFiniteArray(arg, x.dataSync() as Float32Array);
}
