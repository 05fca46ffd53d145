import * as tf from '@tensorflow/tfjs-core';
import { createSimdMemory, simdKernels, SimdKernels } from '../simd/simd_module.js';
import { fail } from '../util/validate.js';
import { isRowSparseSource, RowSparseSource } from './sparse_rows.js';

/**
 * FusedAdamOptimizer: tf.train.adam's update computed in one pass per
 * variable (WebAssembly SIMD loops of this package's engine, or JavaScript
 * loops without SIMD; the moments m and v live outside tfjs), plus an
 * optional row-sparse "lazy" update (TF-Addons LazyAdam) for variables whose
 * touched rows a RowSparseSource (e.g. an LSHSoftmax layer) reports for the step.
 *
 * Why: for a [100000, 128] output kernel, tf.train.adam runs a dozen
 * elementwise ops over 12.8M floats per step; here the gradient is read once
 * and m, v and the values are updated in a single loop.
 */

/** {name, tensor} as used by tf.Optimizer.applyGradients / getWeights. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export interface FusedAdamOptions {
  /**
   * Row-sparse updates (TF-Addons LazyAdam semantics) for variables whose
   * touched rows a row source reports for the step: only those rows of the
   * variable, m and v change; the gradient outside them is ignored. Variables
   * no source reports get the dense update. Default false.
   */
  lazy?: boolean;
  /** The layers (or other RowSparseSources) that report which rows each step touched (lazy mode). */
  rowSources?: RowSparseSource[];
}


/**
 * WebAssembly memory holding optimizer state for the SIMD kernels: the wasm
 * backend's heap (state allocated with its malloc), or a memory private to
 * one optimizer (cpu, tensorflow). Offsets are bytes; an allocation may grow
 * the memory and detach older views, so views are taken after allocating.
 */
interface Store {
  readonly kind: 'heap' | 'arena';
  readonly memory: WebAssembly.Memory;
  /** The kernels bound to `memory`, or null while SIMD is switched off. */
  kernels(): SimdKernels | null;
  /** `bytes` bytes (16-byte multiples on the arena), or -1 when the allocation failed. */
  alloc(bytes: number): number;
  free(offset: number): void;
}

/** One optimizer's private memory: a bump allocator (state is only ever freed all at once), transient scratch above it. */
class ArenaStore implements Store {
  readonly kind = 'arena';
  private top = 0;
  constructor(
    readonly memory: WebAssembly.Memory,
    private readonly bound: SimdKernels,
  ) {}
  kernels(): SimdKernels | null {
    return simdKernels(this.memory) != null ? this.bound : null;
  }
  private reserve(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (have < end) this.memory.grow(Math.ceil((end - have) / 65536));
  }
  alloc(bytes: number): number {
    const off = this.top;
    this.reserve(off + align16(bytes));
    this.top = off + align16(bytes);
    return off;
  }
  free(): void {}
  /** Offsets of regions of the given byte sizes above the state, valid until the next alloc. */
  scratch(...bytes: number[]): number[] {
    let end = this.top;
    const offs = bytes.map((b) => {
      const off = end;
      end += align16(b);
      return off;
    });
    this.reserve(end);
    return offs;
  }
}

function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

interface WasmModuleLike {
  asm?: { memory?: unknown };
  _malloc?(bytes: number): number;
  _free?(ptr: number): void;
}

const heapStores = new WeakMap<object, Store | null>();

/** The wasm backend's heap as a Store (null when its memory or allocator is not reachable, or without SIMD). */
function heapStoreOf(backend: HeapBackend): Store | null {
  let store = heapStores.get(backend);
  if (store === undefined) {
    const wasm = (backend as unknown as { wasm?: WasmModuleLike }).wasm;
    const memory = wasm?.asm?.memory;
    store = null;
    if (wasm != null && memory instanceof WebAssembly.Memory && typeof wasm._malloc === 'function' && typeof wasm._free === 'function') {
      const { _malloc: malloc, _free: free } = wasm as Required<WasmModuleLike>;
      store = {
        kind: 'heap',
        memory,
        kernels: () => simdKernels(memory),
        alloc: (bytes) => {
          const p = malloc.call(wasm, Math.max(bytes, 4)) >>> 0;
          return p === 0 ? -1 : p;
        },
        free: (p) => free.call(wasm, p),
      };
    }
    heapStores.set(backend, store);
  }
  return store != null && store.kernels() != null ? store : null;
}

/** Per-variable optimizer state: m and v in JS, or on a Store for the SIMD kernels. */
interface Slot {
  /** Name of the variable this state belongs to. */
  name: string;
  shape: number[];
  size: number;
  /** m and v as JS arrays (store null), else at byte offsets mOff, vOff on store. */
  m: Float32Array | null;
  v: Float32Array | null;
  store: Store | null;
  mOff: number;
  vOff: number;
  /**
   * Arena store only: the variable's values at xOff, valid while
   * variable.dataId === mirrorDataId (no tensor ever refers to it: private).
   */
  xOff: number;
  /** JS state: the variable's values, valid while variable.dataId === mirrorDataId. */
  mirror: Float32Array | null;
  mirrorDataId: object | null;
  /**
   * No tensor can alias `mirror`, so it may be updated in place. False when it
   * came from dataSync or was handed to a backend that keeps a reference
   * (cpu, and tensorflow, which even shares it with TF tensors derived
   * from it such as reshapes): such a buffer is never written again.
   */
  mirrorPrivate: boolean;
  /** Scratch for a lazy step's updated rows (only ever read by our own tensorScatterUpdate). */
  rowsBuf: Float32Array | null;
  /** Restored by setWeights and not yet matched to a variable. */
  restored: boolean;
}

interface Plan {
  name: string;
  index: number;
  variable: tf.Variable;
  grad: tf.Tensor | null;
  rows: Int32Array | null;
}

interface StepConstants {
  b1: number;
  omb1: number;
  b2: number;
  omb2: number;
  /** 1 − β1ᵗ, 1 − β2ᵗ (float32) and their reciprocals */
  c1: number;
  c2: number;
  ic1: number;
  ic2: number;
  eps: number;
  nlr: number;
}

const f32 = Math.fround;

/**
 * One Adam update of every element of src/out/m/v with gradient g.
 * tf.train.adam's formula, in float64 between the float32 loads and stores:
 *   m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²
 *   x ← x − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
 * src and out may be the same array.
 */
function adamDense(src: Float32Array, out: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, k: StepConstants): void {
  const { b1, omb1, b2, omb2, ic1, ic2, eps, nlr } = k;
  for (let i = 0, n = m.length; i < n; i++) {
    const gi = g[i];
    const mi = b1 * m[i] + omb1 * gi;
    const vi = b2 * v[i] + omb2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    out[i] = src[i] + (nlr * (mi * ic1)) / (Math.sqrt(vi * ic2) + eps);
  }
}

/**
 * adamDense over whole rows: rows[j] of x/m/v (row length cols) with gradient
 * row j of g when `compact` (gathered rows), else row rows[j]. Updates x in
 * place and, when `copyTo` is given, also writes the new row j there.
 */
function adamRows(
  x: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  rows: Int32Array,
  cols: number,
  compact: boolean,
  copyTo: Float32Array | null,
  k: StepConstants,
): void {
  const { b1, omb1, b2, omb2, ic1, ic2, eps, nlr } = k;
  for (let j = 0; j < rows.length; j++) {
    const off = rows[j] * cols;
    const d = (compact ? j * cols : off) - off;
    const c = j * cols - off;
    for (let i = off, end = off + cols; i < end; i++) {
      const gi = g[i + d];
      const mi = b1 * m[i] + omb1 * gi;
      const vi = b2 * v[i] + omb2 * (gi * gi);
      m[i] = mi;
      v[i] = vi;
      const xi = x[i] + (nlr * (mi * ic1)) / (Math.sqrt(vi * ic2) + eps);
      x[i] = xi;
      if (copyTo !== null) copyTo[i + c] = xi;
    }
  }
}

/**
 * Backends whose TensorScatterUpdate writes a new buffer. tfjs-backend-cpu's
 * (4.22) writes the updates into its input tensor's own array and returns
 * that array, which would change every tensor sharing the variable's data.
 */
const SCATTER_COPIES = new Set(['tensorflow', 'wasm']);

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
 * backends in SCATTER_COPIES), at or above it as a copy of the whole mirror.
 * tfjs-node, [100000, 128] + bias, whole lazy step (tools/experiments/fused-adam.mjs,
 * busy machine): scatter 172 / 209 / 251 ms vs whole copy 193 / 215 / 235 ms
 * at 30k / 45k / 60k rows. Both are dominated by the new 51 MB tensor.
 */
const SCATTER_MAX_FRACTION = 0.5;

type TensorInfoMap = WeakMap<object, { backend?: unknown }>;

/** The parts of tfjs-backend-wasm used to work on its heap directly. */
interface HeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** The backend holding t's data when it exposes its heap (tfjs-backend-wasm), else null. */
function heapBackendOf(t: tf.Tensor): HeapBackend | null {
  const backend = (tf.engine().state.tensorInfo as TensorInfoMap).get(t.dataId)?.backend as Partial<HeapBackend> | undefined;
  if (backend != null && typeof backend.typedArrayFromHeap === 'function' && typeof backend.makeOutput === 'function') {
    return backend as HeapBackend;
  }
  return null;
}

/** A Float32Array view of t's data in the wasm heap: valid until the next heap allocation. */
function heapView(backend: HeapBackend, t: tf.Tensor): Float32Array {
  return backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }) as Float32Array;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkNumber(arg: string, v: unknown, lo: number, hi: number, hiOpen: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (hiOpen ? v >= hi : v > hi)) {
    fail(arg, `a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}`, v);
  }
  return v;
}

/**
 * Validates rows against [0, nRows) and returns them without duplicates, in
 * ascending order (so that the gather, the update loop and the scatter walk
 * memory forwards). Changes nothing on error.
 */
function uniqueRows(name: string, rows: Int32Array, nRows: number): Int32Array {
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j];
    if (r < 0 || r >= nRows) {
      fail(`FusedAdamOptimizer sparse rows of '${name}' (entry ${j})`, `a row id in [0, ${nRows})`, r);
    }
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
 * Adam with the update of each variable fused into one loop (WebAssembly
 * SIMD, or JavaScript), and an optional row-sparse (lazy) mode. Drop-in for tf.train.adam in
 * model.compile / model.fit / optimizer.minimize.
 *
 * Numerics: the dense update is tf.train.adam's formula with the same float32
 * handling of β1ᵗ, β2ᵗ (accumulated by float32 multiplication), so results
 * agree with tf.train.adam to float32 rounding.
 *
 * State: m and v of each variable on the wasm heap (wasm backend), in a
 * private WebAssembly memory per optimizer (cpu, tensorflow), or as JS
 * Float32Arrays without SIMD. Per step and variable the gradient is read once
 * and one loop updates m, v and the values, which are then assigned as a new
 * tensor:
 * - wasm: the loop reads the variable and the gradient in place in the wasm
 *   heap and writes into a new heap tensor (no JS copies at all);
 * - other backends: the loop reads a JS mirror of the variable's values and
 *   the gradient's dataSync (lazy: only the registered rows, gathered on the
 *   backend). The mirror is re-read whenever the variable no longer holds the
 *   tensor this optimizer assigned (setWeights, loadWeights, assign, ...).
 *
 * getWeights() returns tensors owned by the optimizer: they stay valid until
 * the next getWeights / setWeights / applyGradients / dispose (clone to keep).
 */
export class FusedAdamOptimizer extends tf.Optimizer {
  static className = 'FusedAdamOptimizer';

  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly lazy: boolean;

  /** β1ᵗ and β2ᵗ for the next step, as float32 values (as tf.train.adam's accBeta variables). */
  private accBeta1: number;
  private accBeta2: number;
  private slots: Slot[] = [];
  private slotByName = new Map<string, Slot>();
  private exported: tf.Tensor[] = [];
  /** Private SIMD memory for state on backends without a wasm heap (cpu, tensorflow); created on first use. */
  private arena: ArenaStore | null = null;
  private readonly rowSources: RowSparseSource[] = [];

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null, opts: FusedAdamOptions = {}) {
    super();
    this.learningRate = checkNumber('FusedAdamOptimizer learningRate', learningRate, 0, Number.MAX_VALUE, false);
    this.beta1 = checkNumber('FusedAdamOptimizer beta1', beta1, 0, 1, true);
    this.beta2 = checkNumber('FusedAdamOptimizer beta2', beta2, 0, 1, true);
    this.epsilon = epsilon == null ? tf.backend().epsilon() : checkNumber('FusedAdamOptimizer epsilon', epsilon, 0, Number.MAX_VALUE, false);
    if (opts == null || typeof opts !== 'object') fail('FusedAdamOptimizer opts', 'an object', opts);
    if (opts.lazy != null && typeof opts.lazy !== 'boolean') fail('FusedAdamOptimizer opts.lazy', 'a boolean', opts.lazy);
    this.lazy = opts.lazy ?? false;
    if (opts.rowSources != null && !Array.isArray(opts.rowSources)) fail('FusedAdamOptimizer opts.rowSources', 'an array of row sources (e.g. LSHSoftmax layers)', opts.rowSources);
    for (const src of opts.rowSources ?? []) this.addRowSource(src);
    this.accBeta1 = f32(this.beta1);
    this.accBeta2 = f32(this.beta2);
  }

  /**
   * Adds a source of touched rows (a layer implementing RowSparseSource,
   * e.g. LSHSoftmax), consulted in lazy mode for every variable of a step.
   */
  addRowSource(source: RowSparseSource): void {
    if (!isRowSparseSource(source)) fail('rowSource', 'an object with touchedRows(variable) and clearTouchedRows(variable) (e.g. an LSHSoftmax layer)', source);
    if (!this.rowSources.includes(source)) this.rowSources.push(source);
  }

  /** The rows of `variable` the step touched, from the first source that knows it. */
  private touchedRows(variable: tf.Variable): { rows: Int32Array; source: RowSparseSource } | undefined {
    for (const source of this.rowSources) {
      const rows = source.touchedRows(variable);
      if (rows != null) {
        const tag = Object.prototype.toString.call(rows);
        if (tag !== '[object Int32Array]') fail(`FusedAdamOptimizer touched rows of '${variable.name}'`, 'an Int32Array or null', tag);
        return { rows, source };
      }
    }
    return undefined;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const items: Array<{ name: string; grad: tf.Tensor | null }> = Array.isArray(variableGradients)
      ? variableGradients.map((x) => ({ name: x.name, grad: x.tensor ?? null }))
      : Object.keys(variableGradients).map((name) => ({ name, grad: variableGradients[name] ?? null }));

    // 1. Validate everything before changing anything.
    const plans: Plan[] = items.map(({ name, grad }, index) => {
      const variable = tf.engine().registeredVariables[name];
      if (variable == null) fail('FusedAdamOptimizer.applyGradients', 'names of registered variables', `'${name}'`);
      if (variable.dtype !== 'float32') fail(`FusedAdamOptimizer variable '${name}'`, 'a float32 variable', variable.dtype);
      const slot = this.slotByName.get(name);
      if (slot != null && !sameShape(slot.shape, variable.shape)) {
        fail(`FusedAdamOptimizer variable '${name}'`, `shape [${slot.shape.join(', ')}] (its optimizer state)`, `[${variable.shape.join(', ')}]`);
      }
      if (grad == null) return { name, index, variable, grad: null, rows: null };
      if (grad.dtype !== 'float32' || !sameShape(grad.shape, variable.shape)) {
        fail(`FusedAdamOptimizer gradient of '${name}'`, `a float32 tensor of shape [${variable.shape.join(', ')}]`, grad);
      }
      let rows: Int32Array | null = null;
      const registered = this.lazy ? this.touchedRows(variable)?.rows : undefined;
      if (registered !== undefined) {
        if (variable.rank === 0) fail(`FusedAdamOptimizer sparse rows of '${name}'`, 'a variable of rank >= 1', 'a scalar');
        rows = uniqueRows(name, registered, variable.shape[0]);
      }
      return { name, index, variable, grad, rows };
    });

    // 2. Apply.
    this.disposeExported();
    const k: StepConstants = {
      b1: f32(this.beta1),
      omb1: f32(1 - this.beta1),
      b2: f32(this.beta2),
      omb2: f32(1 - this.beta2),
      // 1 − β1ᵗ, 1 − β2ᵗ rounded to float32 as tf.train.adam computes them
      c1: f32(1 - this.accBeta1),
      c2: f32(1 - this.accBeta2),
      ic1: 1 / f32(1 - this.accBeta1),
      ic2: 1 / f32(1 - this.accBeta2),
      eps: f32(this.epsilon),
      nlr: f32(-this.learningRate),
    };
    for (const p of plans) {
      const slot = this.slotFor(p.name, p.index, p.variable);
      if (p.grad == null) continue;
      if (this.lazy) for (const source of this.rowSources) source.clearTouchedRows(p.variable);
      this.update(slot, p.variable, p.grad, p.rows, k);
    }
    this.accBeta1 = f32(this.accBeta1 * k.b1);
    this.accBeta2 = f32(this.accBeta2 * k.b2);
    this.incrementIterations();
  }

  private slotFor(name: string, index: number, variable: tf.Variable): Slot {
    const byName = this.slotByName.get(name);
    if (byName != null) {
      byName.restored = false;
      return byName;
    }
    // Restored state whose variable names differ (a model loaded in the same
    // process gets new unique names): match by position, as tf.train.adam does.
    const byIndex = this.slots[index];
    if (byIndex != null && byIndex.restored && byIndex.size === variable.size) {
      this.slotByName.delete(byIndex.name);
      byIndex.name = name;
      byIndex.shape = variable.shape.slice();
      byIndex.restored = false;
      this.slotByName.set(name, byIndex);
      return byIndex;
    }
    const slot = FusedAdamOptimizer.makeSlot(name, variable.shape.slice(), new Float32Array(variable.size), new Float32Array(variable.size));
    this.slots.push(slot);
    this.slotByName.set(name, slot);
    return slot;
  }

  private static makeSlot(name: string, shape: number[], m: Float32Array, v: Float32Array): Slot {
    return {
      name,
      shape,
      size: m.length,
      m,
      v,
      store: null,
      mOff: -1,
      vOff: -1,
      xOff: -1,
      mirror: null,
      mirrorDataId: null,
      mirrorPrivate: false,
      rowsBuf: null,
      restored: false,
    };
  }

  /** m and v of the slot: its JS arrays, or views on its store (valid until the store's next allocation). */
  private static moments(slot: Slot): [Float32Array, Float32Array] {
    if (slot.store == null) return [slot.m as Float32Array, slot.v as Float32Array];
    const buf = slot.store.memory.buffer;
    return [new Float32Array(buf, slot.mOff, slot.size), new Float32Array(buf, slot.vOff, slot.size)];
  }

  /**
   * Moves the slot's m and v to `store` (null: JS arrays), e.g. on the first
   * step, after setWeights, or when SIMD was switched on or off. Falls back
   * to JS arrays when the store cannot allocate.
   */
  private place(slot: Slot, store: Store | null): void {
    if (slot.store === store) return;
    const bytes = slot.size * 4;
    let offs: number[] | null = null;
    if (store != null) {
      offs = [store.alloc(bytes), store.alloc(bytes)];
      if (store.kind === 'arena') offs.push(store.alloc(bytes));
      if (offs.some((o) => o < 0)) {
        for (const o of offs) if (o >= 0) store.free(o);
        offs = null;
        if (slot.store == null) return;
        store = null;
      }
    }
    const [m, v] = FusedAdamOptimizer.moments(slot); // views taken after the allocations
    const old = slot.store;
    const [oldM, oldV] = [slot.mOff, slot.vOff];
    if (store == null || offs == null) {
      slot.m = m.slice();
      slot.v = v.slice();
      slot.mOff = slot.vOff = slot.xOff = -1;
    } else {
      new Float32Array(store.memory.buffer, offs[0], slot.size).set(m);
      new Float32Array(store.memory.buffer, offs[1], slot.size).set(v);
      slot.m = slot.v = null;
      [slot.mOff, slot.vOff] = offs;
      slot.xOff = offs[2] ?? -1;
    }
    slot.store = store;
    if (old != null) {
      old.free(oldM);
      old.free(oldV);
    }
    slot.mirror = slot.rowsBuf = null;
    slot.mirrorDataId = null;
    slot.mirrorPrivate = false;
  }

  /** This optimizer's private SIMD memory (created on first use), or null without SIMD / when switched off. */
  private arenaStore(): ArenaStore | null {
    if (this.arena == null) {
      const created = createSimdMemory(65536);
      if (created == null) return null;
      this.arena = new ArenaStore(created.memory, created.kernels);
    }
    return this.arena.kernels() != null ? this.arena : null;
  }

  private update(slot: Slot, variable: tf.Variable, grad: tf.Tensor, rows: Int32Array | null, k: StepConstants): void {
    if (rows != null && rows.length === 0) return;
    const heap = heapBackendOf(variable);
    if (heap != null && heap === heapBackendOf(grad)) {
      this.place(slot, heapStoreOf(heap));
      this.heapUpdate(slot, variable, grad, rows, heap, k);
      return;
    }
    const arena = this.arenaStore();
    this.place(slot, arena);
    if (slot.store === arena && arena != null) {
      if (rows == null) this.arenaDense(slot, arena, variable, grad, k);
      else this.arenaLazy(slot, arena, variable, grad, rows, k);
      return;
    }
    if (rows == null) this.denseUpdate(slot, variable, grad, k);
    else this.lazyUpdate(slot, variable, grad, rows, k);
  }

  /**
   * wasm: read the variable and the gradient in place in the heap and write
   * the new values straight into a new heap tensor, then assign it: no copy
   * between JS and the heap, and no JS mirror; with SIMD, m and v live on the
   * heap too and the loop is the adam_dense / adam_rows kernel. (Updating the
   * variable's own data in place would be cheaper still, but
   * tfjs-backend-wasm caches XNNPACK operators with packed weights per tensor
   * id, so a matMul would keep using the old weights.)
   */
  private heapUpdate(slot: Slot, variable: tf.Variable, grad: tf.Tensor, rows: Int32Array | null, heap: HeapBackend, k: StepConstants): void {
    const next = tf.engine().makeTensorFromTensorInfo(heap.makeOutput(slot.shape, 'float32'), heap as unknown as tf.KernelBackend);
    const store = slot.store;
    let rowsPtr = -1;
    try {
      // every allocation first: it may grow the heap and detach older views
      if (store != null && rows != null) {
        rowsPtr = store.alloc(rows.length * 4);
        if (rowsPtr < 0) throw new Error('FusedAdamOptimizer: out of wasm memory');
      }
      const out = heapView(heap, next);
      const x = heapView(heap, variable);
      const g = heapView(heap, grad);
      const simd = store?.kernels() ?? null;
      if (store != null && simd != null) {
        const c = [k.b1, k.omb1, k.b2, k.omb2, k.c1, k.c2, k.eps, k.nlr] as const;
        if (rows == null) {
          simd.adam_dense(x.byteOffset, g.byteOffset, slot.mOff, slot.vOff, out.byteOffset, slot.size, ...c);
        } else {
          out.set(x);
          new Int32Array(store.memory.buffer, rowsPtr, rows.length).set(rows);
          simd.adam_rows(out.byteOffset, g.byteOffset, slot.mOff, slot.vOff, rowsPtr, rows.length, slot.size / variable.shape[0], 0, -1, ...c);
        }
      } else {
        const [m, v] = FusedAdamOptimizer.moments(slot);
        if (rows == null) {
          adamDense(x, out, g, m, v, k);
        } else {
          out.set(x);
          adamRows(out, g, m, v, rows, slot.size / variable.shape[0], false, null, k);
        }
      }
      variable.assign(next);
    } finally {
      if (rowsPtr >= 0) store?.free(rowsPtr);
      next.dispose();
    }
  }

  /** Arena: reloads the mirror at xOff unless it holds the variable's current values. */
  private static syncMirror(slot: Slot, arena: ArenaStore, variable: tf.Variable): void {
    if (slot.mirrorDataId === variable.dataId) return;
    new Float32Array(arena.memory.buffer, slot.xOff, slot.size).set(variable.dataSync() as Float32Array);
    slot.mirrorDataId = variable.dataId;
  }

  /**
   * cpu, tensorflow with SIMD: m, v and the mirror live on the private
   * memory; the gradient is copied in, adam_dense updates the mirror in
   * place, and a copy of it becomes the new value (backends keep the arrays
   * they are given, and the mirror is written again next step).
   */
  private arenaDense(slot: Slot, arena: ArenaStore, variable: tf.Variable, grad: tf.Tensor, k: StepConstants): void {
    const n = slot.size;
    const gv = grad.dataSync() as Float32Array;
    const [gOff] = arena.scratch(n * 4);
    FusedAdamOptimizer.syncMirror(slot, arena, variable);
    const buf = arena.memory.buffer;
    new Float32Array(buf, gOff, n).set(gv);
    (arena.kernels() as SimdKernels).adam_dense(slot.xOff, gOff, slot.mOff, slot.vOff, slot.xOff, n, k.b1, k.omb1, k.b2, k.omb2, k.c1, k.c2, k.eps, k.nlr);
    const t = tf.tensor(new Float32Array(buf, slot.xOff, n).slice(), slot.shape, 'float32');
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
  private arenaLazy(slot: Slot, arena: ArenaStore, variable: tf.Variable, grad: tf.Tensor, rows: Int32Array, k: StepConstants): void {
    const nRows = variable.shape[0];
    const cols = slot.size / nRows;
    const n = rows.length;
    const fraction = n / nRows;
    const compact = fraction < GATHER_MAX_FRACTION;
    const scatter = SCATTER_COPIES.has(tf.getBackend()) && fraction < SCATTER_MAX_FRACTION;
    const gathered = compact ? tf.tidy(() => tf.gather(grad, tf.tensor1d(rows, 'int32'))) : null;
    let updates: tf.Tensor | null = null;
    try {
      const gv = (gathered ?? grad).dataSync() as Float32Array;
      const [gOff, rOff, cOff] = arena.scratch(gv.length * 4, n * 4, scatter ? n * cols * 4 : 0);
      FusedAdamOptimizer.syncMirror(slot, arena, variable);
      const buf = arena.memory.buffer;
      new Float32Array(buf, gOff, gv.length).set(gv);
      new Int32Array(buf, rOff, n).set(rows);
      (arena.kernels() as SimdKernels).adam_rows(
        slot.xOff, gOff, slot.mOff, slot.vOff, rOff, n, cols, compact ? 1 : 0, scatter ? cOff : -1,
        k.b1, k.omb1, k.b2, k.omb2, k.c1, k.c2, k.eps, k.nlr,
      );
      let next: tf.Tensor;
      if (scatter) {
        const rowsBuf = this.rowsBuffer(slot, n * cols);
        rowsBuf.set(new Float32Array(buf, cOff, n * cols));
        updates = tf.tensor(rowsBuf, [n, ...variable.shape.slice(1)], 'float32');
        const u = updates;
        next = tf.tidy(() => tf.tensorScatterUpdate(variable, tf.tensor2d(rows, [n, 1], 'int32'), u));
      } else {
        next = tf.tensor(new Float32Array(buf, slot.xOff, slot.size).slice(), slot.shape, 'float32');
      }
      variable.assign(next);
      next.dispose();
      slot.mirrorDataId = variable.dataId;
    } finally {
      // `updates` is read only by the scatter (which copies it): once disposed, rowsBuf is free again
      tf.dispose([gathered, updates].filter((t): t is tf.Tensor => t != null));
    }
  }

  /** The variable's current values (re-read when the variable was assigned by someone else). */
  private mirrorOf(slot: Slot, variable: tf.Variable): Float32Array {
    if (slot.mirror == null || slot.mirrorDataId !== variable.dataId) {
      // may be the backend's own array (cpu) or one a tensor holds (tensorflow): read-only
      slot.mirror = variable.dataSync() as Float32Array;
      slot.mirrorDataId = variable.dataId;
      slot.mirrorPrivate = false;
    }
    return slot.mirror;
  }

  /** The gradient's values: a heap view (wasm) or dataSync (cpu: no copy; tensorflow: a copy). */
  private static gradientValues(grad: tf.Tensor): Float32Array {
    const heap = heapBackendOf(grad);
    return heap != null ? heapView(heap, grad) : (grad.dataSync() as Float32Array);
  }

  /** Without SIMD: the JavaScript loop over a JS mirror. */
  private denseUpdate(slot: Slot, variable: tf.Variable, grad: tf.Tensor, k: StepConstants): void {
    const src = this.mirrorOf(slot, variable);
    const out = slot.mirrorPrivate ? src : new Float32Array(slot.size);
    const g = FusedAdamOptimizer.gradientValues(grad);
    const [m, v] = FusedAdamOptimizer.moments(slot);
    adamDense(src, out, g, m, v, k);
    // wasm copies the values into its heap; cpu and tensorflow keep `out`
    const copied = tf.getBackend() === 'wasm';
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
  private lazyUpdate(slot: Slot, variable: tf.Variable, grad: tf.Tensor, rows: Int32Array, k: StepConstants): void {
    const cols = slot.size / variable.shape[0];
    let x = this.mirrorOf(slot, variable);
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
      const scatter = SCATTER_COPIES.has(tf.getBackend());
      const buf = scatter ? this.rowsBuffer(slot, rows.length * cols) : null;
      const g = gathered != null ? (gathered.dataSync() as Float32Array) : heapView(heap as HeapBackend, grad);
      const [m, v] = FusedAdamOptimizer.moments(slot);
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
      // `updates` is read only by the scatter (which copies it): once disposed, rowsBuf is free again
      tf.dispose([gathered, updates].filter((t): t is tf.Tensor => t != null));
    }
  }

  /** Scratch of `len` floats for a lazy step's updated rows (a view of a longer buffer when possible). */
  private rowsBuffer(slot: Slot, len: number): Float32Array {
    if (slot.rowsBuf == null || slot.rowsBuf.length < len) {
      // headroom, so that a slightly larger row set next step reuses it
      slot.rowsBuf = new Float32Array(Math.min(slot.size, Math.ceil(len * 1.25)));
    }
    return slot.rowsBuf.length === len ? slot.rowsBuf : slot.rowsBuf.subarray(0, len);
  }

  private disposeExported(): void {
    tf.dispose(this.exported);
    this.exported = [];
  }

  /** Frees the state of every slot (heap allocations; the private memory is dropped). */
  private releaseSlots(): void {
    for (const s of this.slots) {
      if (s.store != null && s.store.kind === 'heap') {
        s.store.free(s.mOff);
        s.store.free(s.vOff);
      }
      s.store = null;
    }
    this.slots = [];
    this.slotByName.clear();
    this.arena = null;
  }

  override dispose(): void {
    this.disposeExported();
    this.releaseSlots();
    super.dispose();
  }

  /** [iter, m of each variable, v of each variable], named like tf.train.adam's. */
  override async getWeights(): Promise<NamedTensor[]> {
    this.disposeExported();
    // cpu and tensorflow keep a reference to the array, and state on a wasm memory moves: give them a copy
    const copy = (s: Slot, a: Float32Array) => (tf.getBackend() === 'wasm' && s.store == null ? a : a.slice());
    const out: NamedTensor[] = [await this.saveIterations()];
    for (const s of this.slots) out.push({ name: `${s.name}/m`, tensor: tf.tensor(copy(s, FusedAdamOptimizer.moments(s)[0]), s.shape, 'float32') });
    for (const s of this.slots) out.push({ name: `${s.name}/v`, tensor: tf.tensor(copy(s, FusedAdamOptimizer.moments(s)[1]), s.shape, 'float32') });
    this.exported = out.map((w) => w.tensor);
    return out;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    if (!Array.isArray(weightValues) || weightValues.length < 1 || weightValues.length % 2 !== 1) {
      fail('FusedAdamOptimizer.setWeights', '[iter, m of each variable, v of each variable]', Array.isArray(weightValues) ? `${weightValues.length} weights` : weightValues);
    }
    const iterations = (await weightValues[0].tensor.data())[0];
    if (!Number.isInteger(iterations) || iterations < 0) fail('FusedAdamOptimizer.setWeights iter', 'a non-negative integer', iterations);
    const n = (weightValues.length - 1) / 2;
    const slots: Slot[] = [];
    for (let i = 0; i < n; i++) {
      const mw = weightValues[1 + i];
      const vw = weightValues[1 + n + i];
      const base = mw.name.endsWith('/m') ? mw.name.slice(0, -2) : null;
      if (base == null || vw.name !== `${base}/v`) {
        fail(`FusedAdamOptimizer.setWeights weights ${1 + i} and ${1 + n + i}`, "names '<variable>/m' and '<variable>/v'", `'${mw.name}' and '${vw.name}'`);
      }
      if (mw.tensor.dtype !== 'float32' || vw.tensor.dtype !== 'float32' || !sameShape(mw.tensor.shape, vw.tensor.shape)) {
        fail(`FusedAdamOptimizer.setWeights '${vw.name}'`, `a float32 tensor of shape [${mw.tensor.shape.join(', ')}]`, vw.tensor);
      }
      const m = (await mw.tensor.data()).slice() as Float32Array;
      const v = (await vw.tensor.data()).slice() as Float32Array;
      const slot = FusedAdamOptimizer.makeSlot(base, mw.tensor.shape.slice(), m, v);
      slot.restored = true;
      slots.push(slot);
    }
    this.disposeExported();
    this.releaseSlots();
    this.slots = slots;
    this.slotByName = new Map(slots.map((s) => [s.name, s]));
    this.iterations_ = iterations;
    // β1ᵗ, β2ᵗ exactly as the uninterrupted run accumulated them (float32 products).
    const b1 = f32(this.beta1);
    const b2 = f32(this.beta2);
    let a1 = b1;
    let a2 = b2;
    for (let t = 0; t < iterations && (a1 !== 0 || a2 !== 0); t++) {
      a1 = f32(a1 * b1);
      a2 = f32(a2 * b2);
    }
    this.accBeta1 = a1;
    this.accBeta2 = a2;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      lazy: this.lazy,
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config['learningRate'], config['beta1'], config['beta2'], config['epsilon'], { lazy: config['lazy'] ?? false });
  }
}

tf.serialization.registerClass(FusedAdamOptimizer);

/** Factory in the style of tf.train.adam. */
export function fusedAdam(learningRate: number, beta1?: number, beta2?: number, epsilon?: number | null, opts?: FusedAdamOptions): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon ?? null, opts);
}
