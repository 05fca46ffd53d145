import type * as tf from '@tensorflow/tfjs-core';

/**
 * The explicit channel through which a layer tells a row-sparse optimizer
 * which rows of its variables a training step touched (e.g. an output layer
 * over 100k classes whose loss reads only the step's candidate classes).
 *
 * The layer implements it; the user hands the layer to the optimizer
 * (`fusedAdam(lr, { lazy: true, rowSources: [layer] })`). For each variable
 * the optimizer asks every source: the first that answers non-null decides.
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
