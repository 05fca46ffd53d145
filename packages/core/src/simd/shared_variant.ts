/**
 * The SIMD modules import their memory as `(memory 0)`: unshared. A
 * cross-origin-isolated page runs tfjs-backend-wasm's threaded build, whose
 * heap is a *shared* WebAssembly.Memory, and an unshared import cannot link
 * to it ("mismatch in shared state of memory declaration"). The shared
 * variant of a module is the same bytes with that one import rewritten to
 * `(memory min 65536 shared)` (65536 pages: the wasm32 maximum, so any
 * shared memory's maximum fits). The loops need no atomics: the backend runs
 * a kernel on one thread at a time.
 */

const IMPORT_SECTION = 2;
const MEMORY_KIND = 2;
const WASM32_MAX_PAGES = 65536;

function readU32(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const b = bytes[i++];
    if (b === undefined) throw new Error('SIMD module: truncated LEB128');
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, i];
    shift += 7;
  }
}

function u32(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Skips limits (flags, min, [max]) at `at`; returns the offset after them. */
function skipLimits(bytes: Uint8Array, at: number): number {
  const flags = bytes[at];
  let i = readU32(bytes, at + 1)[1];
  if ((flags & 1) !== 0) i = readU32(bytes, i)[1];
  return i;
}

/** The import section's payload with every memory import made shared (min kept, max 65536 pages). */
function shareMemoryImports(bytes: Uint8Array, start: number, end: number): { payload: number[]; changed: number } {
  const out: number[] = [];
  let [count, i] = readU32(bytes, start);
  out.push(...u32(count));
  let changed = 0;
  while (count-- > 0) {
    const from = i;
    for (let name = 0; name < 2; name++) {
      const [len, next] = readU32(bytes, i);
      i = next + len;
    }
    const kind = bytes[i++];
    if (kind === MEMORY_KIND) {
      out.push(...bytes.subarray(from, i));
      const min = readU32(bytes, i + 1)[0];
      i = skipLimits(bytes, i);
      out.push(0x03, ...u32(min), ...u32(WASM32_MAX_PAGES));
      changed++;
      continue;
    }
    if (kind === 0) i = readU32(bytes, i)[1]; // function: type index
    else if (kind === 1) i = skipLimits(bytes, i + 1); // table: reftype, limits
    else if (kind === 3) i += 2; // global: valtype, mutability
    else throw new Error(`SIMD module: import kind ${kind} not handled`);
    out.push(...bytes.subarray(from, i));
  }
  if (i !== end) throw new Error('SIMD module: import section length mismatch');
  return { payload: out, changed };
}

/** The module's bytes with its memory import declared shared; throws when it has none. */
export function sharedMemoryVariant(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out: number[] = Array.from(bytes.subarray(0, 8)); // magic, version
  let i = 8;
  let changed = 0;
  while (i < bytes.length) {
    const id = bytes[i];
    const [size, body] = readU32(bytes, i + 1);
    const end = body + size;
    if (id === IMPORT_SECTION) {
      const shared = shareMemoryImports(bytes, body, end);
      changed += shared.changed;
      out.push(id, ...u32(shared.payload.length), ...shared.payload);
    } else {
      out.push(...bytes.subarray(i, end));
    }
    i = end;
  }
  if (changed === 0) throw new Error('SIMD module: no memory import to share');
  const result = new Uint8Array(new ArrayBuffer(out.length));
  result.set(out);
  return result;
}

/** True when `memory` is shared (its buffer a SharedArrayBuffer: a threaded wasm backend's heap). */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}
