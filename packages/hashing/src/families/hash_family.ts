import * as tf from '@tensorflow/tfjs-core';

/** What every hash family shares: seeded, L tables, int32 bucket ids. */
export interface HashFamily {
  /** 'SimHash' | 'WTAHash' | 'DWTAHash' | 'LearnedHash' */
  readonly className: string;
  readonly inputDim: number;
  /** L: number of tables (bucket ids per input). */
  readonly tables: number;
  /** Bits of one bucket id (ids lie in [0, 2^bitsPerTable)). */
  readonly bitsPerTable: number;
  readonly seed: number;
  /** int32 bucket ids [batch, tables] of the rows of x [batch, inputDim]. */
  hash(x: tf.Tensor2D): tf.Tensor2D;
  getConfig(): HashFamilyConfig;
  /** Frees the tensors the family holds. */
  dispose(): void;
}

export interface HashFamilyConfig {
  className: string;
  inputDim: number;
  tables: number;
  seed: number;
  [key: string]: string | number | boolean | undefined;
}
