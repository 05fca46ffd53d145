import * as tf from '@tensorflow/tfjs-core';
import { tensorCopiesValues } from '../backend/internals.js';
import { fail } from '../util/validate.js';
import { AdamConstants, adamConstants, betaPower } from './adam_math.js';
import { AdamSlot, AdamState } from './adam_state.js';
import { adamUpdate } from './adam_update.js';
import { RowHints, RowSparseSource } from './sparse_rows.js';

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
 *
 * The parts, one module each: the update math (adam_math.ts), where the
 * state lives (adam_state.ts), where each step runs (adam_update.ts), and
 * the sparse-row hints (sparse_rows.ts). This class is the tf.Optimizer:
 * arguments, validation of a whole step before any change, serialization.
 */

/** {name, tensor} as tf.Optimizer.applyGradients / getWeights use it (tfjs-core does not export its own): inlined in public signatures. */
type NamedTensor = { name: string; tensor: tf.Tensor };

/** Options of FusedAdamOptimizer beyond tf.train.adam's arguments. */
export interface FusedAdamOptions {
  /**
   * Row-sparse updates (TF-Addons LazyAdam semantics) for variables whose
   * touched rows a row source reports for the step: only those rows of the
   * variable, m and v change; the gradient outside them is ignored. Variables
   * no source reports get the dense update. Needs at least one row source
   * (rowSources, or addRowSource before the first step). Default false.
   */
  lazy?: boolean;
  /** The layers (or other RowSparseSources) that report which rows each step touched (lazy mode). */
  rowSources?: RowSparseSource[];
}

interface Plan {
  name: string;
  index: number;
  variable: tf.Variable;
  grad: tf.Tensor | null;
  rows: Int32Array | null;
}

const f32 = Math.fround;
const OWNER = 'FusedAdamOptimizer';

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
 * Adam with the update of each variable fused into one loop (WebAssembly
 * SIMD, or JavaScript), and an optional row-sparse (lazy) mode. Drop-in for
 * tf.train.adam in model.compile / model.fit / optimizer.minimize.
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
 * - other backends: the loop reads a mirror of the variable's values and
 *   the gradient's dataSync (lazy: only the touched rows, gathered on the
 *   backend). The mirror is re-read whenever the variable no longer holds the
 *   tensor this optimizer assigned (setWeights, loadWeights, assign, ...).
 *
 * Lazy mode: the layers that know which rows a step touches are passed as
 * `rowSources` (they are not serialized: after loading a model saved with a
 * lazy FusedAdam, call `addRowSource(layer)` before training on).
 *
 * getWeights() returns tensors owned by the optimizer: they stay valid until
 * the next getWeights / setWeights / applyGradients / dispose (clone to keep).
 */
export class FusedAdamOptimizer extends tf.Optimizer {
  /** The name the class is registered under for serialization. */
  static className = 'FusedAdamOptimizer';

  /** Step size; may be changed between steps (e.g. by a learning-rate schedule). */
  learningRate: number;
  /** Decay of the first moment m. */
  readonly beta1: number;
  /** Decay of the second moment v. */
  readonly beta2: number;
  /** Added to √v̂ in the denominator. */
  readonly epsilon: number;
  /** Row-sparse (LazyAdam) updates for variables a row source reports (see FusedAdamOptions.lazy). */
  readonly lazy: boolean;

  /** β1ᵗ and β2ᵗ for the next step, as float32 values (as tf.train.adam's accBeta variables). */
  private accBeta1: number;
  private accBeta2: number;
  private readonly state = new AdamState();
  private readonly hints = new RowHints(OWNER);
  private exported: tf.Tensor[] = [];

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null, opts: FusedAdamOptions = {}) {
    super();
    this.learningRate = checkNumber(`${OWNER} learningRate`, learningRate, 0, Number.MAX_VALUE, false);
    this.beta1 = checkNumber(`${OWNER} beta1`, beta1, 0, 1, true);
    this.beta2 = checkNumber(`${OWNER} beta2`, beta2, 0, 1, true);
    this.epsilon = epsilon == null ? tf.backend().epsilon() : checkNumber(`${OWNER} epsilon`, epsilon, 0, Number.MAX_VALUE, false);
    if (opts == null || typeof opts !== 'object') fail(`${OWNER} opts`, 'an object', opts);
    if (opts.lazy != null && typeof opts.lazy !== 'boolean') fail(`${OWNER} opts.lazy`, 'a boolean', opts.lazy);
    if (opts.rowSources != null && !Array.isArray(opts.rowSources)) {
      fail(`${OWNER} opts.rowSources`, 'an array of row sources (e.g. LSHSoftmax layers)', opts.rowSources);
    }
    this.lazy = opts.lazy ?? false;
    for (const source of opts.rowSources ?? []) this.hints.add(source);
    this.accBeta1 = betaPower(this.beta1, 1);
    this.accBeta2 = betaPower(this.beta2, 1);
  }

  /**
   * Adds a source of touched rows (a layer implementing RowSparseSource,
   * e.g. LSHSoftmax), consulted in lazy mode for every variable of a step.
   * Adding the same source twice changes nothing.
   */
  addRowSource(source: RowSparseSource): void {
    this.hints.add(source);
  }

  /**
   * One step for the named variables: validates every variable, gradient and
   * reported rows first (an error changes nothing), then updates each.
   */
  override applyGradients(variableGradients: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>): void {
    const items: Array<{ name: string; grad: tf.Tensor | null }> = Array.isArray(variableGradients)
      ? variableGradients.map((x) => ({ name: x.name, grad: x.tensor ?? null }))
      : Object.keys(variableGradients).map((name) => ({ name, grad: variableGradients[name] ?? null }));
    if (this.lazy && this.hints.size === 0) {
      fail(`${OWNER} rowSources`, 'at least one row source in lazy mode (pass { rowSources: [layer] }, or call addRowSource(layer), e.g. after loading a saved model)', 'none');
    }

    // 1. Validate everything before changing anything.
    const plans: Plan[] = items.map(({ name, grad }, index) => {
      const variable = tf.engine().registeredVariables[name];
      if (variable == null) fail(`${OWNER}.applyGradients`, 'names of registered variables', `'${name}'`);
      if (variable.dtype !== 'float32') fail(`${OWNER} variable '${name}'`, 'a float32 variable', variable.dtype);
      const slot = this.state.get(name);
      if (slot != null && !sameShape(slot.shape, variable.shape)) {
        fail(`${OWNER} variable '${name}'`, `shape [${slot.shape.join(', ')}] (its optimizer state)`, `[${variable.shape.join(', ')}]`);
      }
      if (grad == null) return { name, index, variable, grad: null, rows: null };
      if (grad.dtype !== 'float32' || !sameShape(grad.shape, variable.shape)) {
        fail(`${OWNER} gradient of '${name}'`, `a float32 tensor of shape [${variable.shape.join(', ')}]`, grad);
      }
      const rows = this.lazy ? this.hints.rowsOf(variable) : null;
      return { name, index, variable, grad, rows };
    });

    // 2. Apply.
    this.disposeExported();
    const k: AdamConstants = adamConstants(this, this.accBeta1, this.accBeta2);
    for (const p of plans) {
      const slot = this.state.slotFor(p.name, p.index, p.variable);
      if (p.grad == null) continue;
      if (this.lazy) this.hints.applied(p.variable);
      adamUpdate(this.state, slot, p.variable, p.grad, p.rows, k);
    }
    this.accBeta1 = f32(this.accBeta1 * k.b1);
    this.accBeta2 = f32(this.accBeta2 * k.b2);
    this.incrementIterations();
  }

  private disposeExported(): void {
    tf.dispose(this.exported);
    this.exported = [];
  }

  /** Frees the state (wasm heap blocks, the private memory) and the tensors getWeights returned. */
  override dispose(): void {
    this.disposeExported();
    this.state.release();
    super.dispose();
  }

  /** [iter, m of each variable, v of each variable], named like tf.train.adam's. */
  override async getWeights(): Promise<Array<{ name: string; tensor: tf.Tensor }>> {
    this.disposeExported();
    // cpu and tensorflow keep the array they are given, and state on a wasm memory moves: give them a copy
    const keep = tensorCopiesValues(tf.getBackend());
    const copy = (s: AdamSlot, a: Float32Array) => (keep && s.mem == null ? a : a.slice());
    const slots = this.state.all;
    const out: NamedTensor[] = [await this.saveIterations()];
    for (const s of slots) out.push({ name: `${s.name}/m`, tensor: tf.tensor(copy(s, AdamState.moments(s)[0]), s.shape, 'float32') });
    for (const s of slots) out.push({ name: `${s.name}/v`, tensor: tf.tensor(copy(s, AdamState.moments(s)[1]), s.shape, 'float32') });
    this.exported = out.map((w) => w.tensor);
    return out;
  }

  /** Restores state from getWeights (or tf.train.adam's layout); the step count continues from `iter`. */
  override async setWeights(weightValues: Array<{ name: string; tensor: tf.Tensor }>): Promise<void> {
    if (!Array.isArray(weightValues) || weightValues.length < 1 || weightValues.length % 2 !== 1) {
      fail(`${OWNER}.setWeights`, '[iter, m of each variable, v of each variable]', Array.isArray(weightValues) ? `${weightValues.length} weights` : weightValues);
    }
    const iterations = (await weightValues[0].tensor.data())[0];
    if (!Number.isInteger(iterations) || iterations < 0) fail(`${OWNER}.setWeights iter`, 'a non-negative integer', iterations);
    const n = (weightValues.length - 1) / 2;
    const entries: Array<{ name: string; shape: number[]; m: Float32Array; v: Float32Array }> = [];
    for (let i = 0; i < n; i++) {
      const mw = weightValues[1 + i];
      const vw = weightValues[1 + n + i];
      const base = mw.name.endsWith('/m') ? mw.name.slice(0, -2) : null;
      if (base == null || vw.name !== `${base}/v`) {
        fail(`${OWNER}.setWeights weights ${1 + i} and ${1 + n + i}`, "names '<variable>/m' and '<variable>/v'", `'${mw.name}' and '${vw.name}'`);
      }
      if (mw.tensor.dtype !== 'float32' || vw.tensor.dtype !== 'float32' || !sameShape(mw.tensor.shape, vw.tensor.shape)) {
        fail(`${OWNER}.setWeights '${vw.name}'`, `a float32 tensor of shape [${mw.tensor.shape.join(', ')}]`, vw.tensor);
      }
      const m = (await mw.tensor.data()).slice() as Float32Array;
      const v = (await vw.tensor.data()).slice() as Float32Array;
      entries.push({ name: base, shape: mw.tensor.shape.slice(), m, v });
    }
    this.disposeExported();
    this.state.restore(entries);
    this.iterations_ = iterations;
    // β1ᵗ, β2ᵗ of the next step exactly as the uninterrupted run accumulated them (float32 products)
    this.accBeta1 = betaPower(this.beta1, iterations + 1);
    this.accBeta2 = betaPower(this.beta2, iterations + 1);
  }

  /** learningRate, beta1, beta2, epsilon and lazy (row sources are not serialized). */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      lazy: this.lazy,
    };
  }

  /** The optimizer of a saved config (a lazy one needs addRowSource before training). */
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
