import * as tf from '@tensorflow/tfjs-core';
import { packSignBits } from '../ops/sim_hash.js';
import { assertInt, assertMatrix, fail } from '@hashlayers/core/internal';
import { HashFamily, HashFamilyConfig } from './hash_family.js';
import { drawProjection } from './simhash.js';

export interface LearnedHashOptions {
  inputDim: number;
  tables: number;
  /** Sign bits per table (1..30). */
  bits: number;
  seed?: number;
  /** Start from these projection values [inputDim, tables·bits] instead of the seeded SimHash draw. */
  projection?: tf.Tensor2D;
  trainable?: boolean;
  name?: string;
}

let counter = 0;

/**
 * A learnable linear hash (the MONGOOSE design): codes are the sign bits of
 * x · P with P a tf.Variable [inputDim, tables·bits], initialised exactly
 * like SimHash with the same seed. `relaxed(x)` = tanh(x · P / temperature)
 * is the smooth surrogate other packages train with pairwise losses.
 */
export class LearnedHash implements HashFamily {
  readonly className = 'LearnedHash';
  readonly inputDim: number;
  readonly tables: number;
  readonly bits: number;
  readonly seed: number;
  readonly projection: tf.Variable<tf.Rank.R2>;

  constructor(opts: LearnedHashOptions) {
    this.inputDim = assertInt('inputDim', opts.inputDim, 1);
    this.tables = assertInt('tables', opts.tables, 1, 4096);
    this.bits = assertInt('bits', opts.bits, 1, 30);
    this.seed = assertInt('seed', opts.seed ?? 0, 0, 0xffffffff);
    const width = this.tables * this.bits;
    const name = opts.name ?? `learned_hash_${counter++}`;
    if (opts.projection != null) {
      assertMatrix('projection', opts.projection, { rows: this.inputDim, cols: width });
      this.projection = tf.variable(opts.projection, opts.trainable ?? true, name) as tf.Variable<tf.Rank.R2>;
    } else {
      const init = tf.tensor2d(drawProjection(this.inputDim, width, this.seed, 'gaussian', 1), [this.inputDim, width]);
      this.projection = tf.variable(init, opts.trainable ?? true, name) as tf.Variable<tf.Rank.R2>;
      init.dispose();
    }
  }

  get bitsPerTable(): number {
    return this.bits;
  }

  hash(x: tf.Tensor2D): tf.Tensor2D {
    assertMatrix('x', x, { cols: this.inputDim });
    return tf.tidy(() => packSignBits(tf.matMul(x, this.projection), this));
  }

  /** Differentiable surrogate of the codes: tanh(x · P / temperature), [batch, tables·bits]. */
  relaxed(x: tf.Tensor2D, temperature = 1): tf.Tensor2D {
    assertMatrix('x', x, { cols: this.inputDim });
    if (!(temperature > 0)) fail('temperature', 'a positive number', temperature);
    return tf.tidy(() => tf.tanh(tf.div(tf.matMul(x, this.projection), temperature)) as tf.Tensor2D);
  }

  getConfig(): HashFamilyConfig {
    return { className: this.className, inputDim: this.inputDim, tables: this.tables, bits: this.bits, seed: this.seed };
  }

  static fromConfig(c: HashFamilyConfig, projection?: tf.Tensor2D): LearnedHash {
    return new LearnedHash({ ...(c as unknown as LearnedHashOptions), projection });
  }

  dispose(): void {
    this.projection.dispose();
  }
}
