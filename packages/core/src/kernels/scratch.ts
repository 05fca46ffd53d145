
type ArrayCtor<T> = { new (length: number): T; readonly BYTES_PER_ELEMENT: number };
type Growable = Float32Array | Float64Array | Int32Array | Uint16Array | Uint8Array;

/**
 * The one JavaScript scratch mechanism of hashlayers: per (owner, slot), a
 * typed array reused across calls and grown by 1.5x when too small.
 * Kernels run synchronously and one at a time, so a slot is never in use
 * twice. Contents are undefined on entry. (On the wasm backend a kernel's
 * scratch lives on the heap instead: see KernelSpec.scratch; SIMD code on
 * the other backends works on a SimdMemory: see simd/simd_memory.ts.)
 */
const pools = new Map<string, Growable[]>();

export function scratch<T extends Growable>(owner: string, slot: number, length: number, ctor: ArrayCtor<T>): T {
  let pool = pools.get(owner);
  if (pool == null) pools.set(owner, (pool = []));
  const have = pool[slot];
  if (have == null || have.length < length || !(have instanceof ctor)) {
    pool[slot] = new ctor(Math.max(length, Math.ceil((have?.length ?? 0) * 1.5)));
  }
  return (pool[slot] as T).subarray(0, length) as T;
}
