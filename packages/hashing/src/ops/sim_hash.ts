import * as tf from '@tensorflow/tfjs-core';
import { packSignBitsKernel } from '../kernels/pack_sign_bits.js';
import { assertFiniteTensor, assertInt, assertMatrix, runKernel } from '@hashlayers/core/internal';

/**
 * Signed random projections: bucket ids [batch, tables] from the signs of
 * x · projection, where projection is [inputDim, tables·bits]. The projection
 * is a dense matMul (the backend's fastest kernel); the sign packing is our
 * kernel.
 */
export function simHash(
  x: tf.Tensor2D,
  projection: tf.Tensor2D,
  opts: { tables: number; bits: number },
): tf.Tensor2D {
  const tables = assertInt('tables', opts.tables, 1, 4096);
  const bits = assertInt('bits', opts.bits, 1, 30);
  assertMatrix('projection', projection, { cols: tables * bits });
  assertMatrix('x', x, { cols: projection.shape[0] });
  try {
    return tf.tidy(() => packSignBits(tf.matMul(x, projection), { tables, bits }));
  } catch (e) {
    // a non-finite product: name the input that holds the NaN/Infinity (x, or the projection: a corrupted or diverged weight)
    assertFiniteTensor('x', x);
    assertFiniteTensor('projection', projection);
    throw e;
  }
}

/** Packs already computed projections [batch, tables·bits] into bucket ids. */
export function packSignBits(
  projections: tf.Tensor2D,
  opts: { tables: number; bits: number },
): tf.Tensor2D {
  const tables = assertInt('tables', opts.tables, 1, 4096);
  const bits = assertInt('bits', opts.bits, 1, 30);
  assertMatrix('projections', projections, { cols: tables * bits });
  return runKernel(packSignBitsKernel, { projections }, { tables, bits })[0] as tf.Tensor2D;
}
