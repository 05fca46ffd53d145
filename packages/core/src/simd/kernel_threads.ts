import { sharedSimdModule, simdEnabled } from './simd_module.js';
import type { SimdKernels } from './simd_module.js';

/**
 * Worker threads that run the SIMD kernels on a shared WebAssembly memory,
 * beside the calling thread (Node.js only: `worker_threads`, reached through
 * `process.getBuiltinModule`, so browser bundles never see it; elsewhere
 * there are no threads and callers run everything on their own thread).
 *
 * A call hands each worker one kernel call (its own slice of the work, e.g.
 * a range of pairs or of class rows) through a shared control block,
 * wakes it with Atomics.notify, runs its own slice, and waits for all of
 * them with Atomics.wait: synchronous, as tfjs kernels and gradients are.
 * Slices must write disjoint memory. Workers are unref'd (they never keep a
 * process alive) and end with dispose() or when their owner is collected.
 */

/** The kernels a worker may run (their arguments are numbers: byte offsets, counts, floats). */
export type ThreadedKernel = 'pair_dot' | 'finish_rows' | 'sparse_rows_step' | 'union_rows';
const KERNELS: ThreadedKernel[] = ['pair_dot', 'finish_rows', 'sparse_rows_step', 'union_rows'];
const MAX_ARGS = 24;
/** Control block (int32): [0] job sequence, then per worker [1 + 2w] done sequence, [2 + 2w] error flag. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, args, index, kernels } = workerData;
const exports_ = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(control);
const a = new Float64Array(args, index * ${(MAX_ARGS + 2) * 8}, ${MAX_ARGS + 2});
let seen = 0;
for (;;) {
  Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  if (seen < 0) break;
  let failed = 0;
  const n = a[1];
  if (n >= 0) {
    try {
      const list = new Array(n);
      for (let i = 0; i < n; i++) list[i] = a[2 + i];
      exports_[kernels[a[0]]](...list);
    } catch (e) {
      failed = 1;
    }
  }
  Atomics.store(ctl, 2 + 2 * index, failed);
  Atomics.store(ctl, 1 + 2 * index, seen);
  Atomics.notify(ctl, 1 + 2 * index);
}
`;

interface WorkerLike {
  unref(): void;
  terminate(): Promise<number>;
}
type WorkerCtor = new (source: string, options: { eval: true; workerData: unknown }) => WorkerLike;

let threadSetting: number | null = null;

/** The Worker constructor and the core count, in Node.js; null elsewhere. */
function nodeWorkers(): { Worker: WorkerCtor; cores: number } | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') return null;
  try {
    const wt = proc.getBuiltinModule('node:worker_threads') as { Worker?: WorkerCtor; isMainThread?: boolean } | undefined;
    const os = proc.getBuiltinModule('node:os') as { availableParallelism?: () => number; cpus?: () => unknown[] } | undefined;
    if (wt?.Worker == null || os == null) return null;
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : (os.cpus?.().length ?? 1);
    return { Worker: wt.Worker, cores };
  } catch {
    return null;
  }
}

/**
 * How many threads the engine's kernels use (the calling one included):
 * by default the machine's cores in Node.js, at most 8; 1 elsewhere.
 */
export function engineThreads(): number {
  if (!simdEnabled()) return 1;
  if (threadSetting != null) return threadSetting;
  const node = nodeWorkers();
  return node == null ? 1 : Math.max(1, Math.min(8, node.cores));
}

/**
 * Sets the threads the sparse engines use for new work (the calling thread
 * included; 1 = no worker threads); returns the previous setting. Only
 * Node.js has worker threads here; elsewhere the engines use one thread
 * whatever the setting. Results are the same for any count up to float32
 * rounding order (the backward pass sums d/dh over the threads' parts).
 */
export function setEngineThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new Error(`threads: expected an integer in [1, 64], got ${String(threads)}`);
  }
  const previous = engineThreads();
  threadSetting = threads;
  return previous;
}

/** One kernel call. */
export interface KernelCall {
  kernel: ThreadedKernel;
  args: number[];
}

/** FinalizationRegistry (ES2021; this package's TypeScript lib is older): ends an owner's workers when it is collected. */
interface Registry {
  register(target: object, held: KernelThreads, token: object): void;
  unregister(token: object): void;
}
const Finalization = (globalThis as { FinalizationRegistry?: new (cleanup: (held: KernelThreads) => void) => Registry }).FinalizationRegistry;
const finalizer: Registry | null = Finalization != null ? new Finalization((threads) => threads.dispose()) : null;

export class KernelThreads {
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private seq = 0;
  private disposed = false;

  private constructor(
    private readonly workers: WorkerLike[],
    control: SharedArrayBuffer,
    args: SharedArrayBuffer,
  ) {
    this.ctl = new Int32Array(control);
    this.args = new Float64Array(args);
  }

  /**
   * `count` worker threads (≥ 1) on the shared `memory`, or null where
   * there are none (not Node.js, no SIMD, the memory is not shared). The
   * workers end with dispose(), or when `owner` is garbage-collected.
   */
  static create(memory: WebAssembly.Memory, count: number, owner: object): KernelThreads | null {
    const node = nodeWorkers();
    const module = sharedSimdModule();
    if (node == null || module == null || count < 1 || !(memory.buffer instanceof SharedArrayBuffer)) return null;
    const control = new SharedArrayBuffer(4 * (1 + 2 * count));
    const args = new SharedArrayBuffer(8 * (MAX_ARGS + 2) * count);
    const workers: WorkerLike[] = [];
    try {
      for (let index = 0; index < count; index++) {
        const w = new node.Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, args, index, kernels: KERNELS } });
        w.unref();
        workers.push(w);
      }
    } catch {
      for (const w of workers) void w.terminate();
      return null;
    }
    const threads = new KernelThreads(workers, control, args);
    finalizer?.register(owner, threads, threads);
    return threads;
  }

  /** Worker threads (the calling thread not counted). */
  get count(): number {
    return this.workers.length;
  }

  /**
   * Runs calls[0] on the calling thread (with `local`, the kernels bound to
   * the same memory) and calls[1..] on workers 0.., and returns when all
   * are done. Throws when a worker's call failed or a worker stopped
   * answering (60 s).
   */
  run(local: SimdKernels, calls: KernelCall[]): void {
    if (this.disposed) throw new Error('KernelThreads: disposed');
    if (calls.length - 1 > this.workers.length) throw new Error(`KernelThreads: ${calls.length - 1} calls for ${this.workers.length} workers`);
    const seq = ++this.seq;
    const width = MAX_ARGS + 2;
    for (let w = 0; w + 1 < calls.length; w++) {
      const { kernel, args } = calls[w + 1];
      if (args.length > MAX_ARGS) throw new Error(`KernelThreads: ${args.length} arguments (at most ${MAX_ARGS})`);
      this.args[w * width] = KERNELS.indexOf(kernel);
      this.args[w * width + 1] = args.length;
      for (let i = 0; i < args.length; i++) this.args[w * width + 2 + i] = args[i];
    }
    // every worker wakes on a new sequence number; the ones without a call this time answer at once
    for (let w = calls.length - 1; w < this.workers.length; w++) this.args[w * width + 1] = -1;
    Atomics.store(this.ctl, 0, seq);
    Atomics.notify(this.ctl, 0);
    let error: unknown = null;
    try {
      const { kernel, args } = calls[0];
      (local[kernel] as (...a: number[]) => void)(...args);
    } catch (e) {
      error = e;
    }
    const deadline = Date.now() + 60000;
    for (let w = 0; w < this.workers.length; w++) {
      for (;;) {
        const done = Atomics.load(this.ctl, 1 + 2 * w);
        if (done === seq) break;
        if (Date.now() > deadline) {
          this.dispose();
          throw new Error('KernelThreads: a worker thread stopped answering');
        }
        Atomics.wait(this.ctl, 1 + 2 * w, done, 1000);
      }
      if (w + 1 < calls.length && Atomics.load(this.ctl, 2 + 2 * w) !== 0 && error == null) error = new Error(`KernelThreads: ${calls[w + 1].kernel} failed on a worker thread`);
    }
    if (error != null) throw error;
  }

  /** Ends the workers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    finalizer?.unregister(this);
    Atomics.store(this.ctl, 0, -1);
    Atomics.notify(this.ctl, 0);
    for (const w of this.workers) void w.terminate();
  }
}
