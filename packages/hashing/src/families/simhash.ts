import * as tf from '@tensorflow/tfjs-core';
import { simHash } from '../ops/sim_hash.js';
import { assertInt, assertOneOf, fail, SeededRandom } from '@hashlayers/core/internal';
import { HashFamilyConfig, SeededHashFamily } from './hash_family.js';

export interface SimHashOptions {
  inputDim: number;
  /** L, number of tables. */
  tables: number;
  /** K, sign bits per table (1..30). */
  bits: number;
  seed?: number;
  /** 'gaussian' (dense N(0,1)) or 'sparse' (Achlioptas ±1 with probability density/2 each, else 0). */
  projection?: 'gaussian' | 'sparse';
  /** Fraction of non-zero entries of a sparse projection (default 1/3). */
  density?: number;
}

/** Draws the [inputDim, tables·bits] projection matrix from the seed. */
export function drawProjection(
  inputDim: number,
  width: number,
  seed: number,
  kind: 'gaussian' | 'sparse',
  density: number,
): Float32Array {
  const rng = new SeededRandom(seed);
  const m = new Float32Array(inputDim * width);
  if (kind === 'gaussian') {
    for (let i = 0; i < m.length; i++) m[i] = rng.gaussian();
  } else {
    for (let i = 0; i < m.length; i++) {
      const u = rng.next();
      m[i] = u < density / 2 ? 1 : u < density ? -1 : 0;
    }
  }
  return m;
}

/**
 * Signed random projections (Charikar 2002): bit k of table l is the sign of
 * x · r_{l,k}. Per bit, P[collision] = 1 − θ(x, y)/π.
 */
export class SimHash extends SeededHashFamily {
  readonly className = 'SimHash';
  readonly inputDim: number;
  readonly tables: number;
  readonly bits: number;
  readonly seed: number;
  readonly projectionKind: 'gaussian' | 'sparse';
  readonly density: number;
  private projection: tf.Tensor2D | null = null;

  constructor(opts: SimHashOptions) {
    super();
    this.inputDim = assertInt('inputDim', opts.inputDim, 1);
    this.tables = assertInt('tables', opts.tables, 1, 4096);
    this.bits = assertInt('bits', opts.bits, 1, 30);
    this.seed = assertInt('seed', opts.seed ?? 0, 0, 0xffffffff);
    this.projectionKind = assertOneOf('projection', opts.projection ?? 'gaussian', ['gaussian', 'sparse']);
    this.density = opts.density ?? 1 / 3;
    if (!(this.density > 0 && this.density <= 1)) fail('density', 'a number in (0, 1]', opts.density);
  }

  get bitsPerTable(): number {
    return this.bits;
  }

  /** The [inputDim, tables·bits] projection (created on first use, owned by this object). */
  getProjection(): tf.Tensor2D {
    if (this.projection == null || this.projection.isDisposed) {
      const width = this.tables * this.bits;
      const values = drawProjection(this.inputDim, width, this.seed, this.projectionKind, this.density);
      this.projection = tf.keep(tf.tensor2d(values, [this.inputDim, width]));
    }
    return this.projection;
  }

  hash(x: tf.Tensor2D): tf.Tensor2D {
    return simHash(x, this.getProjection(), { tables: this.tables, bits: this.bits });
  }

  getConfig(): HashFamilyConfig {
    return {
      className: this.className,
      inputDim: this.inputDim,
      tables: this.tables,
      bits: this.bits,
      seed: this.seed,
      projection: this.projectionKind,
      density: this.density,
    };
  }

  static fromConfig(c: HashFamilyConfig): SimHash {
    return new SimHash(c as unknown as SimHashOptions);
  }

  dispose(): void {
    this.projection?.dispose();
    this.projection = null;
  }
}
