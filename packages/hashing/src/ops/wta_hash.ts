import * as tf from '@tensorflow/tfjs-core';
import { DWTAHashAttrs, dwtaHashKernel } from '../kernels/dwta_hash.js';
import { assertInt, assertMatrix, fail, runKernel } from '@hashlayers/core/internal';
import { codeBits, wtaHashKernel } from '../kernels/wta_hash.js';

export interface WTAParams {
  tables: number;
  band: number;
  window: number;
  /** [tables·band·window] input dimensions (the windows of the permutations). */
  indices: Int32Array;
}

function checkParams(x: tf.Tensor2D, p: WTAParams): void {
  assertMatrix('x', x);
  checkWindows(p, x.shape[1]);
}

/** Checks the WTA parameters for inputs of `dim` columns. */
function checkWindows(p: WTAParams, dim: number): void {
  const tables = assertInt('tables', p.tables, 1, 4096);
  const window = assertInt('window', p.window, 2, 1 << 16);
  const band = assertInt('band', p.band, 1, 30);
  if (band * codeBits(window) > 30) {
    fail('band', `band · ceil(log2 window) <= 30 bits (window ${window})`, band);
  }
  if (!(p.indices instanceof Int32Array) || p.indices.length !== tables * band * window) {
    fail('indices', `an Int32Array of length ${tables * band * window}`, p.indices?.length);
  }
  for (let i = 0; i < p.indices.length; i++) {
    if (p.indices[i] < 0 || p.indices[i] >= dim) fail('indices', `values in [0, ${dim})`, p.indices[i]);
  }
}

/** Winner-take-all bucket ids [batch, tables]; see wtaHashKernel. */
export function wtaHash(x: tf.Tensor2D, params: WTAParams): tf.Tensor2D {
  checkParams(x, params);
  const { tables, band, window, indices } = params;
  return runKernel(wtaHashKernel, { x }, { tables, band, window, indices })[0] as tf.Tensor2D;
}

/** Checks a row-major [batch, dim] array and the parameters (the array forms' checkParams). */
function checkArray(x: Float32Array, batch: number, dim: number, p: WTAParams): void {
  if (!(x instanceof Float32Array) || !Number.isInteger(batch) || batch < 1 || !Number.isInteger(dim) || x.length !== batch * dim) {
    fail('x', `a Float32Array of batch × dim = ${batch} × ${dim} values`, x instanceof Float32Array ? `${x.length} values` : x);
  }
  checkWindows(p, dim);
}

/**
 * wtaHash on a row-major Float32Array [batch, dim], in JavaScript without
 * tfjs (the same kernel, so the same bucket ids): for latency-bound callers
 * that hold the rows already (LSHSoftmax.topK). Returns [batch · tables].
 */
export function wtaHashArray(x: Float32Array, batch: number, dim: number, params: WTAParams): Int32Array {
  checkArray(x, batch, dim, params);
  const { tables, band, window, indices } = params;
  const out = new Int32Array(batch * tables);
  wtaHashKernel.compute({ x }, [out], { x: [batch, dim] }, { tables, band, window, indices });
  return out;
}

export interface DWTAParams extends WTAParams {
  probeSeed: number;
  maxProbes?: number;
}

/** Inverts the windows: for each input dimension, the slots it occupies. */
export function invertWindows(indices: Int32Array, window: number, dim: number) {
  const invOffsets = new Int32Array(dim + 1);
  for (let s = 0; s < indices.length; s++) invOffsets[indices[s] + 1]++;
  for (let d = 0; d < dim; d++) invOffsets[d + 1] += invOffsets[d];
  const fill = invOffsets.slice(0, dim);
  const invEntries = new Int32Array(indices.length);
  for (let s = 0; s < indices.length; s++) invEntries[fill[indices[s]]++] = s;
  return { invOffsets, invEntries };
}

const inverted = new WeakMap<Int32Array, { dim: number; invOffsets: Int32Array; invEntries: Int32Array }>();

/** The dwtaHashKernel attributes of (checked) params for inputs of `dim` columns. */
function dwtaAttrs(params: DWTAParams, dim: number): DWTAHashAttrs {
  const { tables, band, window, indices, probeSeed } = params;
  const maxProbes = assertInt('maxProbes', params.maxProbes ?? 100, 1, 1 << 20);
  let inv = inverted.get(indices);
  if (inv == null || inv.dim !== dim) {
    inv = { dim, ...invertWindows(indices, window, dim) };
    inverted.set(indices, inv);
  }
  return { tables, band, window, invOffsets: inv.invOffsets, invEntries: inv.invEntries, probeSeed: probeSeed >>> 0, maxProbes };
}

/** Densified WTA bucket ids [batch, tables] for sparse inputs; see dwtaHashKernel. */
export function dwtaHash(x: tf.Tensor2D, params: DWTAParams): tf.Tensor2D {
  checkParams(x, params);
  return runKernel(dwtaHashKernel, { x }, dwtaAttrs(params, x.shape[1]))[0] as tf.Tensor2D;
}

/** dwtaHash on a row-major Float32Array [batch, dim], in JavaScript (as wtaHashArray). Returns [batch · tables]. */
export function dwtaHashArray(x: Float32Array, batch: number, dim: number, params: DWTAParams): Int32Array {
  checkArray(x, batch, dim, params);
  const attrs = dwtaAttrs(params, dim);
  const out = new Int32Array(batch * params.tables);
  dwtaHashKernel.compute({ x }, [out], { x: [batch, dim] }, attrs);
  return out;
}
