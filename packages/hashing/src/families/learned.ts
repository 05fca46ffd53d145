import * as tf from '@tensorflow/tfjs-core';
import { packSignBits } from '../ops/sim_hash.js';
import { assertInt, assertMatrix, fail } from '@hashlayers/core/internal';
import { checkState, HashFamily, HashFamilyConfig } from './hash_family.js';
import { drawProjection } from './simhash.js';

export interface LearnedHashOptions {
  inputDim: number;
  tables: number;
  /** Sign bits per table (1..30). */
  bits: number;
  seed?: number;
  /**
   * true: items and queries each have their own projection (an asymmetric
   * hash; both start from the same seeded draw); false (default): one
   * projection hashes both.
   */
  asymmetric?: boolean;
  /** Start the item projection from these values [inputDim, tables·bits] instead of the seeded SimHash draw. */
  projection?: tf.Tensor2D;
  /** Asymmetric only: start the query projection from these values (default: the item projection's start). */
  queryProjection?: tf.Tensor2D;
  trainable?: boolean;
  name?: string;
}

let counter = 0;

/**
 * A learnable linear hash (the MONGOOSE design): codes are the sign bits of
 * x · P with P a tf.Variable [inputDim, tables·bits], initialised exactly
 * like SimHash with the same seed. `relaxed(x)` = tanh(x · P / temperature)
 * is the smooth surrogate other packages train with pairwise losses.
 *
 * Asymmetric (`asymmetric: true`): items (an output layer's class vectors
 * [w; b]) are hashed with `projection`, queries ([h; 1]) with
 * `queryProjection`; both start from the same seeded draw, so an untrained
 * asymmetric hash equals the symmetric one.
 *
 * State (what a layer saves as weights): `query_projection` (the projection
 * of the queries, and of the items too when symmetric) and, when asymmetric,
 * `label_projection` (the items'); the names are those of the saved LSS
 * output layers.
 */
export class LearnedHash implements HashFamily {
  readonly className = 'LearnedHash';
  readonly inputDim: number;
  readonly tables: number;
  readonly bits: number;
  readonly seed: number;
  readonly asymmetric: boolean;
  private itemVar: tf.Variable<tf.Rank.R2>;
  private queryVar: tf.Variable<tf.Rank.R2>;
  /** False once the state was adopted: then the variables belong to someone else. */
  private owned = true;

  constructor(opts: LearnedHashOptions) {
    this.inputDim = assertInt('inputDim', opts.inputDim, 1);
    this.tables = assertInt('tables', opts.tables, 1, 4096);
    this.bits = assertInt('bits', opts.bits, 1, 30);
    this.seed = assertInt('seed', opts.seed ?? 0, 0, 0xffffffff);
    if (opts.asymmetric != null && typeof opts.asymmetric !== 'boolean') fail('asymmetric', 'a boolean', opts.asymmetric);
    this.asymmetric = opts.asymmetric ?? false;
    const width = this.tables * this.bits;
    if (opts.projection != null) assertMatrix('projection', opts.projection, { rows: this.inputDim, cols: width });
    if (opts.queryProjection != null) {
      if (!this.asymmetric) fail('queryProjection', 'no query projection (asymmetric is false: one projection hashes both)', opts.queryProjection);
      assertMatrix('queryProjection', opts.queryProjection, { rows: this.inputDim, cols: width });
    }
    const name = opts.name ?? `learned_hash_${counter++}`;
    const trainable = opts.trainable ?? true;
    const start = opts.projection ?? tf.tensor2d(drawProjection(this.inputDim, width, this.seed, 'gaussian', 1), [this.inputDim, width]);
    this.itemVar = tf.variable(start, trainable, this.asymmetric ? `${name}_items` : name) as tf.Variable<tf.Rank.R2>;
    this.queryVar = this.asymmetric ? (tf.variable(opts.queryProjection ?? start, trainable, `${name}_queries`) as tf.Variable<tf.Rank.R2>) : this.itemVar;
    if (start !== opts.projection) start.dispose();
  }

  get bitsPerTable(): number {
    return this.bits;
  }

  /** The projection of `hash` (items; queries too when symmetric). */
  get projection(): tf.Variable<tf.Rank.R2> {
    return this.itemVar;
  }

  /** The projection of `hashQueries` (the same variable as `projection` when symmetric). */
  get queryProjection(): tf.Variable<tf.Rank.R2> {
    return this.queryVar;
  }

  get state(): Readonly<Record<string, tf.Variable>> {
    return this.asymmetric ? { query_projection: this.queryVar, label_projection: this.itemVar } : { query_projection: this.itemVar };
  }

  /** Bucket ids of items: sign bits of x · projection. */
  hash(x: tf.Tensor2D): tf.Tensor2D {
    assertMatrix('x', x, { cols: this.inputDim });
    return tf.tidy(() => packSignBits(tf.matMul(x, this.itemVar), this));
  }

  /** Bucket ids of queries: sign bits of x · queryProjection. */
  hashQueries(x: tf.Tensor2D): tf.Tensor2D {
    assertMatrix('x', x, { cols: this.inputDim });
    return tf.tidy(() => packSignBits(tf.matMul(x, this.queryVar), this));
  }

  /** Differentiable surrogate of the item codes: tanh(x · projection / temperature), [batch, tables·bits]. */
  relaxed(x: tf.Tensor2D, temperature = 1): tf.Tensor2D {
    return this.relax(x, this.itemVar, temperature);
  }

  /** Differentiable surrogate of the query codes: tanh(x · queryProjection / temperature). */
  relaxedQueries(x: tf.Tensor2D, temperature = 1): tf.Tensor2D {
    return this.relax(x, this.queryVar, temperature);
  }

  private relax(x: tf.Tensor2D, p: tf.Tensor2D, temperature: number): tf.Tensor2D {
    assertMatrix('x', x, { cols: this.inputDim });
    if (!(temperature > 0)) fail('temperature', 'a positive number', temperature);
    return tf.tidy(() => tf.tanh(tf.div(tf.matMul(x, p), temperature)) as tf.Tensor2D);
  }

  setState(values: Record<string, tf.Tensor>): void {
    const state = this.state;
    checkState('values', values, state);
    // (assigning a variable its own data would free it)
    for (const name of Object.keys(state)) if (values[name].dataId !== state[name].dataId) state[name].assign(values[name]);
  }

  adoptState(variables: Record<string, tf.Variable>): void {
    checkState('variables', variables, this.state);
    for (const [name, v] of Object.entries(variables)) {
      if (!(v instanceof tf.Variable)) fail(`variables.${name}`, 'a tf.Variable', v);
    }
    const item = (this.asymmetric ? variables.label_projection : variables.query_projection) as tf.Variable<tf.Rank.R2>;
    const query = variables.query_projection as tf.Variable<tf.Rank.R2>;
    this.dispose();
    this.itemVar = item;
    this.queryVar = query;
    this.owned = false;
  }

  getConfig(): HashFamilyConfig {
    return { className: this.className, inputDim: this.inputDim, tables: this.tables, bits: this.bits, seed: this.seed, asymmetric: this.asymmetric };
  }

  /** The family of a config, its state set from `state` when given (else the seeded start). */
  static fromConfig(c: HashFamilyConfig, state?: Record<string, tf.Tensor>): LearnedHash {
    const family = new LearnedHash(c as unknown as LearnedHashOptions);
    if (state != null) {
      try {
        family.setState(state);
      } catch (e) {
        family.dispose();
        throw e;
      }
    }
    return family;
  }

  dispose(): void {
    if (!this.owned) return;
    for (const v of new Set([this.itemVar, this.queryVar])) if (!v.isDisposed) v.dispose();
  }
}
