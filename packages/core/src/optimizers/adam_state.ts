import type * as tf from '@tensorflow/tfjs-core';
import { createSimdMemory, PrivateSimdMemory, SimdMemory } from '../simd/simd_memory.js';

/**
 * Where an Adam optimizer keeps the state of each variable: the moments m
 * and v (and, on a private memory, a copy of the variable's values that the
 * SIMD loop updates in place) either as JavaScript Float32Arrays or in
 * blocks of a SimdMemory (the wasm backend's heap, or a private memory of
 * the optimizer). The update itself is adam_math.ts; the choice of memory
 * per step is adam_update.ts.
 */
export interface AdamSlot {
  /** Name of the variable this state belongs to. */
  name: string;
  shape: number[];
  size: number;
  /** m and v as JS arrays (mem null), else at byte offsets mOff, vOff on mem. */
  m: Float32Array | null;
  v: Float32Array | null;
  mem: SimdMemory | null;
  mOff: number;
  vOff: number;
  /**
   * Private memory only: the variable's values at xOff, valid while
   * variable.dataId === mirrorDataId (no tensor ever refers to it).
   */
  xOff: number;
  /** JS state: the variable's values, valid while variable.dataId === mirrorDataId. */
  mirror: Float32Array | null;
  mirrorDataId: object | null;
  /**
   * No tensor can alias `mirror`, so it may be updated in place. False when it
   * came from dataSync or was handed to a backend that keeps the array
   * (cpu, tensorflow): such a buffer is never written again.
   */
  mirrorPrivate: boolean;
  /** Restored by setWeights and not yet matched to a variable. */
  restored: boolean;
}

function makeSlot(name: string, shape: number[], m: Float32Array, v: Float32Array, restored: boolean): AdamSlot {
  return {
    name,
    shape,
    size: m.length,
    m,
    v,
    mem: null,
    mOff: -1,
    vOff: -1,
    xOff: -1,
    mirror: null,
    mirrorDataId: null,
    mirrorPrivate: false,
    restored,
  };
}

/** The state of every variable of one optimizer, in the order the variables first came. */
export class AdamState {
  private slots: AdamSlot[] = [];
  private byName = new Map<string, AdamSlot>();
  /** This optimizer's private SIMD memory (backends without a wasm heap), created on first use. */
  private own: PrivateSimdMemory | null = null;

  get all(): readonly AdamSlot[] {
    return this.slots;
  }

  get(name: string): AdamSlot | undefined {
    return this.byName.get(name);
  }

  /**
   * The state of variable `name`, the index-th of its step: by name, else
   * restored state at the same position whose variable got another name (a
   * model loaded in the same process gets new unique names; tf.train.adam
   * matches by position too), else new zero state.
   */
  slotFor(name: string, index: number, variable: tf.Variable): AdamSlot {
    const byName = this.byName.get(name);
    if (byName != null) {
      byName.restored = false;
      return byName;
    }
    const byIndex = this.slots[index];
    if (byIndex != null && byIndex.restored && byIndex.size === variable.size) {
      this.byName.delete(byIndex.name);
      byIndex.name = name;
      byIndex.shape = variable.shape.slice();
      byIndex.restored = false;
      this.byName.set(name, byIndex);
      return byIndex;
    }
    const slot = makeSlot(name, variable.shape.slice(), new Float32Array(variable.size), new Float32Array(variable.size), false);
    this.slots.push(slot);
    this.byName.set(name, slot);
    return slot;
  }

  /** m and v of the slot: its JS arrays, or views on its memory (valid until that memory's next allocation). */
  static moments(slot: AdamSlot): [Float32Array, Float32Array] {
    if (slot.mem == null) return [slot.m as Float32Array, slot.v as Float32Array];
    return [slot.mem.f32(slot.mOff, slot.size), slot.mem.f32(slot.vOff, slot.size)];
  }

  /**
   * Moves the slot's m and v to `mem` (null: JS arrays), e.g. on the first
   * step, after setWeights, or when SIMD was switched on or off. Stays in
   * (or falls back to) JS arrays when `mem` cannot allocate. The mirror is
   * dropped (re-read on the next step).
   */
  place(slot: AdamSlot, mem: SimdMemory | null): void {
    if (slot.mem === mem) return;
    const bytes = slot.size * 4;
    let offs: number[] | null = null;
    if (mem != null) {
      offs = [mem.alloc(bytes), mem.alloc(bytes)];
      if (mem.kind === 'private') offs.push(mem.alloc(bytes));
      if (offs.some((o) => o < 0)) {
        for (const o of offs) if (o >= 0) mem.free(o);
        offs = null;
        if (slot.mem == null) return;
        mem = null;
      }
    }
    const [m, v] = AdamState.moments(slot); // views taken after the allocations
    const old = slot.mem;
    const oldOffs = [slot.mOff, slot.vOff, slot.xOff];
    if (mem == null || offs == null) {
      slot.m = m.slice();
      slot.v = v.slice();
      slot.mOff = slot.vOff = slot.xOff = -1;
    } else {
      mem.f32(offs[0], slot.size).set(m);
      mem.f32(offs[1], slot.size).set(v);
      slot.m = slot.v = null;
      [slot.mOff, slot.vOff] = offs;
      slot.xOff = offs[2] ?? -1;
    }
    slot.mem = mem;
    if (old != null) for (const o of oldOffs) if (o >= 0) old.free(o);
    slot.mirror = null;
    slot.mirrorDataId = null;
    slot.mirrorPrivate = false;
  }

  /** This optimizer's private SIMD memory (created on first use), or null without SIMD / while switched off. */
  privateMemory(): PrivateSimdMemory | null {
    if (this.own == null) this.own = createSimdMemory(65536);
    return this.own != null && this.own.active ? this.own : null;
  }

  /** Replaces all state by restored moments (JS arrays, placed on the next step), matched to variables by name or position. */
  restore(entries: ReadonlyArray<{ name: string; shape: number[]; m: Float32Array; v: Float32Array }>): void {
    this.release();
    this.slots = entries.map((e) => makeSlot(e.name, e.shape, e.m, e.v, true));
    this.byName = new Map(this.slots.map((s) => [s.name, s]));
  }

  /** Frees every slot's state (heap blocks; the private memory is dropped). */
  release(): void {
    for (const s of this.slots) {
      if (s.mem != null && s.mem.kind === 'heap') {
        s.mem.free(s.mOff);
        s.mem.free(s.vOff);
      }
      s.mem = null;
    }
    this.slots = [];
    this.byName.clear();
    this.own = null;
  }
}
