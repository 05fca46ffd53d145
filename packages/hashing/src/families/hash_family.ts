import * as tf from '@tensorflow/tfjs-core';
import { fail } from '@hashlayers/core/internal';

/**
 * What every hash family shares: seeded, L tables, int32 bucket ids; and
 * what an owner (a HashIndex, an output layer) needs to use any family
 * without knowing its type:
 *
 * - **items and queries**: `hash` hashes the indexed items, `hashQueries` the
 *   queries. They are one function for symmetric families (WTA, DWTA,
 *   SimHash, a symmetric LearnedHash); an asymmetric learned family hashes
 *   items (an output layer's class vectors [w; b]) with one projection and
 *   queries ([h; 1]) with another.
 * - **state**: the tensors the config cannot regenerate (a learned family's
 *   projections), by name. WTA, DWTA and SimHash have none: they are drawn
 *   again from the seed. A layer saves the state as non-trainable weights:
 *   it creates one weight per entry with the entry's initial value and hands
 *   the weights' variables to `adoptState`, so that `model.save`,
 *   `tf.loadLayersModel` and `setWeights` write the family's state directly.
 * - **config**: `getConfig()` is serializable (JSON); `hashFamilyFromConfig`
 *   rebuilds the family from it (plus its state, when it has one).
 */
export interface HashFamily {
  /** 'SimHash' | 'WTAHash' | 'DWTAHash' | 'LearnedHash' */
  readonly className: string;
  readonly inputDim: number;
  /** L: number of tables (bucket ids per input). */
  readonly tables: number;
  /** Bits of one bucket id (ids lie in [0, 2^bitsPerTable)). */
  readonly bitsPerTable: number;
  readonly seed: number;
  /** True when `hashQueries` is not the same function as `hash`. */
  readonly asymmetric: boolean;
  /** int32 bucket ids [batch, tables] of items, the rows of x [batch, inputDim]. */
  hash(x: tf.Tensor2D): tf.Tensor2D;
  /** int32 bucket ids [batch, tables] of queries (the same as `hash` for symmetric families). */
  hashQueries(x: tf.Tensor2D): tf.Tensor2D;
  /**
   * The bucket ids [batch · tables] of queries given as a row-major
   * Float32Array [batch, inputDim], computed in JavaScript without tfjs and
   * equal to `hashQueries`' (the same kernel). Only families whose query hash
   * needs no tfjs op have it (WTA, DWTA; not SimHash's matMul or a learned
   * projection): latency-bound callers use it when present.
   */
  hashQueriesArray?(x: Float32Array, batch: number): Int32Array;
  /**
   * The variables the config cannot regenerate, by name (empty for families
   * drawn from the seed). The family owns them unless it adopted them.
   */
  readonly state: Readonly<Record<string, tf.Variable>>;
  /**
   * Copies values into the state (same names, shapes and dtypes as `state`),
   * e.g. to restore a family saved as config + state. Checks everything
   * before it writes anything.
   */
  setState(values: Record<string, tf.Tensor>): void;
  /**
   * Hashes with these variables from now on instead of its own (same names,
   * shapes and dtypes as `state`; its own are disposed). The family reads
   * them but never disposes them: their owner (a layer's weights) does.
   */
  adoptState(variables: Record<string, tf.Variable>): void;
  getConfig(): HashFamilyConfig;
  /** Frees the tensors the family owns (not adopted state). */
  dispose(): void;
}

export interface HashFamilyConfig {
  className: string;
  inputDim: number;
  tables: number;
  seed: number;
  [key: string]: string | number | boolean | undefined;
}

/**
 * Checks that `values` has exactly the entries of `state`, each a tensor of
 * the same shape and dtype (what setState and adoptState accept).
 */
export function checkState(arg: string, values: Record<string, tf.Tensor> | null | undefined, state: Readonly<Record<string, tf.Tensor>>): void {
  const want = Object.keys(state).sort();
  const got = values != null && typeof values === 'object' ? Object.keys(values).sort() : [];
  if (values == null || typeof values !== 'object' || want.join(',') !== got.join(',')) {
    fail(arg, want.length === 0 ? 'no entries (this family has no state: it is drawn from the seed)' : `the entries ${want.join(', ')}`, values == null || typeof values !== 'object' ? values : `the entries ${got.join(', ') || '(none)'}`);
  }
  for (const name of want) {
    const v = values[name];
    const s = state[name];
    if (!(v instanceof tf.Tensor) || v.isDisposed || v.dtype !== s.dtype || v.shape.join(',') !== s.shape.join(',')) {
      fail(`${arg}.${name}`, `a live ${s.dtype} tensor of shape [${s.shape.join(', ')}]`, v instanceof tf.Tensor && v.isDisposed ? 'a disposed tensor' : v);
    }
  }
}

/**
 * What the families drawn entirely from their seed share (SimHash, WTA,
 * DWTA): symmetric (queries are hashed like items) and no state to save.
 */
export abstract class SeededHashFamily implements HashFamily {
  abstract readonly className: string;
  abstract readonly inputDim: number;
  abstract readonly tables: number;
  abstract readonly bitsPerTable: number;
  abstract readonly seed: number;
  /** Items and queries are hashed alike. */
  readonly asymmetric = false;
  abstract hash(x: tf.Tensor2D): tf.Tensor2D;
  abstract getConfig(): HashFamilyConfig;
  abstract dispose(): void;

  /** The same function as `hash` (a symmetric family). */
  hashQueries(x: tf.Tensor2D): tf.Tensor2D {
    return this.hash(x);
  }

  /** None: everything is drawn again from the seed. */
  get state(): Readonly<Record<string, tf.Variable>> {
    return {};
  }

  setState(values: Record<string, tf.Tensor>): void {
    checkState('values', values, this.state);
  }

  adoptState(variables: Record<string, tf.Variable>): void {
    checkState('variables', variables, this.state);
  }
}
