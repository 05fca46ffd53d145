import { createSimdMemory, KernelContext, KernelSpec, lutSimdKernels, LutSimdKernels, onHeap, PrivateSimdMemory, TypedArray } from '@hashlayers/core/internal';
import { leafOf, LEAVES, NODES, TREE_DEPTH } from './maddness_encode.js';

export interface LutMatMulU8Attrs {
  /** Add the bias input (otherwise it is ignored). */
  useBias: boolean;
}

/** 32-bit words per (codebook, output) table: 16 leaf bytes, four per word. */
export const WORDS_PER_TABLE = LEAVES / 4;

/**
 * Above this many codebooks the 16-bit SIMD accumulators could overflow
 * (257 · 255 = 65535 is the largest exact sum); such layers run the
 * JavaScript loop, whose sums are exact in float64.
 */
export const SIMD_MAX_CODEBOOKS = 256;

/** Bytes of the blocked 4-bit codes of n rows and c codebooks: ⌈n/32⌉ blocks of c · 16 bytes. */
export function packedCodeBytes(n: number, c: number): number {
  return Math.ceil(n / 32) * c * 16;
}

/** Byte k of word w of table (j, q): leaf 4w + k. */
function entry(tables: ArrayLike<number>, m: number, j: number, q: number, leaf: number): number {
  return (tables[(j * m + q) * WORDS_PER_TABLE + (leaf >> 2)] >>> ((leaf & 3) << 3)) & 255;
}

/**
 * The reference (and fallback) loop: MADDNESS encoding by the shared rule
 * (right when x > threshold), exact integer sums of the 8-bit entries, then
 * sum·scale + offset (+ bias) rounded to float32 after each operation, as
 * the SIMD kernel's f32x4 operations do: both give the same bits. Rows
 * holding NaN or ±Infinity give NaN outputs.
 */
export function lutMatMulU8Js(
  x: ArrayLike<number>, n: number, d: number,
  dims: ArrayLike<number>, thr: ArrayLike<number>, c: number,
  tables: ArrayLike<number>, m: number,
  scale: ArrayLike<number>, offset: ArrayLike<number>, bias: ArrayLike<number> | null,
  out: Float32Array,
): void {
  const code = new Int32Array(c);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < c; j++) code[j] = leafOf(x, row, dims, thr, j);
    const o = i * m;
    for (let q = 0; q < m; q++) {
      let sum = 0;
      for (let j = 0; j < c; j++) sum += entry(tables, m, j, q, code[j]);
      let v = Math.fround(Math.fround(sum * scale[q]) + offset[q]);
      if (bias != null) v = Math.fround(v + bias[q]);
      out[o + q] = v;
    }
    // a row with NaN or ±Infinity gives NaN outputs, as a dense product would (the trees alone would encode it)
    for (let k = 0; k < d; k++) {
      if (!Number.isFinite(x[row + k])) {
        out.fill(NaN, o, o + m);
        break;
      }
    }
  }
}

/**
 * The quantized LUTDense product in one kernel: out = (Σ_c T_c[code_c(x)])
 * · scale + offset (+ bias), [N, M] float32 (NaN rows where x has NaN or
 * ±Infinity). Inputs x [N, D] float32,
 * splitDims [C, 4] int32, thresholds [C, 15] float32, tables [C, M, 4]
 * int32 (8-bit entries packed four per word, little-endian: byte k of word w
 * of table (c, m) is leaf 4w + k; in memory that is the [C][M][16]-byte
 * layout i8x16.swizzle looks up), scale, offset, bias [M] float32.
 *
 * On every backend the work runs in WebAssembly SIMD (lut_kernels.wat of
 * @hashlayers/core): on the wasm backend in place on its heap (codes in a
 * heap scratch buffer); on cpu and tensorflow in a private WebAssembly
 * memory per tables array, which holds the tables, trees and rescaling
 * (copied once per weight) and, per call, the input, codes and output. With
 * the SIMD kernels switched off (setWasmSimdKernels(false)), or without
 * WebAssembly SIMD, the JavaScript loop lutMatMulU8Js runs; both give the
 * same bits.
 */
export const lutMatMulU8Kernel: KernelSpec<LutMatMulU8Attrs> = {
  kernelName: 'HashlayersLutMatMulU8',
  inputNames: ['x', 'splitDims', 'thresholds', 'tables', 'scale', 'offset', 'bias'],
  cachedInputs: ['splitDims', 'thresholds', 'tables', 'scale', 'offset', 'bias'],
  outputs(shapes) {
    return [{ shape: [shapes.x[0], shapes.tables[1]], dtype: 'float32' }];
  },
  // on the wasm heap: the packed codes, and the last (partial) group of four outputs padded
  scratch(shapes) {
    const c = shapes.splitDims[0];
    return [
      { shape: [Math.max(1, packedCodeBytes(shapes.x[0], c) / 4)], dtype: 'int32' },
      { shape: [c * 4 * WORDS_PER_TABLE], dtype: 'int32' },
      { shape: [12], dtype: 'float32' },
    ];
  },
  compute(inputs: Record<string, TypedArray>, outputs: TypedArray[], shapes: Record<string, number[]>, attrs: LutMatMulU8Attrs, context?: KernelContext) {
    const { x, splitDims, thresholds, tables, scale, offset, bias } = inputs;
    const out = outputs[0] as Float32Array;
    const [n, d] = shapes.x;
    const c = shapes.splitDims[0];
    const m = shapes.tables[1];
    if (n === 0 || m === 0) return;
    const b = attrs.useBias ? bias : null;
    if (c <= SIMD_MAX_CODEBOOKS) {
      const heap = context?.wasmMemory;
      if (heap != null) {
        const k = lutSimdKernels(heap);
        const [codes, tailTables, tailParams] = outputs.slice(1) as [Int32Array, Int32Array, Float32Array];
        if (k != null && onHeap(heap, x, splitDims, thresholds, tables, scale, offset, bias, out, codes, tailTables, tailParams)) {
          onHeapScan(k, inputs, out, codes, tailTables, tailParams, n, d, c, m, b != null);
          return;
        }
      } else if (privateScan(inputs, out, n, d, c, m, b != null)) {
        return;
      }
    }
    lutMatMulU8Js(x, n, d, splitDims, thresholds, c, tables, m, scale, offset, b, out);
  },
};

/** The wasm backend: everything read and written in place on its heap. */
function onHeapScan(
  k: LutSimdKernels, inputs: Record<string, TypedArray>, out: Float32Array,
  codes: Int32Array, tailTables: Int32Array, tailParams: Float32Array,
  n: number, d: number, c: number, m: number, useBias: boolean,
): void {
  const { x, splitDims, thresholds, tables, scale, offset, bias } = inputs;
  k.maddness_encode_packed(x.byteOffset, n, d, splitDims.byteOffset, thresholds.byteOffset, c, codes.byteOffset);
  const full = m >> 2;
  const rest = m & 3;
  if (full > 0) {
    k.lut_scan_u8(codes.byteOffset, tables.byteOffset, c, m, full, n, scale.byteOffset, offset.byteOffset, useBias ? bias.byteOffset : -1, out.byteOffset, m, m);
  }
  if (rest > 0) {
    // the last outputs, padded to a group of four (the kernel reads four tables and four scales per group)
    const m0 = full * 4;
    tailTables.fill(0);
    for (let j = 0; j < c; j++) {
      for (let q = 0; q < rest; q++) {
        const src = (j * m + m0 + q) * WORDS_PER_TABLE;
        tailTables.set(tables.subarray(src, src + WORDS_PER_TABLE), (j * 4 + q) * WORDS_PER_TABLE);
      }
    }
    tailParams.fill(0);
    for (let q = 0; q < rest; q++) {
      tailParams[q] = scale[m0 + q];
      tailParams[4 + q] = offset[m0 + q];
      tailParams[8 + q] = bias[m0 + q];
    }
    const p = tailParams.byteOffset;
    k.lut_scan_u8(codes.byteOffset, tailTables.byteOffset, c, 4, 1, n, p, p + 16, useBias ? p + 32 : -1, out.byteOffset + m0 * 4, m, rest);
  }
  k.poison_nonfinite_rows(x.byteOffset, n, d, out.byteOffset, m);
}

/** A private memory holding one layer's tables (padded to groups of four outputs), trees and rescaling. */
interface Resident {
  mem: PrivateSimdMemory;
  kernels: LutSimdKernels;
  m4: number;
  tablesOff: number;
  dimsOff: number;
  thrOff: number;
  scaleOff: number;
  offsetOff: number;
  biasOff: number;
  /** The arrays last copied in (tfjs tensors are immutable: the same array means the same values). */
  src: TypedArray[];
}

const residents = new WeakMap<TypedArray, Resident>();

/**
 * cpu and tensorflow: the weights are copied once per tables array into a
 * private WebAssembly memory (the cpu backend and the tensorflow adapter's
 * cachedInputs hand back the same array for the same tensor); per call the
 * rows are copied in and the output out. False when SIMD is unavailable.
 */
function privateScan(inputs: Record<string, TypedArray>, out: Float32Array, n: number, d: number, c: number, m: number, useBias: boolean): boolean {
  const { x, splitDims, thresholds, tables, scale, offset, bias } = inputs;
  let r = residents.get(tables) ?? null;
  if (r == null) {
    r = makeResident(c, m); // null while switched off (or without SIMD): tried again on the next call
    if (r == null) return false;
    residents.set(tables, r);
  }
  if (lutSimdKernels(r.mem.memory) == null) return false; // switched off since
  const params = [splitDims, thresholds, tables, scale, offset, bias];
  if (params.some((a, i) => r.src[i] !== a)) fillResident(r, params, c, m);
  const [xOff, codesOff, outOff] = r.mem.scratch(n * d * 4, packedCodeBytes(n, c), n * m * 4);
  const buf = r.mem.memory.buffer;
  new Float32Array(buf, xOff, n * d).set(x);
  r.kernels.maddness_encode_packed(xOff, n, d, r.dimsOff, r.thrOff, c, codesOff);
  r.kernels.lut_scan_u8(codesOff, r.tablesOff, c, r.m4, r.m4 / 4, n, r.scaleOff, r.offsetOff, useBias ? r.biasOff : -1, outOff, m, m);
  r.kernels.poison_nonfinite_rows(xOff, n, d, outOff, m);
  out.set(new Float32Array(buf, outOff, n * m));
  return true;
}

function makeResident(c: number, m: number): Resident | null {
  const m4 = Math.ceil(m / 4) * 4;
  const sizes = [c * m4 * 16, c * TREE_DEPTH * 4, c * NODES * 4, m4 * 4, m4 * 4, m4 * 4];
  const mem = createSimdMemory(sizes.reduce((a, s) => a + s + 16, 0));
  const kernels = mem != null ? lutSimdKernels(mem.memory) : null;
  if (mem == null || kernels == null) return null;
  const [tablesOff, dimsOff, thrOff, scaleOff, offsetOff, biasOff] = sizes.map((s) => mem.alloc(s));
  if ([tablesOff, dimsOff, thrOff, scaleOff, offsetOff, biasOff].some((o) => o < 0)) return null;
  return { mem, kernels, m4, tablesOff, dimsOff, thrOff, scaleOff, offsetOff, biasOff, src: [] };
}

function fillResident(r: Resident, params: TypedArray[], c: number, m: number): void {
  const [splitDims, thresholds, tables, scale, offset, bias] = params;
  const buf = r.mem.memory.buffer;
  const t = new Int32Array(buf, r.tablesOff, c * r.m4 * WORDS_PER_TABLE);
  if (r.m4 === m) {
    t.set(tables);
  } else {
    t.fill(0);
    for (let j = 0; j < c; j++) t.set(tables.subarray(j * m * WORDS_PER_TABLE, (j + 1) * m * WORDS_PER_TABLE), j * r.m4 * WORDS_PER_TABLE);
  }
  new Int32Array(buf, r.dimsOff, c * TREE_DEPTH).set(splitDims);
  new Float32Array(buf, r.thrOff, c * NODES).set(thresholds);
  for (const [off, a] of [[r.scaleOff, scale], [r.offsetOff, offset], [r.biasOff, bias]] as const) {
    const v = new Float32Array(buf, off, r.m4);
    v.fill(0);
    v.set(a.subarray(0, m));
  }
  r.src = params.slice();
}
