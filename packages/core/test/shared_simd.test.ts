import { lutSimdKernels, simdKernels } from '../src/internal';
import { SIMD_KERNELS_WASM } from '../src/simd/simd_bytes';
import { isSharedMemory, sharedMemoryVariant } from '../src/simd/shared_variant';

// A cross-origin-isolated page runs tfjs-backend-wasm's threaded build on a shared memory. The SIMD
// modules import an unshared memory, which cannot link to it; their shared-memory variant must, and
// must compute the same as on a plain memory.

const plainBytes = () => Uint8Array.from(Buffer.from(SIMD_KERNELS_WASM, 'base64'));
const sharedMemory = () => new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });

/** gather_dot on `memory`: out[i, j] = q[i] · items[cand[i, j]] (0 for cand −1), q [2, 5], items [4, 5]. */
function gatherDot(memory: WebAssembly.Memory): number[] {
  const k = simdKernels(memory);
  if (k == null) throw new Error('no SIMD kernels');
  const f32 = new Float32Array(memory.buffer);
  const i32 = new Int32Array(memory.buffer);
  const [q, items, cand, out] = [0, 64, 256, 320];
  f32.set([1, 2, 3, 4, 5, -1, 0.5, 0, 2, 1], q / 4);
  f32.set(Array.from({ length: 20 }, (_, i) => (i % 7) - 3), items / 4);
  i32.set([3, 0, -1, 2, 1, 3], cand / 4);
  k.gather_dot(q, items, cand, out, 2, 3, 5);
  return Array.from(new Float32Array(memory.buffer, out, 6));
}

describe('SIMD kernels on a shared memory (threaded wasm backend)', () => {
  it('the plain module cannot link to a shared memory; its shared variant can', () => {
    const shared = sharedMemory();
    expect(isSharedMemory(shared)).toBe(true);
    expect(isSharedMemory(new WebAssembly.Memory({ initial: 1 }))).toBe(false);
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(plainBytes()), { env: { memory: shared } })).toThrow(/shared/);
    const variant = sharedMemoryVariant(plainBytes());
    expect(WebAssembly.validate(variant)).toBe(true);
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(variant), { env: { memory: shared } })).not.toThrow();
    expect(() => sharedMemoryVariant(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).toThrow(/no memory import/);
  });

  it('simdKernels binds to a shared memory and computes what it computes on a plain one (and by definition)', () => {
    const q = [
      [1, 2, 3, 4, 5],
      [-1, 0.5, 0, 2, 1],
    ];
    const item = (r: number) => Array.from({ length: 5 }, (_, c) => ((r * 5 + c) % 7) - 3);
    const cand = [
      [3, 0, -1],
      [2, 1, 3],
    ];
    const want = cand.flatMap((row, i) => row.map((c) => (c < 0 ? 0 : item(c).reduce((s, v, d) => s + v * q[i][d], 0))));
    expect(gatherDot(sharedMemory())).toEqual(want);
    expect(gatherDot(new WebAssembly.Memory({ initial: 1 }))).toEqual(want);
    expect(lutSimdKernels(sharedMemory())).not.toBeNull();
  });
});
