import * as tf from '@tensorflow/tfjs';
import { describeBackends } from '../../../tools/testing/backends';
import { createSimdMemory, heapSimdMemory, setWasmSimdKernels, simdArena } from '../src/internal';
import { backendOf } from '../src/internal';

describe('SIMD memories', () => {
  it('a private memory: aligned blocks that keep their contents when it grows, scratch above them, space back when all are freed', () => {
    const mem = createSimdMemory(1000);
    expect(mem).not.toBeNull();
    if (mem == null) return;
    expect(mem.kind).toBe('private');
    expect(mem.active).toBe(true);
    const a = mem.alloc(10);
    const b = mem.alloc(4);
    expect([a % 16, b % 16]).toEqual([0, 0]);
    expect(b).toBeGreaterThanOrEqual(a + 10);
    mem.f32(a, 2).set([1.5, -2]);
    mem.i32(b, 1).set([7]);
    const pages = mem.memory.buffer.byteLength / 65536;
    const big = mem.alloc(3 * 65536); // grows: older views detach, contents stay
    expect(mem.memory.buffer.byteLength / 65536).toBeGreaterThan(pages);
    expect(Array.from(mem.f32(a, 2))).toEqual([1.5, -2]);
    expect(mem.i32(b, 1)[0]).toBe(7);
    const [s1, s2] = mem.scratch(12, 3 * 65536);
    expect(s1).toBeGreaterThanOrEqual(big + 3 * 65536);
    expect(s2).toBeGreaterThanOrEqual(s1 + 12);
    expect(mem.memory.buffer.byteLength).toBeGreaterThanOrEqual(s2 + 3 * 65536);
    // the kernels are bound to this memory: adam_dense over two floats with g = 0 leaves x unchanged, m and v at 0
    const [x, g, m, v] = [mem.alloc(8), mem.alloc(8), mem.alloc(8), mem.alloc(8)];
    mem.f32(x, 2).set([3, 4]);
    mem.f32(g, 2).set([0, 0]);
    mem.f32(m, 2).set([0, 0]);
    mem.f32(v, 2).set([0, 0]);
    mem.kernels.adam_dense(x, g, m, v, x, 2, 0.9, 0.1, 0.999, 0.001, 0.1, 0.001, 1e-7, -0.1);
    expect(Array.from(mem.f32(x, 2))).toEqual([3, 4]);
    for (const o of [a, b, big, x, g, m, v]) mem.free(o);
    expect(mem.alloc(4)).toBe(0);
  });

  it('setWasmSimdKernels(false) switches every memory off and drops the shared scratch memory', () => {
    const first = simdArena(100);
    expect(first).not.toBeNull();
    const mem = createSimdMemory(10);
    const previous = setWasmSimdKernels(false);
    try {
      expect(previous).toBe(true);
      expect(mem?.active).toBe(false);
      expect(createSimdMemory(10)).toBeNull();
      expect(simdArena(100)).toBeNull();
    } finally {
      expect(setWasmSimdKernels(previous)).toBe(false);
    }
    expect(mem?.active).toBe(true);
    const again = simdArena(100);
    expect(again?.fresh).toBe(true); // a new memory: nothing cached in it
    expect(again?.memory).not.toBe(first?.memory);
    const laid = simdArena(200000, 4, 20);
    expect(laid?.fresh).toBe(false);
    expect(laid?.memory).toBe(again?.memory);
    expect(laid?.offsets).toEqual([0, 200000, 200016]);
    expect(laid?.memory.buffer.byteLength).toBeGreaterThanOrEqual(200036);
  });
});

describeBackends('heapSimdMemory', (backend) => {
  it(backend === 'wasm' ? 'is the wasm heap, with blocks that never overlap a tensor' : 'is null on a backend without a WebAssembly heap', () => {
    const t = tf.fill([1000], 5);
    const mem = heapSimdMemory(backendOf(t));
    if (backend !== 'wasm') {
      expect(mem).toBeNull();
      t.dispose();
      return;
    }
    expect(mem?.kind).toBe('heap');
    if (mem == null) return;
    const blocks = [mem.alloc(4000), mem.alloc(1)];
    for (const b of blocks) {
      expect(b).toBeGreaterThan(0);
      mem.f32(b, 1).fill(-1);
    }
    mem.f32(blocks[0], 1000).fill(-1);
    expect(Array.from(new Set(t.dataSync()))).toEqual([5]);
    expect(heapSimdMemory(backendOf(t))).toBe(mem); // one per backend
    const previous = setWasmSimdKernels(false);
    expect(heapSimdMemory(backendOf(t))).toBeNull();
    setWasmSimdKernels(previous);
    blocks.forEach((b) => mem.free(b));
    t.dispose();
    expect(heapSimdMemory(null)).toBeNull();
  });
});
