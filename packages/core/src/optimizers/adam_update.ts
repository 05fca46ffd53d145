import * as tf from '@tensorflow/tfjs-core';
import { HeapBackend, heapBackendOf, heapOutput, heapView, scatterUpdateCopies, tensorCopiesValues } from '../backend/internals.js';
import { scratch } from '../kernels/scratch.js';
import { heapSimdMemory, PrivateSimdMemory } from '../simd/simd_memory.js';
import { AdamConstants, adamDense, adamRows, simdAdamDense, simdAdamRows } from './adam_math.js';
import { AdamSlot, AdamState } from './adam_state.js';

/**
 * One variable's Adam step, run where its data is cheapest to reach:
 * - wasm: the loop reads the variable and the gradient in place on the heap
 *   and writes a new heap tensor (no JS copies; m and v on the heap with SIMD);
 * - cpu, tensorflow with SIMD: m, v and a copy of the values on the
 *   optimizer's private memory, the gradient (or its touched rows) copied in;
 * - without SIMD: the JavaScript loop over a JS copy of the values.
 * Lazy steps (rows given) touch only those rows of the values, m and v.
 */

/**
 * Lazy steps on the private memory: below this fraction of the rows the
 * gradient rows are gathered on the backend, at or above it the whole
 * gradient is read. tfjs-node, [100000, 128], gather + dataSync of the rows
 * vs dataSync of the whole gradient: 10 vs 75 ms at 10% of the rows, 53 vs
 * 75 at 45%, 55 vs 75 at 60%, 135 vs 69 at 90%.
 */
const GATHER_MAX_FRACTION = 0.7;
/**
 * Below this fraction the updated rows go back by tensorScatterUpdate (on
 * backends whose scatter copies), at or above it as a copy of the whole
 * mirror. tfjs-node, [100000, 128] + bias, whole lazy step
 * (tools/experiments/fused-adam.mjs, busy machine): scatter 172 / 209 / 251 ms
 * vs whole copy 193 / 215 / 235 ms at 30k / 45k / 60k rows. Both are
 * dominated by the new 51 MB tensor.
 */
const SCATTER_MAX_FRACTION = 0.5;

/** The JS scratch slot (core's scratch pool) for a lazy step's updated rows. */
const ROWS_SCRATCH = 'FusedAdamOptimizer';

/** Applies one step to `variable` (rows: the distinct touched rows, ascending; null = every element). */
export function adamUpdate(state: AdamState, slot: AdamSlot, variable: tf.Variable, grad: tf.Tensor, rows: Int32Array | null, k: AdamConstants): void {
  if (rows != null && rows.length === 0) return;
  const heap = heapBackendOf(variable);
  if (heap != null && heap === heapBackendOf(grad)) {
    state.place(slot, heapSimdMemory(heap));
    heapUpdate(slot, variable, grad, rows, heap, k);
    return;
  }
  const own = state.privateMemory();
  state.place(slot, own);
  if (own != null && slot.mem === own) {
    if (rows == null) privateDense(slot, own, variable, grad, k);
    else privateLazy(slot, own, variable, grad, rows, k);
  } else if (rows == null) {
    jsDense(slot, variable, grad, k);
  } else {
    jsLazy(slot, variable, grad, rows, k);
  }
}

/**
 * wasm: read the variable and the gradient in place on the heap and write
 * the new values straight into a new heap tensor, then assign it: no copy
 * between JS and the heap, and no JS mirror; with SIMD, m and v live on the
 * heap too and the loop is the adam_dense / adam_rows kernel. (Updating the
 * variable's own data in place would be cheaper still, but
 * tfjs-backend-wasm caches XNNPACK operators with packed weights per tensor
 * id, so a matMul would keep using the old weights.)
 */
function heapUpdate(slot: AdamSlot, variable: tf.Variable, grad: tf.Tensor, rows: Int32Array | null, heap: HeapBackend, k: AdamConstants): void {
  const next = heapOutput(heap, slot.shape, 'float32');
  const mem = slot.mem != null && slot.mem.active ? slot.mem : null;
  let rowsPtr = -1;
  try {
    // every allocation first: it may grow the heap and detach older views
    if (mem != null && rows != null) {
      rowsPtr = mem.alloc(rows.length * 4);
      if (rowsPtr < 0) throw new Error('FusedAdamOptimizer: out of wasm memory');
    }
    const out = heapView(heap, next);
    const x = heapView(heap, variable);
    const g = heapView(heap, grad);
    const cols = rows != null ? slot.size / variable.shape[0] : 0;
    if (mem != null) {
      if (rows == null) {
        simdAdamDense(mem.kernels, x.byteOffset, g.byteOffset, slot.mOff, slot.vOff, out.byteOffset, slot.size, k);
      } else {
        out.set(x);
        mem.i32(rowsPtr, rows.length).set(rows);
        simdAdamRows(mem.kernels, out.byteOffset, g.byteOffset, slot.mOff, slot.vOff, rowsPtr, rows.length, cols, false, -1, k);
      }
    } else {
      const [m, v] = AdamState.moments(slot);
      if (rows == null) {
        adamDense(x, out, g, m, v, k);
      } else {
        out.set(x);
        adamRows(out, g, m, v, rows, cols, false, null, k);
      }
    }
    variable.assign(next);
  } finally {
    if (rowsPtr >= 0) mem?.free(rowsPtr);
    next.dispose();
  }
}

/** Private memory: reloads the copy of the values at xOff unless it holds the variable's current values. */
function syncMirror(slot: AdamSlot, mem: PrivateSimdMemory, variable: tf.Variable): void {
  if (slot.mirrorDataId === variable.dataId) return;
  mem.f32(slot.xOff, slot.size).set(variable.dataSync() as Float32Array);
  slot.mirrorDataId = variable.dataId;
}

/**
 * cpu, tensorflow with SIMD: m, v and the mirror live on the private
 * memory; the gradient is copied in, adam_dense updates the mirror in
 * place, and a copy of it becomes the new value (backends keep the arrays
 * they are given, and the mirror is written again next step).
 */
function privateDense(slot: AdamSlot, mem: PrivateSimdMemory, variable: tf.Variable, grad: tf.Tensor, k: AdamConstants): void {
  const n = slot.size;
  const gv = grad.dataSync() as Float32Array;
  const [gOff] = mem.scratch(n * 4);
  syncMirror(slot, mem, variable);
  mem.f32(gOff, n).set(gv);
  simdAdamDense(mem.kernels, slot.xOff, gOff, slot.mOff, slot.vOff, slot.xOff, n, k);
  const t = tf.tensor(mem.f32(slot.xOff, n).slice(), slot.shape, 'float32');
  variable.assign(t);
  t.dispose();
  slot.mirrorDataId = variable.dataId;
}

/**
 * cpu, tensorflow with SIMD, rows only: the gradient's rows (gathered on
 * the backend, or the whole gradient when most rows are touched) are
 * copied in, adam_rows updates the mirror's rows in place, and the
 * variable gets either the updated rows by tensorScatterUpdate or, when
 * that is slower (many rows; cpu, whose scatter writes in place), a copy
 * of the whole mirror.
 */
function privateLazy(slot: AdamSlot, mem: PrivateSimdMemory, variable: tf.Variable, grad: tf.Tensor, rows: Int32Array, k: AdamConstants): void {
  const nRows = variable.shape[0];
  const cols = slot.size / nRows;
  const n = rows.length;
  const fraction = n / nRows;
  const compact = fraction < GATHER_MAX_FRACTION;
  const scatter = scatterUpdateCopies(tf.getBackend()) && fraction < SCATTER_MAX_FRACTION;
  const gathered = compact ? tf.tidy(() => tf.gather(grad, tf.tensor1d(rows, 'int32'))) : null;
  let updates: tf.Tensor | null = null;
  try {
    const gv = (gathered ?? grad).dataSync() as Float32Array;
    const [gOff, rOff, cOff] = mem.scratch(gv.length * 4, n * 4, scatter ? n * cols * 4 : 0);
    syncMirror(slot, mem, variable);
    mem.f32(gOff, gv.length).set(gv);
    mem.i32(rOff, n).set(rows);
    simdAdamRows(mem.kernels, slot.xOff, gOff, slot.mOff, slot.vOff, rOff, n, cols, compact, scatter ? cOff : -1, k);
    let next: tf.Tensor;
    if (scatter) {
      const rowsBuf = scratch(ROWS_SCRATCH, 0, n * cols, Float32Array);
      rowsBuf.set(mem.f32(cOff, n * cols));
      updates = tf.tensor(rowsBuf, [n, ...variable.shape.slice(1)], 'float32');
      const u = updates;
      next = tf.tidy(() => tf.tensorScatterUpdate(variable, tf.tensor2d(rows, [n, 1], 'int32'), u));
    } else {
      next = tf.tensor(mem.f32(slot.xOff, slot.size).slice(), slot.shape, 'float32');
    }
    variable.assign(next);
    next.dispose();
    slot.mirrorDataId = variable.dataId;
  } finally {
    // `updates` is read only by the scatter (which copies it): once disposed, the scratch rows are free again
    tf.dispose([gathered, updates].filter((t): t is tf.Tensor => t != null));
  }
}

/** JS state: the variable's current values (re-read when the variable was assigned by someone else). */
function mirrorOf(slot: AdamSlot, variable: tf.Variable): Float32Array {
  if (slot.mirror == null || slot.mirrorDataId !== variable.dataId) {
    // may be the backend's own array (cpu) or one a tensor holds (tensorflow): read-only
    slot.mirror = variable.dataSync() as Float32Array;
    slot.mirrorDataId = variable.dataId;
    slot.mirrorPrivate = false;
  }
  return slot.mirror;
}

/** The gradient's values: a heap view (wasm) or dataSync (cpu: no copy; tensorflow: a copy). */
function gradientValues(grad: tf.Tensor): Float32Array {
  const heap = heapBackendOf(grad);
  return heap != null ? heapView(heap, grad) : (grad.dataSync() as Float32Array);
}

/** Without SIMD: the JavaScript loop over a JS mirror. */
function jsDense(slot: AdamSlot, variable: tf.Variable, grad: tf.Tensor, k: AdamConstants): void {
  const src = mirrorOf(slot, variable);
  const out = slot.mirrorPrivate ? src : new Float32Array(slot.size);
  const g = gradientValues(grad);
  const [m, v] = AdamState.moments(slot);
  adamDense(src, out, g, m, v, k);
  const copied = tensorCopiesValues(tf.getBackend());
  const t = tf.tensor(out, slot.shape, 'float32');
  variable.assign(t);
  t.dispose();
  slot.mirror = out;
  slot.mirrorDataId = variable.dataId;
  slot.mirrorPrivate = copied;
}

/**
 * Without SIMD, rows only: update the rows of a private mirror in place and
 * write them to the variable with tensorScatterUpdate (the backend copies
 * the variable), so neither the whole gradient nor the whole variable
 * crosses between JS and the backend.
 */
function jsLazy(slot: AdamSlot, variable: tf.Variable, grad: tf.Tensor, rows: Int32Array, k: AdamConstants): void {
  const cols = slot.size / variable.shape[0];
  let x = mirrorOf(slot, variable);
  if (!slot.mirrorPrivate) {
    x = x.slice();
    slot.mirror = x;
    slot.mirrorPrivate = true;
  }
  // gradient rows: in place from the wasm heap, else gathered on the backend
  const heap = heapBackendOf(grad);
  const gathered = heap == null ? tf.tidy(() => tf.gather(grad, tf.tensor1d(rows, 'int32'))) : null;
  let updates: tf.Tensor | null = null;
  try {
    const buf = scatterUpdateCopies(tf.getBackend()) ? scratch(ROWS_SCRATCH, 0, rows.length * cols, Float32Array) : null;
    const g = gathered != null ? (gathered.dataSync() as Float32Array) : heapView(heap as HeapBackend, grad);
    const [m, v] = AdamState.moments(slot);
    adamRows(x, g, m, v, rows, cols, gathered != null, buf, k);
    let next: tf.Tensor;
    if (buf != null) {
      updates = tf.tensor(buf, [rows.length, ...variable.shape.slice(1)], 'float32');
      const u = updates;
      next = tf.tidy(() => tf.tensorScatterUpdate(variable, tf.tensor2d(rows, [rows.length, 1], 'int32'), u));
    } else {
      // the mirror stays private: hand the backend a copy
      next = tf.tensor(x.slice(), slot.shape, 'float32');
    }
    variable.assign(next);
    next.dispose();
    slot.mirrorDataId = variable.dataId;
  } finally {
    // `updates` is read only by the scatter (which copies it): once disposed, the scratch rows are free again
    tf.dispose([gathered, updates].filter((t): t is tf.Tensor => t != null));
  }
}
