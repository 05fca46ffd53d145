import { wasmHeapOf } from '../backend/internals.js';
import { setSimdEnabled, simdEnabled, simdKernels, SimdKernels } from './simd_module.js';

/**
 * Where the SIMD kernels run: one WebAssembly memory, the kernels bound to
 * it, and an allocator on it. Every SIMD caller in hashlayers goes through
 * one of three kinds:
 * - the wasm backend's heap (heapSimdMemory): tensors are already there, so
 *   kernels read and write them in place; state lives in malloc'd blocks;
 * - a private memory per owner (createSimdMemory), for state that persists
 *   between calls on backends whose tensors are not on a WebAssembly heap
 *   (cpu, tensorflow), e.g. an optimizer's moments: allocations plus
 *   transient scratch above them;
 * - the process's shared scratch memory (simdArena), laid out anew by each
 *   call of a kernel that copies its inputs in (candidateTopK).
 * (JavaScript scratch arrays are kernels/scratch.ts; a kernel's scratch on
 * the wasm heap is KernelSpec.scratch.)
 *
 * Offsets are byte offsets on `memory`. An allocation may grow the memory,
 * which detaches every older view: take views after allocating.
 */
export abstract class SimdMemory {
  abstract readonly kind: 'heap' | 'private';

  constructor(
    readonly memory: WebAssembly.Memory,
    /** The SIMD kernels bound to `memory`; check `active` before calling them. */
    readonly kernels: SimdKernels,
  ) {}

  /** False while the SIMD kernels are switched off (setWasmSimdKernels(false)): callers run their JavaScript loops. */
  get active(): boolean {
    return simdEnabled();
  }

  /** `bytes` bytes that stay until free (at least 8-byte aligned), or -1 when the memory cannot provide them. */
  abstract alloc(bytes: number): number;

  /** Releases a block from alloc. */
  abstract free(offset: number): void;

  /** A Float32Array view of `length` floats at `offset` (valid until the next allocation). */
  f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, length);
  }

  /** An Int32Array view of `length` ints at `offset` (valid until the next allocation). */
  i32(offset: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, offset, length);
  }
}

const PAGE = 65536;

export function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/**
 * A WebAssembly memory owned by one caller: a bump allocator (blocks are
 * 16-byte aligned; when every block has been freed the next allocation
 * starts from 0 again) and transient scratch regions above the blocks.
 * Dropping every reference frees it.
 */
export class PrivateSimdMemory extends SimdMemory {
  readonly kind = 'private';
  private top = 0;
  private live = 0;

  /** Grows the memory to at least `end` bytes (contents kept); false when it cannot grow. */
  private reserve(end: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (have >= end) return true;
    try {
      this.memory.grow(Math.ceil((end - have) / PAGE));
      return true;
    } catch {
      return false; // RangeError: beyond the engine's maximum
    }
  }

  alloc(bytes: number): number {
    const off = this.top;
    const end = off + align16(Math.max(bytes, 1));
    if (!this.reserve(end)) return -1;
    this.top = end;
    this.live++;
    return off;
  }

  /** Blocks are not reused one by one: the space comes back when the last live block is freed. */
  free(_offset: number): void {
    if (this.live > 0 && --this.live === 0) this.top = 0;
  }

  /**
   * Offsets of regions of the given byte sizes (each 16-byte aligned) above
   * the allocated blocks, valid until the next alloc or scratch call.
   * Contents undefined. Throws when the memory cannot grow that far.
   */
  scratch(...bytes: number[]): number[] {
    let end = this.top;
    const offsets = bytes.map((b) => {
      const off = end;
      end += align16(b);
      return off;
    });
    if (!this.reserve(end)) throw new Error(`SIMD memory: cannot grow to ${end} bytes`);
    return offsets;
  }
}

/** The wasm backend's heap: blocks come from its malloc (so they never overlap a tensor). */
class HeapSimdMemory extends SimdMemory {
  readonly kind = 'heap';

  constructor(
    memory: WebAssembly.Memory,
    kernels: SimdKernels,
    private readonly heap: { malloc(bytes: number): number; free(ptr: number): void },
  ) {
    super(memory, kernels);
  }

  alloc(bytes: number): number {
    // emscripten's malloc returns 8-byte aligned blocks at least; the SIMD loads are unaligned-safe
    const p = this.heap.malloc(Math.max(bytes, 4));
    return p === 0 ? -1 : p;
  }

  free(offset: number): void {
    this.heap.free(offset);
  }
}

const heaps = new WeakMap<object, HeapSimdMemory | null>();

/**
 * The wasm backend's heap as a SimdMemory (one per backend), or null when
 * the backend does not expose its heap and allocator, when this engine lacks
 * WebAssembly SIMD, or while the kernels are switched off.
 */
export function heapSimdMemory(backend: unknown): SimdMemory | null {
  if (backend == null || typeof backend !== 'object' || !simdEnabled()) return null;
  let mem = heaps.get(backend);
  if (mem === undefined) {
    const heap = wasmHeapOf(backend);
    const kernels = heap != null ? simdKernels(heap.memory) : null;
    mem = heap != null && kernels != null ? new HeapSimdMemory(heap.memory, kernels, heap) : null;
    heaps.set(backend, mem);
  }
  return mem;
}

/**
 * A new private WebAssembly memory of at least `bytes` bytes with the SIMD
 * kernels bound to it, owned by the caller alone: for state that persists
 * between calls (`shared`: a shared memory, which worker threads can run
 * kernels on). Null without WebAssembly SIMD or while switched off.
 */
export function createSimdMemory(bytes: number, opts: { shared?: boolean } = {}): PrivateSimdMemory | null {
  if (!simdEnabled()) return null;
  const initial = Math.max(1, Math.ceil(bytes / PAGE));
  // shared (for worker threads: KernelThreads): a shared memory needs a maximum; the wasm32 one
  const memory = opts.shared === true && typeof SharedArrayBuffer !== 'undefined'
    ? new WebAssembly.Memory({ initial, maximum: 65536, shared: true })
    : new WebAssembly.Memory({ initial });
  const kernels = simdKernels(memory);
  return kernels == null ? null : new PrivateSimdMemory(memory, kernels);
}

let shared: PrivateSimdMemory | null = null;

/** Regions of the shared SIMD scratch memory, laid out for one call. */
export interface SimdScratch {
  memory: WebAssembly.Memory;
  kernels: SimdKernels;
  /** Byte offsets of the requested regions, in order, each 16-byte aligned. */
  offsets: number[];
  /** True on the call that created the memory (nothing cached in it yet). */
  fresh: boolean;
}

/**
 * The process's shared SIMD scratch memory, laid out as regions of the given
 * byte sizes, for kernels that copy their inputs in, run and read their
 * results out. Contents survive between calls until another caller lays it
 * out anew (a caller may cache inputs there while `fresh` is false and it
 * knows it was the last user). Null without WebAssembly SIMD or while
 * switched off.
 */
export function simdArena(...bytes: number[]): SimdScratch | null {
  if (!simdEnabled()) return null;
  let fresh = false;
  if (shared == null) {
    shared = createSimdMemory(bytes.reduce((a, b) => a + align16(b), 0));
    if (shared == null) return null;
    fresh = true;
  }
  const offsets = shared.scratch(...bytes);
  return { memory: shared.memory, kernels: shared.kernels, offsets, fresh };
}

/**
 * Switches the SIMD kernels on or off (default on): on the wasm backend's
 * heap and on the private memories of the other backends (candidateTopK's
 * shared scratch memory, FusedAdam's state). Off runs the JavaScript loops,
 * which give the same results up to float32 rounding order, and frees the
 * shared scratch memory. For A/B measurements; returns the previous setting.
 */
export function setWasmSimdKernels(on: boolean): boolean {
  const previous = setSimdEnabled(on);
  if (!on) shared = null;
  return previous;
}
