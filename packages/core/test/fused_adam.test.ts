import * as tf from '@tensorflow/tfjs';
import { describeBackends } from '../../../tools/testing/backends';
import { setWasmSimdKernels } from '../src/internal';
import { FusedAdamOptimizer, fusedAdam } from '../src';
import type { RowSparseSource } from '../src';

let uid = 0;
/** A variable with a fresh name and seeded normal values. */
function randVar(shape: number[], seed: number, prefix = 'fa'): tf.Variable {
  return tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 1, 'float32', seed), true, `${prefix}_${uid++}`));
}
function randGrad(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}
function values(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}
/** max |a − b| / max(|b|, floor) over elements. */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  return worst;
}

/** A RowSparseSource as a layer implements it: the rows of each variable the current step touched. */
class StepRows implements RowSparseSource {
  readonly rows = new Map<tf.Variable, Int32Array>();
  readonly cleared: string[] = [];
  set(variable: tf.Variable, rows: Int32Array | null): void {
    if (rows == null) this.rows.delete(variable);
    else this.rows.set(variable, rows);
  }
  touchedRows(variable: tf.Variable): Int32Array | null {
    return this.rows.get(variable) ?? null;
  }
  clearTouchedRows(variable: tf.Variable): void {
    this.cleared.push(variable.name);
    this.rows.delete(variable);
  }
}
const src = new StepRows();
const setSparseRows = (v: tf.Variable, rows: Int32Array | null) => src.set(v, rows);
const rowSources = [src];

/** Float64 reference of LazyAdam for one variable [rows, cols]: only the given rows change; t is global. */
class LazyAdamRef {
  readonly x: Float64Array;
  readonly m: Float64Array;
  readonly v: Float64Array;
  t = 0;
  constructor(x0: ArrayLike<number>, readonly cols: number, readonly lr: number, readonly b1: number, readonly b2: number, readonly eps: number) {
    this.x = Float64Array.from(x0);
    this.m = new Float64Array(x0.length);
    this.v = new Float64Array(x0.length);
  }
  step(grad: ArrayLike<number>, rows: Iterable<number>): void {
    this.t += 1;
    const c1 = 1 - Math.pow(this.b1, this.t);
    const c2 = 1 - Math.pow(this.b2, this.t);
    for (const r of new Set(rows)) {
      for (let c = 0; c < this.cols; c++) {
        const i = r * this.cols + c;
        const g = grad[i];
        this.m[i] = this.b1 * this.m[i] + (1 - this.b1) * g;
        this.v[i] = this.b2 * this.v[i] + (1 - this.b2) * g * g;
        this.x[i] -= (this.lr * (this.m[i] / c1)) / (Math.sqrt(this.v[i] / c2) + this.eps);
      }
    }
  }
}

/** Where the optimizer keeps the state of its first variable: 'heap' (wasm), 'private' (its own SIMD memory) or 'js'. */
function stateKind(opt: FusedAdamOptimizer): string {
  const state = (opt as unknown as { state: { all: Array<{ mem: { kind: string } | null }> } }).state;
  return state.all[0].mem?.kind ?? 'js';
}

describeBackends('FusedAdamOptimizer', (backend) => {
  // every test with the SIMD kernels (adam_dense / adam_rows: float32 arithmetic) and with the JavaScript loops (float64)
  for (const simd of [true, false]) describe(simd ? 'SIMD kernels' : 'JavaScript loops', () => {
  let previous = true;
  beforeAll(() => {
    previous = setWasmSimdKernels(simd);
  });
  afterAll(() => {
    setWasmSimdKernels(previous);
  });
  const shapes = [[300, 7], [13], [2, 3, 4], [], [0, 3]];
  const lr = 0.05;

  it('keeps its state where the loop runs (wasm heap, private SIMD memory, or JS)', () => {
    const w = randVar([8, 5], 90);
    for (const lazy of [false, true]) {
      const opt = new FusedAdamOptimizer(lr, 0.9, 0.999, null, { lazy, rowSources });
      const g = randGrad([8, 5], 91);
      setSparseRows(w, Int32Array.of(1, 3));
      opt.applyGradients({ [w.name]: g });
      expect(stateKind(opt)).toBe(simd ? (backend === 'wasm' ? 'heap' : 'private') : 'js');
      g.dispose();
      opt.dispose();
    }
    w.dispose();
  });

  it('switching SIMD on and off between steps moves the state and continues as tf.train.adam / LazyAdam', () => {
    const a = randVar([40, 6], 95);
    const b = tf.variable(a, true, `adam_${uid++}`);
    const w = randVar([40, 6], 96);
    const ref = new LazyAdamRef(values(w), 6, lr, 0.9, 0.999, tf.backend().epsilon());
    const fused = fusedAdam(lr);
    const lazy = fusedAdam(lr, 0.9, 0.999, null, { lazy: true, rowSources });
    const adam = tf.train.adam(lr);
    try {
      for (let s = 0; s < 6; s++) {
        setWasmSimdKernels(s % 3 === 1 ? !simd : simd);
        const g = randGrad([40, 6], 200 + s);
        const rows = s % 2 === 0 ? [s, 39, 7] : Array.from({ length: 20 }, (_, i) => 2 * i);
        fused.applyGradients({ [a.name]: g });
        adam.applyGradients([{ name: b.name, tensor: g }]);
        setSparseRows(w, Int32Array.from(rows));
        lazy.applyGradients({ [w.name]: g });
        ref.step(g.dataSync(), rows);
        g.dispose();
        expect(stateKind(lazy)).toBe(s % 3 === 1 === simd ? 'js' : backend === 'wasm' ? 'heap' : 'private');
      }
    } finally {
      setWasmSimdKernels(simd);
    }
    expect(maxRel(values(a), values(b), lr)).toBeLessThan(1e-6);
    expect(maxRel(values(w), ref.x, 1)).toBeLessThan(2e-6);
    [fused, lazy, adam].forEach((o) => o.dispose());
    tf.dispose([a, b, w]);
  });

  it('dense: 5 steps equal tf.train.adam (values and m, v) to float32 rounding', async () => {
    const ours = shapes.map((s, i) => randVar(s, 10 + i));
    const theirs = ours.map((v) => tf.variable(v, true, `adam_${uid++}`));
    const fused = new FusedAdamOptimizer(lr);
    const adam = tf.train.adam(lr);
    for (let step = 0; step < 5; step++) {
      const grads = shapes.map((s, i) => randGrad(s, 100 * step + i));
      fused.applyGradients(Object.fromEntries(ours.map((v, i) => [v.name, grads[i]])));
      adam.applyGradients(theirs.map((v, i) => ({ name: v.name, tensor: grads[i] })));
      tf.dispose(grads);
    }
    // relative to the value, or to the step size lr for values near 0
    ours.forEach((v, i) => expect(maxRel(values(v), values(theirs[i]), lr)).toBeLessThan(1e-6));
    const [wf, wa] = [await fused.getWeights(), await adam.getWeights()];
    expect(wf.map((w) => w.name)).toEqual(['iter', ...ours.map((v) => `${v.name}/m`), ...ours.map((v) => `${v.name}/v`)]);
    expect(wf[0].tensor.dataSync()[0]).toBe(5);
    // m can cancel to near 0: compare it relative to its terms' size ((1 − β1)|g| ~ 0.1); v has no cancellation
    for (let i = 1; i < wf.length; i++) {
      const isM = i <= ours.length;
      expect(maxRel(values(wf[i].tensor), values(wa[i].tensor), isM ? 1e-2 : 1e-6)).toBeLessThan(isM ? 1e-5 : 1e-6);
    }
    expect(fused.iterations).toBe(5);
    fused.dispose();
    adam.dispose();
    tf.dispose([...ours, ...theirs, ...wa.slice(0, 1).map((w) => w.tensor)]);
  });

  it('dense: a user assign between steps is picked up (as tf.train.adam sees it)', () => {
    const a = randVar([40, 5], 1);
    const b = tf.variable(a, true, `adam_${uid++}`);
    const fused = fusedAdam(lr);
    const adam = tf.train.adam(lr);
    const step = (seed: number) => {
      const g = randGrad([40, 5], seed);
      fused.applyGradients([{ name: a.name, tensor: g }]);
      adam.applyGradients([{ name: b.name, tensor: g }]);
      g.dispose();
    };
    step(1);
    step(2);
    const other = tf.randomNormal([40, 5], 3, 1, 'float32', 9);
    a.assign(other);
    b.assign(other);
    other.dispose();
    step(3);
    step(4);
    expect(maxRel(values(a), values(b), lr)).toBeLessThan(1e-6);
    // a plain write through tf.tidy + assign of a derived tensor
    tf.tidy(() => {
      a.assign(tf.mul(a, 2));
      b.assign(tf.mul(b, 2));
    });
    step(5);
    expect(maxRel(values(a), values(b), lr)).toBeLessThan(1e-6);
    fused.dispose();
    adam.dispose();
    tf.dispose([a, b]);
  });

  it('dense: tensors that alias an earlier value of the variable are never overwritten', () => {
    const a = randVar([64, 3], 2);
    const fused = fusedAdam(lr);
    const snaps: Array<[tf.Tensor, Float32Array]> = [];
    for (let s = 0; s < 6; s++) {
      const keep = a.clone(); // shares the variable's current data
      snaps.push([keep, values(keep)]);
      const g = randGrad([64, 3], s);
      fused.applyGradients({ [a.name]: g });
      g.dispose();
      if (s === 2) snaps.splice(0, 2).forEach(([t]) => t.dispose()); // release some: their buffers may be recycled
    }
    for (const [t, before] of snaps) expect(values(t)).toEqual(before);
    tf.dispose(snaps.map(([t]) => t));
    fused.dispose();
    a.dispose();
  });

  it('lazy: only registered rows change, as an independent float64 LazyAdam; duplicates applied once', async () => {
    const [rows, cols] = [50, 6];
    const w = randVar([rows, cols], 3);
    const bias = randVar([rows], 4);
    const dense = randVar([5], 5); // no rows registered: dense update
    const denseRef = tf.variable(dense, true, `adam_${uid++}`);
    const opt = new FusedAdamOptimizer(lr, 0.9, 0.999, null, { lazy: true, rowSources });
    const adam = tf.train.adam(lr);
    const eps = tf.backend().epsilon();
    const refW = new LazyAdamRef(values(w), cols, lr, 0.9, 0.999, eps);
    const refB = new LazyAdamRef(values(bias), 1, lr, 0.9, 0.999, eps);
    const rowSets = [
      [3, 7, 7, 49, 0, 3],
      [7, 10, 11],
      [49, 48, 1, 2, 3, 4, 5],
      Array.from({ length: 30 }, (_, i) => (i * 7) % 50), // 60% of the rows: whole gradient read, whole values written
      [8],
    ];
    let mBefore: Float32Array = new Float32Array(0);
    for (let s = 0; s < rowSets.length; s++) {
      const before = values(w);
      const gw = randGrad([rows, cols], 10 + s);
      const gb = randGrad([rows], 20 + s);
      const gd = randGrad([5], 30 + s);
      setSparseRows(w, Int32Array.from(rowSets[s]));
      setSparseRows(bias, Int32Array.from(rowSets[s]).reverse());
      opt.applyGradients({ [w.name]: gw, [bias.name]: gb, [dense.name]: gd });
      adam.applyGradients([{ name: denseRef.name, tensor: gd }]);
      refW.step(gw.dataSync(), rowSets[s]);
      refB.step(gb.dataSync(), rowSets[s]);
      tf.dispose([gw, gb, gd]);
      expect(src.touchedRows(w)).toBeNull(); // consumed by the step
      const after = values(w);
      const touched = new Set(rowSets[s]);
      for (let r = 0; r < rows; r++) {
        const a = after.subarray(r * cols, (r + 1) * cols);
        if (!touched.has(r)) expect(a).toEqual(before.subarray(r * cols, (r + 1) * cols));
        else expect(a).not.toEqual(before.subarray(r * cols, (r + 1) * cols));
      }
      expect(maxRel(after, refW.x, 1)).toBeLessThan(2e-6);
      expect(maxRel(values(bias), refB.x, 1)).toBeLessThan(2e-6);
      // optimizer state of untouched rows is bit-identical too
      const weights = await opt.getWeights();
      const m = values(weights[1].tensor);
      if (s > 0) for (let r = 0; r < rows; r++) if (!touched.has(r)) expect(m.subarray(r * cols, (r + 1) * cols)).toEqual(mBefore.subarray(r * cols, (r + 1) * cols));
      expect(maxRel(m, refW.m, 1)).toBeLessThan(1e-6);
      expect(maxRel(values(weights[4].tensor), refW.v, 1e-3)).toBeLessThan(1e-5);
      mBefore = m;
    }
    expect(maxRel(values(dense), values(denseRef), lr)).toBeLessThan(1e-6);
    opt.dispose();
    adam.dispose();
    tf.dispose([w, bias, dense, denseRef]);
  });

  it('lazy: tensors sharing the variable data (clones, the initial value) are never changed', () => {
    const init = tf.randomNormal([12, 3], 0, 1, 'float32', 60);
    const initValues = values(init);
    const w = tf.variable(init, true, `fa_${uid++}`); // shares init's data
    const opt = fusedAdam(lr, 0.9, 0.999, null, { lazy: true, rowSources });
    const snaps: Array<[tf.Tensor, Float32Array]> = [];
    for (let s = 0; s < 4; s++) {
      const keep = w.clone();
      snaps.push([keep, values(keep)]);
      const g = randGrad([12, 3], 70 + s);
      setSparseRows(w, Int32Array.of(s, 11));
      opt.applyGradients({ [w.name]: g });
      g.dispose();
      if (s === 1) {
        const g2 = randGrad([12, 3], 80); // a dense step in between
        opt.applyGradients({ [w.name]: g2 });
        g2.dispose();
      }
    }
    expect(values(init)).toEqual(initValues);
    for (const [t, before] of snaps) expect(values(t)).toEqual(before);
    tf.dispose([init, w, ...snaps.map(([t]) => t)]);
    opt.dispose();
  });

  it('lazy: out-of-range rows throw a clear error and change nothing', async () => {
    const w = randVar([10, 4], 6);
    const other = randVar([3], 7);
    const opt = fusedAdam(lr, undefined, undefined, undefined, { lazy: true, rowSources });
    const g = randGrad([10, 4], 1);
    const go = randGrad([3], 2);
    opt.applyGradients({ [other.name]: go, [w.name]: g }); // creates state
    const [w0, o0] = [values(w), values(other)];
    const state0 = (await opt.getWeights()).map((x) => values(x.tensor));
    for (const bad of [[1, 10], [-1, 2]]) {
      setSparseRows(w, Int32Array.from(bad));
      expect(() => opt.applyGradients({ [other.name]: go, [w.name]: g })).toThrow(new RegExp(`sparse rows of '${w.name}'.*row id in \\[0, 10\\).*got ${bad.find((r) => r < 0 || r >= 10)}`));
      expect(values(w)).toEqual(w0);
      expect(values(other)).toEqual(o0); // listed first: still not updated
      expect(opt.iterations).toBe(1);
      expect((await opt.getWeights()).map((x) => values(x.tensor))).toEqual(state0);
      setSparseRows(w, null);
    }
    setSparseRows(w, [1, 2] as unknown as Int32Array);
    expect(() => opt.applyGradients({ [other.name]: go, [w.name]: g })).toThrow(new RegExp(`touched rows of '${w.name}'.*an Int32Array or null.*Array`));
    expect(values(w)).toEqual(w0);
    expect(values(other)).toEqual(o0);
    setSparseRows(w, null);
    // a scalar variable cannot take rows
    const s = randVar([], 8);
    setSparseRows(s, Int32Array.of(0));
    const gs = tf.scalar(1);
    expect(() => opt.applyGradients({ [s.name]: gs })).toThrow(/rank >= 1/);
    setSparseRows(s, null);
    tf.dispose([w, other, g, go, s, gs]);
    opt.dispose();
  });

  it('save/restore: getWeights → setWeights continues exactly (same variables and freshly named ones)', async () => {
    const shapesR = [[30, 4], [30]];
    const vars = shapesR.map((s, i) => randVar(s, 40 + i));
    const copies = vars.map((v) => tf.variable(v, true, `copy_${uid++}`)); // other names, same values
    const grads = (seed: number) => shapesR.map((s, i) => randGrad(s, seed + i));
    const feed = (vs: tf.Variable[], gs: tf.Tensor[]) => vs.map((v, i) => ({ name: v.name, tensor: gs[i] }));
    for (const lazy of [false, true]) {
      const a = new FusedAdamOptimizer(0.01, 0.8, 0.99, 1e-6, { lazy, rowSources });
      for (let s = 0; s < 3; s++) {
        const gs = grads(s * 10);
        if (lazy) setSparseRows(vars[0], Int32Array.of(s, 5, 29));
        a.applyGradients(feed(vars, gs));
        tf.dispose(gs);
      }
      vars.forEach((v, i) => copies[i].assign(v));
      const saved = await a.getWeights();
      const b = tf.serialization.SerializationMap.getMap().classNameMap['FusedAdamOptimizer'][1](FusedAdamOptimizer, a.getConfig()) as FusedAdamOptimizer;
      const c = fusedAdam(0.01, 0.8, 0.99, 1e-6, { lazy, rowSources });
      b.addRowSource(src); // row sources are not serialized
      await b.setWeights(saved);
      await c.setWeights(saved);
      expect(b.getConfig()).toEqual(a.getConfig());
      expect(b.iterations).toBe(3);
      const before = vars.map(values);
      const gs = grads(99);
      // original, continuing
      if (lazy) setSparseRows(vars[0], Int32Array.of(5, 6));
      a.applyGradients(feed(vars, gs));
      const cont = vars.map(values);
      // restored copy on the same variables (matched by name) after resetting them
      tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(before[i], v.shape))));
      if (lazy) setSparseRows(vars[0], Int32Array.of(5, 6));
      b.applyGradients(feed(vars, gs));
      // restored copy on variables with other names (matched by position, as tf.train.adam)
      if (lazy) setSparseRows(copies[0], Int32Array.of(5, 6));
      c.applyGradients(feed(copies, gs));
      tf.dispose(gs);
      vars.forEach((v, i) => expect(values(v)).toEqual(cont[i]));
      copies.forEach((v, i) => expect(values(v)).toEqual(cont[i]));
      [a, b, c].forEach((o) => o.dispose());
    }
    tf.dispose([...vars, ...copies]);
  });

  it('leaks no tensors (dense and lazy steps, getWeights until dispose)', async () => {
    const w = randVar([20, 3], 50);
    const b = randVar([20], 51);
    for (const lazy of [false, true]) {
      const opt = new FusedAdamOptimizer(lr, 0.9, 0.999, null, { lazy, rowSources });
      const gw = randGrad([20, 3], 1);
      const gb = randGrad([20], 2);
      const before = tf.memory().numTensors;
      for (let s = 0; s < 3; s++) {
        setSparseRows(w, Int32Array.of(1, 2, 2, 19));
        opt.applyGradients({ [w.name]: gw, [b.name]: gb });
      }
      expect(tf.memory().numTensors).toBe(before);
      const fromMinimize = opt.minimize(() => tf.sum(tf.add(tf.sum(tf.square(w)), tf.sum(b))) as tf.Scalar, true, [w, b]);
      fromMinimize?.dispose();
      expect(tf.memory().numTensors).toBe(before);
      await opt.getWeights();
      await opt.getWeights(); // the previous export is released
      expect(tf.memory().numTensors).toBe(before + 5);
      opt.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([gw, gb]);
    }
    tf.dispose([w, b]);
  });

  it('trains a tf.sequential with model.fit, saves with the optimizer, and the reloaded model continues identically', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 8, activation: 'tanh', inputShape: [4], kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }), tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) })],
    });
    model.compile({ optimizer: new FusedAdamOptimizer(0.02), loss: 'meanSquaredError' });
    const x = tf.randomNormal([64, 4], 0, 1, 'float32', 3);
    const y = tf.tidy(() => tf.sum(tf.mul(x, tf.tensor1d([1, -2, 0.5, 3])), 1, true));
    const opts = { epochs: 30, batchSize: 16, shuffle: false, verbose: 0 as const };
    const hist = await model.fit(x, y, opts);
    const loss = hist.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(0.3 * loss[0]);

    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }), { includeOptimizer: true });
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.optimizer).toBeInstanceOf(FusedAdamOptimizer);
    expect(loaded.optimizer.iterations).toBe(model.optimizer.iterations);
    const more = { ...opts, epochs: 2 };
    await model.fit(x, y, more);
    await loaded.fit(x, y, more);
    const [wa, wb] = [model.getWeights(), loaded.getWeights()];
    wa.forEach((t, i) => expect(values(wb[i])).toEqual(values(t)));
    model.optimizer.dispose();
    loaded.optimizer.dispose();
    model.dispose();
    loaded.dispose();
    tf.dispose([x, y]);
  });
  });
});

describeBackends('FusedAdamOptimizer row sources', () => {
  const lr = 0.05;

  it('lazy mode without a row source throws a clear error and changes nothing; addRowSource then trains lazily', async () => {
    const w = randVar([6, 2], 300);
    const g = randGrad([6, 2], 301);
    const w0 = values(w);
    const opt = fusedAdam(lr, 0.9, 0.999, null, { lazy: true });
    expect(() => opt.applyGradients({ [w.name]: g })).toThrow(/FusedAdamOptimizer rowSources.*at least one row source in lazy mode.*addRowSource.*got none/);
    expect(values(w)).toEqual(w0);
    expect(opt.iterations).toBe(0);
    expect(await opt.getWeights()).toHaveLength(1); // iter only: no state was created
    const layer = new StepRows();
    opt.addRowSource(layer);
    opt.addRowSource(layer); // once
    layer.set(w, Int32Array.of(4));
    opt.applyGradients({ [w.name]: g });
    const after = values(w);
    for (let r = 0; r < 6; r++) {
      if (r === 4) expect(after.subarray(8, 10)).not.toEqual(w0.subarray(8, 10));
      else expect(after.subarray(2 * r, 2 * r + 2)).toEqual(w0.subarray(2 * r, 2 * r + 2));
    }
    expect(layer.cleared).toEqual([w.name]);
    opt.dispose();
    tf.dispose([w, g]);
  });

  it('the first source that knows a variable decides; every source is told once the variable was applied; a failed step clears nothing', () => {
    const [a, b, c] = [randVar([5, 2], 310), randVar([5, 2], 311), randVar([5], 312)];
    const [first, second] = [new StepRows(), new StepRows()];
    const opt = fusedAdam(lr, 0.9, 0.999, null, { lazy: true, rowSources: [first, second] });
    const grads = [randGrad([5, 2], 313), randGrad([5, 2], 314), randGrad([5], 315)];
    const before = [a, b, c].map(values);
    first.set(a, Int32Array.of(0));
    second.set(a, Int32Array.of(1)); // shadowed by `first`
    second.set(b, Int32Array.of(2, 2));
    // c: no source knows it, dense update
    second.set(c, Int32Array.of(9)); // out of range: the whole step is rejected
    const feed = { [a.name]: grads[0], [b.name]: grads[1], [c.name]: grads[2] };
    expect(() => opt.applyGradients(feed)).toThrow(/sparse rows of '.*' \(entry 0\).*\[0, 5\).*got 9/);
    expect(first.cleared).toEqual([]);
    expect(second.cleared).toEqual([]);
    [a, b, c].forEach((v, i) => expect(values(v)).toEqual(before[i]));
    second.set(c, null);
    opt.applyGradients(feed);
    const changedRows = (v: tf.Variable, i: number) => {
      const [x, x0] = [values(v), before[i]];
      const cols = v.size / v.shape[0];
      return Array.from({ length: v.shape[0] }, (_, r) => r).filter((r) => x.subarray(r * cols, (r + 1) * cols).some((e, j) => e !== x0[r * cols + j]));
    };
    expect(changedRows(a, 0)).toEqual([0]);
    expect(changedRows(b, 1)).toEqual([2]);
    expect(changedRows(c, 2)).toEqual([0, 1, 2, 3, 4]);
    expect(first.cleared).toEqual([a.name, b.name, c.name]);
    expect(second.cleared).toEqual([a.name, b.name, c.name]);
    expect(second.touchedRows(a)).toBeNull();
    opt.dispose();
    tf.dispose([a, b, c, ...grads]);
  });

  it('rejects row sources that are not RowSparseSources, naming the argument', () => {
    expect(() => fusedAdam(lr, 0.9, 0.999, null, { lazy: true, rowSources: [{}] as unknown as RowSparseSource[] })).toThrow(
      /FusedAdamOptimizer rowSource.*touchedRows\(variable\) and clearTouchedRows\(variable\)/,
    );
    expect(() => fusedAdam(lr, 0.9, 0.999, null, { rowSources: {} as unknown as RowSparseSource[] })).toThrow(/opts.rowSources.*an array/);
    expect(() => fusedAdam(lr).addRowSource(null as unknown as RowSparseSource)).toThrow(/rowSource/);
  });
});
