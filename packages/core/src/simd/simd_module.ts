import { LUT_KERNELS_WASM } from './lut_bytes.js';
import { SIMD_KERNELS_WASM } from './simd_bytes.js';
import { isSharedMemory, sharedMemoryVariant } from './shared_variant.js';

/** The exports of kernels.wat; every argument is a byte offset on the imported memory or a count. */
export interface SimdKernels {
  gather_dot(queries: number, items: number, candidates: number, out: number, batch: number, width: number, dim: number): void;
  gather_weighted_sum(weights: number, items: number, candidates: number, out: number, batch: number, width: number, dim: number): void;
  scatter_outer_add(weights: number, queries: number, candidates: number, out: number, batch: number, width: number, dim: number): void;
  pair_dot(queries: number, items: number, itemIds: number, queryIds: number, dst: number, out: number, n: number, dim: number): void;
  /**
   * For each of `rows` candidate lists (ids/scores[rowStart[i] .. rowStart[i+1])): bias (f32 per id; -1 for none)
   * added to the scores in place, the k best (best first, ties to the smaller id; -1 / −∞ padding) to
   * outIds/outScores[i·k ..], the largest score (f32) to outMax[i] and Σ e^(score − max) (f64) to outSum[i].
   */
  finish_rows(ids: number, scores: number, rowStart: number, rows: number, bias: number, k: number, outIds: number, outScores: number, outMax: number, outSum: number): void;
  /**
   * The union of each query's buckets cut to maxCand items, most hits first; of the tied group the items
   * with the largest scores[id] (f32; scores ≠ -1), else a seeded random subset (seeds ≠ -1), else the
   * smallest ids (as hashing's selectRetrieved): query i's items at out + i·maxCand·4, their
   * count at outN[i]. counts: uint16 per item, zero in and out; touched: int32 per item; hist: tables + 2
   * int32; st: one int32 of generator state; tscore: f32 per item.
   */
  union_rows(
    keyStart: number, keys: number, offsets: number, ids: number, tables: number, codes: number, nq: number,
    maxCand: number, minHits: number, seeds: number, scores: number, counts: number, touched: number, hist: number, st: number,
    tscore: number, out: number, outN: number,
  ): void;
  /**
   * Adam over n floats (tf.train.adam's float32 formula): m, v updated in place, new values to out (may be x).
   * c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ, nlr = −learning rate.
   */
  adam_dense(
    x: number, g: number, m: number, v: number, out: number, n: number,
    b1: number, omb1: number, b2: number, omb2: number, c1: number, c2: number, eps: number, nlr: number,
  ): void;
  /**
   * Adam over the rows rows[0..nRows) (int32, distinct, in range) of x, m, v (row length cols), x in place;
   * gradient row j at g + j·cols when compact is 1, else row rows[j] of g; copy ≠ -1 also receives the new row j at copy + j·cols.
   */
  adam_rows(
    x: number, g: number, m: number, v: number, rows: number, nRows: number, cols: number, compact: number, copy: number,
    b1: number, omb1: number, b2: number, omb2: number, c1: number, c2: number, eps: number, nlr: number,
  ): void;
  /**
   * The sparse output layer's backward pass and lazy-Adam step, one distinct row at a time (ClassRowEngine):
   * for row j (class rows[j] of w, m, v) and its pairs p in [start[j], start[j+1]) (query qi[p], logit
   * gradient dz[p]): dh[qi[p]] += dz[p] · w[row]; when step is 1 also g = Σ dz[p] · h[qi[p]] (at gtmp, dim
   * floats) and Adam on the row in place. dh zeroed by the caller.
   */
  sparse_rows_step(
    h: number, dz: number, qi: number, start: number, rows: number, n: number, w: number, m: number, v: number,
    dh: number, gtmp: number, dim: number, step: number,
    b1: number, omb1: number, b2: number, omb2: number, c1: number, c2: number, eps: number, nlr: number,
  ): void;
}

/**
 * The exports of lut_kernels.wat (the MADDNESS scan of lut-dense's quantized tables); byte offsets
 * on the imported memory or counts. Layouts are described at the top of lut_kernels.wat.
 */
export interface LutSimdKernels {
  /** 4-bit codes of rows [0, n) of x [n, d] through c trees (dims [c, 4] int32, thr [c, 15]) in the blocked layout: ceil(n/32)·c·16 bytes. */
  maddness_encode_packed(x: number, n: number, d: number, dims: number, thr: number, c: number, codes: number): void;
  /**
   * out[row, 4g + k] = Σ_j tables[j, 4g + k, code] · scale + offset (+ bias unless bias = -1) for g < groups,
   * lanes 4g + k < valid stored; tables [c, mt, 16] bytes; exact for c ≤ 257; out rows ostride floats apart.
   */
  lut_scan_u8(
    codes: number, tables: number, c: number, mt: number, groups: number, n: number,
    scale: number, offset: number, bias: number, out: number, ostride: number, valid: number,
  ): void;
  /** Rows of x [n, d] holding NaN or ±Infinity: every output of their row of out [n, m] set to NaN. */
  poison_nonfinite_rows(x: number, n: number, d: number, out: number, m: number): void;
}

/** One SIMD module: compiled once per memory kind (plain, shared), instantiated once per memory. */
interface SimdModule {
  base64: string;
  compiled: { plain?: WebAssembly.Module | null; shared?: WebAssembly.Module | null };
  instances: WeakMap<WebAssembly.Memory, object | null>;
}

const simdModule: SimdModule = { base64: SIMD_KERNELS_WASM, compiled: {}, instances: new WeakMap() };
const lutModule: SimdModule = { base64: LUT_KERNELS_WASM, compiled: {}, instances: new WeakMap() };

const noted = new Set<string>();
/** A console note, once per kind: why the SIMD kernels are off here (the JavaScript loops run instead). */
function noteOnce(kind: string, message: string): void {
  if (noted.has(kind)) return;
  noted.add(kind);
  console.warn(`hashlayers: ${message}; the kernels run their JavaScript loops instead (same results up to float rounding order, slower)`);
}

function compile(base64: string, shared: boolean): WebAssembly.Module | null {
  try {
    const plain = decode(base64);
    const bytes = shared ? sharedMemoryVariant(plain) : plain;
    if (WebAssembly.validate(bytes)) return new WebAssembly.Module(bytes);
    noteOnce('validate', 'this JavaScript engine lacks WebAssembly SIMD (the SIMD kernels do not validate)');
  } catch (e) {
    noteOnce('compile', `the SIMD kernels do not compile here (${(e as Error).message})`);
  }
  return null;
}

/**
 * The module's exports bound to `memory`, or null when this engine lacks
 * WebAssembly SIMD, the memory cannot be imported, or the kernels are off.
 * A shared memory (tfjs-backend-wasm's threaded build, in cross-origin
 * isolated pages) gets the module's shared-memory variant.
 */
function bind(mod: SimdModule, memory: WebAssembly.Memory | undefined): object | null {
  if (!enabled || memory == null) return null;
  let exports = mod.instances.get(memory);
  if (exports !== undefined) return exports;
  const kind = isSharedMemory(memory) ? 'shared' : 'plain';
  if (mod.compiled[kind] === undefined) mod.compiled[kind] = compile(mod.base64, kind === 'shared');
  const compiled = mod.compiled[kind];
  if (compiled == null) return null;
  try {
    exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports;
  } catch (e) {
    noteOnce(`link-${kind}`, `the SIMD kernels cannot attach to this ${kind} WebAssembly memory (${(e as Error).message})`);
    exports = null;
  }
  mod.instances.set(memory, exports);
  return exports;
}

let enabled = true;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const src = typeof Buffer !== 'undefined' ? Buffer.from(base64, 'base64') : Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const bytes = new Uint8Array(new ArrayBuffer(src.length));
  bytes.set(src);
  return bytes;
}

/**
 * The SIMD kernels bound to `memory` (the wasm backend's heap, plain or
 * shared, or a private memory), or null when this engine lacks WebAssembly
 * SIMD or they are switched off: callers then run the JavaScript loops,
 * which give the same results up to float32 rounding order (a console note
 * says why, once).
 */
export function simdKernels(memory: WebAssembly.Memory | undefined): SimdKernels | null {
  return bind(simdModule, memory) as SimdKernels | null;
}

/**
 * The compiled shared-memory variant of the SIMD kernels (what a worker
 * thread instantiates on a shared memory), or null without WebAssembly SIMD
 * or while they are switched off.
 */
export function sharedSimdModule(): WebAssembly.Module | null {
  if (!enabled) return null;
  if (simdModule.compiled.shared === undefined) simdModule.compiled.shared = compile(simdModule.base64, true);
  return simdModule.compiled.shared;
}

/**
 * The MADDNESS scan kernels (lut_kernels.wat) bound to `memory` (the wasm
 * backend's heap or a private memory), or null without WebAssembly SIMD or
 * while the SIMD kernels are switched off (setWasmSimdKernels(false)).
 */
export function lutSimdKernels(memory: WebAssembly.Memory | undefined): LutSimdKernels | null {
  return bind(lutModule, memory) as LutSimdKernels | null;
}

/** True while the SIMD kernels are switched on (see setWasmSimdKernels in simd_memory.ts). */
export function simdEnabled(): boolean {
  return enabled;
}

/** Switches the SIMD kernels on or off; returns the previous setting. (The public switch is setWasmSimdKernels.) */
export function setSimdEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** True when every array is a view on `memory` (so its byteOffset is a heap pointer). */
export function onHeap(memory: WebAssembly.Memory, ...arrays: ArrayBufferView[]): boolean {
  const buffer = memory.buffer;
  return arrays.every((a) => a.buffer === buffer);
}
