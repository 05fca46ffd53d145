import * as tf from '@tensorflow/tfjs-core';
import { SimHash } from '../families/simhash.js';
import { assertFiniteTensor, assertInt, assertMatrix, assertOneOf, fail } from '@hashlayers/core/internal';

export interface RaceSketchOptions {
  inputDim: number;
  /** R: independent rows (repetitions). */
  rows: number;
  /** K: SRP bits per row; each row has 2^K cells (1..20). */
  bits: number;
  /** Values stored per cell (e.g. classes). */
  outputs: number;
  seed?: number;
  projection?: 'gaussian' | 'sparse';
}

export interface RaceQueryOptions {
  /** 'mean' over rows, or 'median-of-means' over `groups` groups of rows. */
  estimator?: 'mean' | 'median-of-means';
  groups?: number;
}

/**
 * RACE count arrays (Coleman & Shrivastava, WWW 2020): R rows × 2^K cells ×
 * outputs, each row indexed by K SRP bits. Inserting x with weight α adds α
 * to the cell of x in every row; the query's cell in one row then holds
 * Σ α_i·[h(x_i) = h(q)], whose expectation is Σ α_i (1 − θ(x_i, q)/π)^K.
 */
export class RaceSketch {
  readonly inputDim: number;
  readonly rows: number;
  readonly bits: number;
  readonly outputs: number;
  readonly seed: number;
  readonly hashFamily: SimHash;
  /** [rows, 2^bits, outputs] counts, row-major. */
  readonly counts: Float32Array;
  private inserted = 0;

  constructor(opts: RaceSketchOptions) {
    this.inputDim = assertInt('inputDim', opts.inputDim, 1);
    this.rows = assertInt('rows', opts.rows, 1, 4096);
    this.bits = assertInt('bits', opts.bits, 1, 20);
    this.outputs = assertInt('outputs', opts.outputs, 1);
    this.seed = assertInt('seed', opts.seed ?? 0, 0, 0xffffffff);
    this.hashFamily = new SimHash({
      inputDim: this.inputDim,
      tables: this.rows,
      bits: this.bits,
      seed: this.seed,
      projection: opts.projection ?? 'gaussian',
    });
    this.counts = new Float32Array(this.rows * this.cells * this.outputs);
  }

  get cells(): number {
    return 2 ** this.bits;
  }

  /** Number of inserted points. */
  get size(): number {
    return this.inserted;
  }

  get bytes(): number {
    return this.counts.byteLength;
  }

  private codesOf(x: tf.Tensor2D): Int32Array {
    const codes = this.hashFamily.hash(x);
    const v = Int32Array.from(codes.dataSync() as Int32Array);
    codes.dispose();
    return v;
  }

  /** Adds weights [n, outputs] (default 1) of the points x [n, inputDim]. */
  insert(x: tf.Tensor2D, weights?: tf.Tensor2D): void {
    assertMatrix('x', x, { cols: this.inputDim });
    if (weights != null) {
      assertMatrix('weights', weights, { rows: x.shape[0], cols: this.outputs });
      assertFiniteTensor('weights', weights);
    }
    const codes = this.codesOf(x);
    const w = weights != null ? (weights.dataSync() as Float32Array) : null;
    raceInsert(this.counts, codes, w, { rows: this.rows, cells: this.cells, outputs: this.outputs });
    this.inserted += x.shape[0];
  }

  /** Estimates [batch, outputs] of Σ α_i (1 − θ(x_i, q)/π)^K for each query. */
  query(q: tf.Tensor2D, opts: RaceQueryOptions = {}): tf.Tensor2D {
    assertMatrix('q', q, { cols: this.inputDim });
    const estimator = assertOneOf('estimator', opts.estimator ?? 'mean', ['mean', 'median-of-means']);
    const groups = assertInt('groups', opts.groups ?? Math.min(this.rows, 5), 1, this.rows);
    const codes = this.codesOf(q);
    const batch = q.shape[0];
    const { rows, outputs, cells } = this;
    const out = new Float32Array(batch * outputs);
    const perRow = new Float64Array(rows);
    const groupMeans = new Float64Array(groups);
    for (let i = 0; i < batch; i++) {
      for (let o = 0; o < outputs; o++) {
        for (let r = 0; r < rows; r++) perRow[r] = this.counts[(r * cells + codes[i * rows + r]) * outputs + o];
        if (estimator === 'mean') {
          let s = 0;
          for (let r = 0; r < rows; r++) s += perRow[r];
          out[i * outputs + o] = s / rows;
        } else {
          for (let g = 0; g < groups; g++) {
            const lo = Math.floor((g * rows) / groups);
            const hi = Math.floor(((g + 1) * rows) / groups);
            let s = 0;
            for (let r = lo; r < hi; r++) s += perRow[r];
            groupMeans[g] = s / (hi - lo);
          }
          const sorted = Array.from(groupMeans).sort((a, b) => a - b);
          const m = sorted.length >> 1;
          out[i * outputs + o] = sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
        }
      }
    }
    return tf.tensor2d(out, [batch, outputs]);
  }

  /** The counts as a tensor [rows, 2^bits, outputs]. */
  toTensor(): tf.Tensor3D {
    return tf.tensor3d(this.counts, [this.rows, this.cells, this.outputs]);
  }

  /** Replaces the counts with a tensor from toTensor(). */
  setCounts(t: tf.Tensor3D): void {
    if (!(t instanceof tf.Tensor) || t.rank !== 3 || t.shape[0] !== this.rows || t.shape[1] !== this.cells || t.shape[2] !== this.outputs) {
      fail('counts', `a tensor of shape [${this.rows}, ${this.cells}, ${this.outputs}]`, t);
    }
    assertFiniteTensor('counts', t);
    this.counts.set(t.dataSync() as Float32Array);
  }

  dispose(): void {
    this.hashFamily.dispose();
  }
}

/** The layout of RACE count arrays: [rows, cells, outputs], row-major. */
export interface RaceLayout {
  rows: number;
  cells: number;
  outputs: number;
}

/**
 * RACE insertion, the one implementation (RaceSketch.insert and
 * RepresenterSketch.insert): point i adds its weight vector
 * weights[i, :] (1 everywhere when weights is null) to its cell
 * codes[i, r] in every row r of counts [rows, cells, outputs], in place.
 * codes [n, rows] must hold cell ids in [0, cells); the callers validate the
 * weights (shape, finite) before calling, so counts are never half-updated.
 */
export function raceInsert(counts: Float32Array, codes: ArrayLike<number>, weights: ArrayLike<number> | null, layout: RaceLayout): void {
  const { rows, cells, outputs } = layout;
  const n = codes.length / rows;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < rows; r++) {
      const base = (r * cells + codes[i * rows + r]) * outputs;
      if (weights == null) {
        for (let o = 0; o < outputs; o++) counts[base + o] += 1;
      } else {
        const w0 = i * outputs;
        for (let o = 0; o < outputs; o++) counts[base + o] += weights[w0 + o];
      }
    }
  }
}

/** Closed form of the RACE expectation: Σ_i α_i (1 − θ(x_i, q)/π)^K. */
export function srpKernel(x: ArrayLike<number>, q: ArrayLike<number>, bits: number): number {
  let dot = 0;
  let nx = 0;
  let nq = 0;
  for (let i = 0; i < x.length; i++) {
    dot += x[i] * q[i];
    nx += x[i] * x[i];
    nq += q[i] * q[i];
  }
  const cos = Math.max(-1, Math.min(1, dot / Math.sqrt(nx * nq)));
  return (1 - Math.acos(cos) / Math.PI) ** bits;
}
