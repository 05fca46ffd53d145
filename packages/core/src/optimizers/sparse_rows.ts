import type * as tf from '@tensorflow/tfjs-core';
import { fail } from '../util/validate.js';

/**
 * The explicit channel through which a layer tells a row-sparse optimizer
 * which rows of its variables a training step touched (e.g. an output layer
 * over 100k classes whose loss reads only the step's candidate classes).
 *
 * The layer implements it; the user hands the layer to the optimizer
 * (`fusedAdam(lr, b1, b2, eps, { lazy: true, rowSources: [layer] })`). For
 * each variable the optimizer asks every source: the first that answers
 * non-null decides.
 */
export interface RowSparseSource {
  /**
   * The rows (indices along axis 0) of `variable` that the gradient of the
   * current step can be non-zero in, or null when this source does not know
   * the variable (or the step touched all of it). Duplicates are allowed.
   * Must not change the source: the optimizer validates every variable
   * before it updates any.
   */
  touchedRows(variable: tf.Variable): Int32Array | null;
  /** Called after the optimizer applied the rows of `variable`: the next step reports afresh. */
  clearTouchedRows(variable: tf.Variable): void;
}

/** Recognises a RowSparseSource by shape (objects can cross module copies, so no instanceof). */
export function isRowSparseSource(x: unknown): x is RowSparseSource {
  const s = x as Partial<RowSparseSource> | null;
  return s != null && typeof s.touchedRows === 'function' && typeof s.clearTouchedRows === 'function';
}

/**
 * Validates rows against [0, nRows) and returns them without duplicates, in
 * ascending order (so that a gather, the update loop and a scatter walk
 * memory forwards). `what` names the rows in errors.
 */
export function uniqueRows(what: string, rows: Int32Array, nRows: number): Int32Array {
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j];
    if (r < 0 || r >= nRows) fail(`${what} (entry ${j})`, `a row id in [0, ${nRows})`, r);
  }
  const seen = new Uint8Array(nRows);
  let n = 0;
  for (let j = 0; j < rows.length; j++) {
    n += 1 - seen[rows[j]];
    seen[rows[j]] = 1;
  }
  const out = new Int32Array(n);
  for (let r = 0, i = 0; i < n; r++) if (seen[r] !== 0) out[i++] = r;
  return out;
}

/**
 * The sparse-row hints of one optimizer: its row sources, asked per variable
 * and step. `owner` names the optimizer in errors.
 */
export class RowHints {
  private readonly sources: RowSparseSource[] = [];

  constructor(private readonly owner: string) {}

  /** Adds a source (once; adding it again changes nothing). */
  add(source: RowSparseSource): void {
    if (!isRowSparseSource(source)) {
      fail(`${this.owner} rowSource`, 'an object with touchedRows(variable) and clearTouchedRows(variable) (e.g. an LSHSoftmax layer)', source);
    }
    if (!this.sources.includes(source)) this.sources.push(source);
  }

  get size(): number {
    return this.sources.length;
  }

  /**
   * The rows of `variable` the current step touched, validated, without
   * duplicates and ascending, from the first source that knows the variable;
   * null when none does (the variable gets the dense update). Throws a clear
   * error on a bad report and changes nothing (sources are only read).
   */
  rowsOf(variable: tf.Variable): Int32Array | null {
    for (const source of this.sources) {
      const rows = source.touchedRows(variable);
      if (rows == null) continue;
      // by tag, not instanceof: the array may come from another realm
      const tag = Object.prototype.toString.call(rows);
      if (tag !== '[object Int32Array]') fail(`${this.owner} touched rows of '${variable.name}'`, 'an Int32Array or null', tag);
      if (variable.rank === 0) fail(`${this.owner} sparse rows of '${variable.name}'`, 'a variable of rank >= 1', 'a scalar');
      return uniqueRows(`${this.owner} sparse rows of '${variable.name}'`, rows, variable.shape[0]);
    }
    return null;
  }

  /** Tells every source that the step of `variable` was applied. */
  applied(variable: tf.Variable): void {
    for (const source of this.sources) source.clearTouchedRows(variable);
  }
}
