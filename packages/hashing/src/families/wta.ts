import * as tf from '@tensorflow/tfjs-core';
import { codeBits } from '../kernels/wta_hash.js';
import { dwtaHash, dwtaHashArray, wtaHash, wtaHashArray } from '../ops/wta_hash.js';
import { assertInt, deriveSeed, fail, SeededRandom } from '@hashlayers/core/internal';
import { HashFamilyConfig, SeededHashFamily } from './hash_family.js';

export interface WTAHashOptions {
  inputDim: number;
  /** L, number of tables. */
  tables: number;
  /** Entries compared per permutation (2..inputDim); a code has ceil(log2 window) bits. */
  window?: number;
  /** WTA codes concatenated per table (band · ceil(log2 window) <= 30). */
  band?: number;
  /** Alternative to band: bits per table; band = floor(bits / ceil(log2 window)). */
  bits?: number;
  seed?: number;
}

/**
 * Winner-take-all hashing (Yagnik et al. 2011; used for output layers by
 * Vijayanarasimhan et al., arXiv 1412.7479). Each of the tables·band codes
 * looks at `window` input dimensions (the head of a seeded random
 * permutation) and records which of them is largest. Rank-based: invariant
 * to any strictly increasing transform of the input.
 */
export class WTAHash extends SeededHashFamily {
  readonly className: string = 'WTAHash';
  readonly inputDim: number;
  readonly tables: number;
  readonly window: number;
  readonly band: number;
  readonly seed: number;
  /** [tables·band·window] input dimensions. */
  readonly indices: Int32Array;

  constructor(opts: WTAHashOptions) {
    super();
    this.inputDim = assertInt('inputDim', opts.inputDim, 2);
    this.tables = assertInt('tables', opts.tables, 1, 4096);
    this.window = assertInt('window', opts.window ?? Math.min(8, this.inputDim), 2, this.inputDim);
    const cb = codeBits(this.window);
    if (opts.band != null && opts.bits != null) fail('band/bits', 'only one of band and bits', 'both');
    const band = opts.band ?? (opts.bits != null ? Math.floor(assertInt('bits', opts.bits, cb, 30) / cb) : Math.max(1, Math.floor(12 / cb)));
    this.band = assertInt('band', band, 1, Math.floor(30 / cb));
    this.seed = assertInt('seed', opts.seed ?? 0, 0, 0xffffffff);
    const n = this.tables * this.band;
    this.indices = new Int32Array(n * this.window);
    for (let c = 0; c < n; c++) {
      const rng = new SeededRandom(deriveSeed(this.seed, c));
      this.indices.set(rng.sampleWithoutReplacement(this.inputDim, this.window), c * this.window);
    }
  }

  get bitsPerTable(): number {
    return this.band * codeBits(this.window);
  }

  hash(x: tf.Tensor2D): tf.Tensor2D {
    if (x instanceof tf.Tensor && x.rank === 2 && x.shape[1] !== this.inputDim) {
      fail('x', `${this.inputDim} columns (inputDim)`, x);
    }
    return wtaHash(x, this);
  }

  /** `hashQueries` on a row-major Float32Array [batch, inputDim], in JavaScript (the same kernel and ids). */
  hashQueriesArray(x: Float32Array, batch: number): Int32Array {
    return wtaHashArray(x, batch, this.inputDim, this);
  }

  getConfig(): HashFamilyConfig {
    return {
      className: this.className,
      inputDim: this.inputDim,
      tables: this.tables,
      window: this.window,
      band: this.band,
      seed: this.seed,
    };
  }

  static fromConfig(c: HashFamilyConfig): WTAHash {
    return new WTAHash(c as unknown as WTAHashOptions);
  }

  dispose(): void {
    // holds no tensors
  }
}

export interface DWTAHashOptions extends WTAHashOptions {
  /** Probes of the densification before an empty code falls back to 0. */
  maxProbes?: number;
}

/**
 * Densified WTA for sparse inputs (Chen & Shrivastava, UAI 2018): only
 * non-zero entries compete, empty windows borrow a code through a seeded
 * probe sequence. Equal to WTAHash (same seed) on inputs without zeros.
 */
export class DWTAHash extends WTAHash {
  override readonly className = 'DWTAHash';
  readonly maxProbes: number;

  constructor(opts: DWTAHashOptions) {
    super(opts);
    this.maxProbes = assertInt('maxProbes', opts.maxProbes ?? 100, 1, 1 << 20);
  }

  override hash(x: tf.Tensor2D): tf.Tensor2D {
    if (x instanceof tf.Tensor && x.rank === 2 && x.shape[1] !== this.inputDim) {
      fail('x', `${this.inputDim} columns (inputDim)`, x);
    }
    return dwtaHash(x, this.dwtaParams());
  }

  override hashQueriesArray(x: Float32Array, batch: number): Int32Array {
    return dwtaHashArray(x, batch, this.inputDim, this.dwtaParams());
  }

  private dwtaParams() {
    return { tables: this.tables, band: this.band, window: this.window, indices: this.indices, probeSeed: deriveSeed(this.seed, 0x7fffffff), maxProbes: this.maxProbes };
  }

  override getConfig(): HashFamilyConfig {
    return { ...super.getConfig(), className: this.className, maxProbes: this.maxProbes };
  }

  static override fromConfig(c: HashFamilyConfig): DWTAHash {
    return new DWTAHash(c as unknown as DWTAHashOptions);
  }
}
