import { createSimdMemory, lutSimdKernels, setWasmSimdKernels } from '../src/internal';

/**
 * The MADDNESS scan module (lut_kernels.wat) on a private memory, against loops written from its
 * documented layouts (lut-dense's tests check the whole kernel on every backend, bit for bit).
 */
/** Writes f(i) into a view in place (TypedArray.map would return a copy off the memory). */
function fill<T extends Float32Array | Int32Array | Uint8Array>(a: T, f: (i: number) => number): T {
  for (let i = 0; i < a.length; i++) a[i] = f(i);
  return a;
}

describe('lut_kernels.wat', () => {
  afterEach(() => setWasmSimdKernels(true));

  it('encodes into the blocked 4-bit layout and sums the swizzled bytes exactly', () => {
    const n = 37;
    const d = 6;
    const c = 3;
    const m = 8;
    const mem = createSimdMemory(1 << 16);
    expect(mem).not.toBeNull();
    if (mem == null) return;
    const k = lutSimdKernels(mem.memory);
    expect(k).not.toBeNull();
    if (k == null) return;
    const blocks = Math.ceil(n / 32);
    const [xo, dimso, thro, codeso, tableso, so, oo, outo] = mem.scratch(n * d * 4, c * 16, c * 60, blocks * c * 16, c * m * 16, m * 4, m * 4, n * m * 4);
    const buf = mem.memory.buffer;
    const x = fill(new Float32Array(buf, xo, n * d), (i) => ((i * 7919) % 5) - 2);
    const dims = fill(new Int32Array(buf, dimso, c * 4), (i) => (i * 5) % d);
    const thr = fill(new Float32Array(buf, thro, c * 15), (i) => ((i * 3) % 5) - 2);
    const tables = fill(new Uint8Array(buf, tableso, c * m * 16), (i) => (i * 37) % 256);
    new Float32Array(buf, so, m).fill(0.5);
    new Float32Array(buf, oo, m).fill(-1);
    k.maddness_encode_packed(xo, n, d, dimso, thro, c, codeso);
    k.lut_scan_u8(codeso, tableso, c, m, m / 4, n, so, oo, -1, outo, m, m);
    const codes = new Uint8Array(buf, codeso, blocks * c * 16);
    const out = new Float32Array(buf, outo, n * m);
    for (let i = 0; i < n; i++) {
      let sumRow = new Array(m).fill(0);
      for (let j = 0; j < c; j++) {
        // the tree walk by its definition: level l, node (2^l − 1) + b, right when x > threshold
        let b = 0;
        for (let l = 0; l < 4; l++) b = 2 * b + (x[i * d + dims[j * 4 + l]] > thr[j * 15 + (1 << l) - 1 + b] ? 1 : 0);
        const byte = codes[((i >> 5) * c + j) * 16 + (i & 15)];
        expect((i & 16) === 0 ? byte & 15 : byte >> 4).toBe(b);
        sumRow = sumRow.map((s, q) => s + tables[(j * m + q) * 16 + b]);
      }
      expect(Array.from(out.subarray(i * m, (i + 1) * m))).toEqual(sumRow.map((s) => s * 0.5 - 1));
    }
  });

  it('is switched off with the other SIMD kernels', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    expect(lutSimdKernels(memory)).not.toBeNull();
    setWasmSimdKernels(false);
    expect(lutSimdKernels(memory)).toBeNull();
    setWasmSimdKernels(true);
    expect(lutSimdKernels(memory)).not.toBeNull();
  });
});
