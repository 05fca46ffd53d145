import { ClassRowEngine, KernelThreads, SeededRandom, setEngineThreads, setWasmSimdKernels } from '../src/internal';

/** Float64 reference of the engine: logits, d/dh and lazy Adam over the rows each step touches. */
class Reference {
  w: Float64Array;
  b: Float64Array;
  m: Float64Array;
  v: Float64Array;
  mb: Float64Array;
  vb: Float64Array;
  t = 0;
  constructor(
    readonly units: number,
    readonly dim: number,
    w: ArrayLike<number>,
    b: ArrayLike<number>,
  ) {
    this.w = Float64Array.from(w);
    this.b = Float64Array.from(b);
    this.m = new Float64Array(units * dim);
    this.v = new Float64Array(units * dim);
    this.mb = new Float64Array(units);
    this.vb = new Float64Array(units);
  }
  logits(h: ArrayLike<number>, ids: Int32Array, batch: number, width: number): Float64Array {
    const out = new Float64Array(batch * width);
    for (let i = 0; i < batch; i++) {
      for (let j = 0; j < width; j++) {
        const c = ids[i * width + j];
        if (c < 0) continue;
        let s = this.b[c];
        for (let e = 0; e < this.dim; e++) s += h[i * this.dim + e] * this.w[c * this.dim + e];
        out[i * width + j] = s;
      }
    }
    return out;
  }
  backward(h: ArrayLike<number>, ids: Int32Array, batch: number, width: number, dz: ArrayLike<number>, lr: number, b1: number, b2: number, eps: number): Float64Array {
    const { dim } = this;
    const dh = new Float64Array(batch * dim);
    const gw = new Map<number, Float64Array>();
    const gb = new Map<number, number>();
    for (let i = 0; i < batch; i++) {
      for (let j = 0; j < width; j++) {
        const c = ids[i * width + j];
        if (c < 0) continue;
        const d = dz[i * width + j];
        if (!gw.has(c)) gw.set(c, new Float64Array(dim));
        const g = gw.get(c) as Float64Array;
        for (let e = 0; e < dim; e++) {
          dh[i * dim + e] += d * this.w[c * dim + e];
          g[e] += d * h[i * dim + e];
        }
        gb.set(c, (gb.get(c) ?? 0) + d);
      }
    }
    this.t++;
    const c1 = 1 - Math.pow(b1, this.t);
    const c2 = 1 - Math.pow(b2, this.t);
    const step = (x: Float64Array, m: Float64Array, v: Float64Array, i: number, g: number) => {
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      x[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    };
    for (const [c, g] of gw) for (let e = 0; e < dim; e++) step(this.w, this.m, this.v, c * dim + e, g[e]);
    for (const [c, g] of gb) step(this.b, this.mb, this.vb, c, g);
    return dh;
  }
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe.each([true, false])('ClassRowEngine (SIMD %s)', (simd) => {
  let before: boolean;
  beforeAll(() => {
    before = setWasmSimdKernels(simd);
  });
  afterAll(() => {
    setWasmSimdKernels(before);
  });

  const units = 50;
  const dim = 13; // not a multiple of 4: the SIMD loops' scalar tails run
  const batch = 6;
  const width = 9;

  function setup(seed: number) {
    const rng = new SeededRandom(seed);
    const w = Float32Array.from({ length: units * dim }, () => rng.gaussian());
    const b = Float32Array.from({ length: units }, () => rng.gaussian());
    const engine = new ClassRowEngine(units, dim, true);
    engine.load(w, b);
    return { rng, engine, ref: new Reference(units, dim, w, b) };
  }

  /** Candidate ids: distinct per row, shared across rows, padding at the end of some rows. */
  function candidates(rng: SeededRandom, pool: number): Int32Array {
    const ids = new Int32Array(batch * width).fill(-1);
    for (let i = 0; i < batch; i++) {
      const n = width - (i % 3);
      const seen = new Set<number>();
      for (let j = 0; j < n; j++) {
        let c = rng.int(pool);
        while (seen.has(c)) c = (c + 1) % pool;
        seen.add(c);
        ids[i * width + j] = c;
      }
    }
    return ids;
  }

  it('logits equal h · W[c] + b[c] (float64 reference); padding gives 0', () => {
    const { rng, engine, ref } = setup(1);
    expect(engine.simd).toBe(simd && typeof WebAssembly !== 'undefined' && engine.simd);
    const h = Float32Array.from({ length: batch * dim }, () => rng.gaussian());
    const ids = candidates(rng, units);
    const out = new Float32Array(batch * width);
    engine.logits(h, batch, ids, width, out);
    expect(maxAbs(out, ref.logits(h, ids, batch, width))).toBeLessThan(1e-4);
    for (let p = 0; p < ids.length; p++) if (ids[p] < 0) expect(out[p]).toBe(0);
  });

  it('backward: d/dh and lazy Adam over the touched rows equal a float64 reference over 4 steps; other rows and their moments untouched', () => {
    const { rng, engine, ref } = setup(2);
    const adam = { learningRate: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    const w0 = Float32Array.from(engine.rows());
    expect(engine.takeChangedRows().length).toBe(units); // the load changed every row
    // steps draw from the first 30 classes only: rows 30..49 never get a gradient
    for (let s = 0; s < 4; s++) {
      const h = Float32Array.from({ length: batch * dim }, () => rng.gaussian());
      const ids = candidates(rng, 30);
      const dz = Float32Array.from({ length: batch * width }, () => rng.gaussian());
      const dh = new Float32Array(batch * dim);
      const rows = engine.backward(h, batch, ids, width, dz, dh, adam);
      const dhRef = ref.backward(h, ids, batch, width, dz, adam.learningRate, adam.beta1, adam.beta2, adam.epsilon);
      expect(maxAbs(dh, dhRef)).toBeLessThan(1e-4);
      expect(Array.from(rows)).toEqual([...new Set(Array.from(ids).filter((c) => c >= 0))].sort((a, b) => a - b));
      // relative to the step size (lr = 0.05): float32 against float64
      expect(maxAbs(engine.rows(), ref.w)).toBeLessThan(2e-4);
      expect(maxAbs(engine.bias() as Float32Array, ref.b)).toBeLessThan(2e-4);
    }
    expect(engine.steps).toBe(4);
    expect(Array.from(engine.rows().subarray(30 * dim))).toEqual(Array.from(w0.subarray(30 * dim)));
    const changed = engine.takeChangedRows();
    expect(Math.max(...changed)).toBeLessThan(30);
    expect(engine.takeChangedRows().length).toBe(0);
  });

  it('backward without an optimizer gives d/dh and changes nothing', () => {
    const { rng, engine } = setup(3);
    const w0 = Float32Array.from(engine.rows());
    const v0 = engine.version;
    const ids = candidates(rng, units);
    const h = Float32Array.from({ length: batch * dim }, () => rng.gaussian());
    const dh = new Float32Array(batch * dim);
    engine.backward(h, batch, ids, width, new Float32Array(batch * width).fill(1), dh, null);
    expect(Array.from(engine.rows())).toEqual(Array.from(w0));
    expect(engine.version).toBe(v0);
    expect(dh.some((x) => x !== 0)).toBe(true);
  });

  it('scoreLists: ragged lists (one query each, or a query map) equal h · W[c] + b[c] (float64 reference), one list or several', () => {
    const { rng, engine, ref } = setup(5);
    const h = Float32Array.from({ length: batch * dim }, () => rng.gaussian());
    // lists of different lengths (one empty), classes repeated across lists
    const lengths = [7, 0, 12, 3, 9, 1];
    const rowStart = new Int32Array(batch + 1);
    for (let i = 0; i < batch; i++) rowStart[i + 1] = rowStart[i] + lengths[i];
    const ids = Int32Array.from({ length: rowStart[batch] }, () => rng.int(units));
    const want = (i: number, c: number) => ref.logits(h.subarray(i * dim, (i + 1) * dim), Int32Array.of(c), 1, 1)[0];
    const out = new Float32Array(ids.length);
    engine.scoreLists(h, ids, rowStart, batch, out);
    for (let i = 0; i < batch; i++) for (let p = rowStart[i]; p < rowStart[i + 1]; p++) expect(Math.abs(out[p] - want(i, ids[p]))).toBeLessThan(1e-4);
    // one list for query 4, through the query map (the exact fallback of topK: every class)
    const all = Int32Array.from({ length: units }, (_, c) => c);
    const one = new Float32Array(units);
    engine.scoreLists(h, all, Int32Array.of(0, units), 1, one, Int32Array.of(4));
    for (let c = 0; c < units; c++) expect(Math.abs(one[c] - want(4, c))).toBeLessThan(1e-4);
    // several lists mapped to queries in another order give the same scores as one at a time
    const perList = new Float32Array(ids.length);
    engine.scoreLists(h, ids, rowStart, batch, perList, Int32Array.from({ length: batch }, (_, i) => i));
    expect(Array.from(perList)).toEqual(Array.from(out));
    // bad ids and query rows are named; the next call is unaffected
    expect(() => engine.scoreLists(h, Int32Array.of(units), Int32Array.of(0, 1), 1, new Float32Array(1))).toThrow(/ids/);
    expect(() => engine.scoreLists(h, Int32Array.of(0), Int32Array.of(0, 1), 1, new Float32Array(1), Int32Array.of(batch))).toThrow(/queries/);
    expect(() => engine.scoreLists(h, Int32Array.of(0), Int32Array.of(0, 2), 1, new Float32Array(2))).toThrow(/rowStart/);
    const again = new Float32Array(ids.length);
    engine.scoreLists(h, ids, rowStart, batch, again);
    expect(Array.from(again)).toEqual(Array.from(out));
  });

  it('topKLists: the k best of each list (ties to the smaller id, -1 / −∞ padding) and its log-sum-exp equal a float64 reference; false without SIMD or for k > 64', () => {
    const { rng, engine, ref } = setup(6);
    const h = Float32Array.from({ length: batch * dim }, () => rng.gaussian());
    // lists of different lengths (one empty, some shorter than k), a class repeated within a list (a tie)
    const lengths = [7, 0, 12, 3, 9, 1];
    const rowStart = new Int32Array(batch + 1);
    for (let i = 0; i < batch; i++) rowStart[i + 1] = rowStart[i] + lengths[i];
    const ids = Int32Array.from({ length: rowStart[batch] }, () => rng.int(units));
    ids[rowStart[2] + 1] = ids[rowStart[2]];
    for (const k of [1, 4, 64, 65]) {
      const out = { ids: new Int32Array(batch * k), scores: new Float32Array(batch * k), logZ: new Float32Array(batch) };
      const ran = engine.topKLists(h, ids, rowStart, batch, k, out);
      expect(ran).toBe(simd && k <= 64);
      if (!ran) {
        expect(out.ids.every((x) => x === 0)).toBe(true); // untouched
        continue;
      }
      for (let i = 0; i < batch; i++) {
        const scored = Array.from(ids.subarray(rowStart[i], rowStart[i + 1]), (c) => ({ c, s: ref.logits(h.subarray(i * dim, (i + 1) * dim), Int32Array.of(c), 1, 1)[0] }));
        scored.sort((a, b) => b.s - a.s || a.c - b.c);
        for (let j = 0; j < k; j++) {
          if (j < scored.length) {
            expect(out.ids[i * k + j]).toBe(scored[j].c);
            expect(Math.abs(out.scores[i * k + j] - scored[j].s)).toBeLessThan(1e-4);
          } else {
            expect(out.ids[i * k + j]).toBe(-1);
            expect(out.scores[i * k + j]).toBe(-Infinity);
          }
        }
        if (scored.length === 0) {
          expect(out.logZ[i]).toBe(-Infinity);
          continue;
        }
        const max = scored[0].s;
        const logZ = max + Math.log(scored.reduce((a, p) => a + Math.exp(p.s - max), 0));
        expect(Math.abs(out.logZ[i] - logZ)).toBeLessThan(1e-4);
      }
    }
    // far-apart scores: terms below e^−87 vanish as they should, the log-partition stays finite
    const wide = new Float32Array(dim * batch);
    wide[0] = 1000;
    const one = { ids: new Int32Array(2), scores: new Float32Array(2), logZ: new Float32Array(1) };
    if (engine.topKLists(wide, Int32Array.of(0, 1), Int32Array.of(0, 2), 1, 2, one)) {
      const s0 = ref.logits(wide.subarray(0, dim), Int32Array.of(0), 1, 1)[0];
      const s1 = ref.logits(wide.subarray(0, dim), Int32Array.of(1), 1, 1)[0];
      const m = Math.max(s0, s1);
      expect(Math.abs(one.logZ[0] - (m + Math.log(Math.exp(s0 - m) + Math.exp(s1 - m))))).toBeLessThan(Math.abs(m) * 1e-6 + 1e-4);
    }
    const bad = () => engine.topKLists(h, Int32Array.of(units), Int32Array.of(0, 1), 1, 1, { ids: new Int32Array(1), scores: new Float32Array(1), logZ: new Float32Array(1) });
    if (simd) expect(bad).toThrow(/ids: expected class ids in \[0, 50\)/);
    else expect(bad()).toBe(false); // nothing to do here: the caller's scoreLists validates
  });

  it('unionRows: per query every class above the cut group and a seeded random subset of that group, by the definition (hits counted over the tables); deterministic; null without SIMD', () => {
    const { rng, engine } = setup(7);
    // CSR bucket tables over the engine's classes: class c in bucket code[l][c] of table l (codes in [0, 6))
    const tables = 5;
    const code = Array.from({ length: tables }, () => Int32Array.from({ length: units }, () => rng.int(6)));
    const keyStart = new Int32Array(tables + 1);
    const keys: number[] = [];
    const offsets: number[] = [0];
    const ids: number[] = [];
    for (let l = 0; l < tables; l++) {
      for (let k = 0; k < 6; k++) {
        const members = Array.from({ length: units }, (_, c) => c).filter((c) => code[l][c] === k);
        if (members.length === 0) continue;
        keys.push(k);
        ids.push(...members);
        offsets.push(ids.length);
      }
      keyStart[l + 1] = keys.length;
    }
    const t = { tables, numItems: units, keyStart, keys: Int32Array.from(keys), offsets: Int32Array.from(offsets), ids: Int32Array.from(ids) };
    const nq = 40; // ≥ 32: shared with worker threads where there are any
    const codes = Int32Array.from({ length: nq * tables }, () => rng.int(7)); // 6: a bucket no class is in
    const seeds = Int32Array.from({ length: nq }, (_, i) => i * 7919);
    for (const maxCandidates of [4, 15, units]) {
      const got = engine.unionRows(t, codes, nq, maxCandidates, 1, seeds);
      if (!simd) {
        expect(got).toBeNull();
        return;
      }
      const r = got as { ids: Int32Array; offsets: Int32Array };
      let thinned = 0;
      for (let i = 0; i < nq; i++) {
        const hits = new Map<number, number>();
        for (let l = 0; l < tables; l++) for (let c = 0; c < units; c++) if (code[l][c] === codes[i * tables + l]) hits.set(c, (hits.get(c) ?? 0) + 1);
        const byHits = [...hits.values()].sort((a, b) => b - a);
        const mine = Array.from(r.ids.subarray(r.offsets[i], r.offsets[i + 1]));
        expect(mine.length).toBe(Math.min(maxCandidates, hits.size));
        expect(new Set(mine).size).toBe(mine.length);
        if (mine.length === 0) continue;
        const cutHits = byHits[mine.length - 1];
        for (const [c, h] of hits) if (h > cutHits) expect(mine).toContain(c);
        for (const c of mine) expect(hits.get(c) ?? 0).toBeGreaterThanOrEqual(cutHits);
        if (byHits.filter((h) => h === cutHits).length > mine.filter((c) => hits.get(c) === cutHits).length) thinned++;
      }
      if (maxCandidates < units) expect(thinned).toBeGreaterThan(0); // the cut fell inside a group somewhere
      // deterministic, and the hit counters are back at zero (the same call gives the same candidates)
      expect(engine.unionRows(t, codes, nq, maxCandidates, 1, seeds)).toEqual(r);
      // other seeds thin the groups differently
      if (maxCandidates === 4) expect(engine.unionRows(t, codes, nq, maxCandidates, 1, seeds.map((x) => x + 1))).not.toEqual(r);
      // without seeds (inference): the same counts, and the tied group's smallest ids
      const plain = engine.unionRows(t, codes, nq, maxCandidates, 1, null) as { ids: Int32Array; offsets: Int32Array };
      expect(plain.offsets).toEqual(r.offsets);
      for (let i = 0; i < nq; i++) {
        const hits = new Map<number, number>();
        for (let l = 0; l < tables; l++) for (let c = 0; c < units; c++) if (code[l][c] === codes[i * tables + l]) hits.set(c, (hits.get(c) ?? 0) + 1);
        const want = [...hits].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, maxCandidates).map(([c]) => c).sort((a, b) => a - b);
        expect(Array.from(plain.ids.subarray(plain.offsets[i], plain.offsets[i + 1])).sort((a, b) => a - b)).toEqual(want);
      }
    }
    // by bias: the tied group's classes of the largest bias (ties to the smaller id), whatever the seeds
    const bias = Float32Array.from(engine.bias() as Float32Array);
    for (const maxCandidates of [4, 15]) {
      const byBias = engine.unionRows(t, codes, nq, maxCandidates, 1, seeds, true) as { ids: Int32Array; offsets: Int32Array };
      for (let i = 0; i < nq; i++) {
        const hits = new Map<number, number>();
        for (let l = 0; l < tables; l++) for (let c = 0; c < units; c++) if (code[l][c] === codes[i * tables + l]) hits.set(c, (hits.get(c) ?? 0) + 1);
        const want = [...hits].sort((a, b) => b[1] - a[1] || bias[b[0]] - bias[a[0]] || a[0] - b[0]).slice(0, maxCandidates).map(([c]) => c).sort((a, b) => a - b);
        expect(Array.from(byBias.ids.subarray(byBias.offsets[i], byBias.offsets[i + 1])).sort((a, b) => a - b)).toEqual(want);
      }
    }
    expect(() => engine.unionRows(t, codes, nq, 4, tables + 1, null)).toThrow(/minTableHits/);
    expect(() => engine.unionRows(t, codes.subarray(1), nq, 4, 1, seeds)).toThrow(/codes/);
    expect(() => engine.unionRows({ ...t, numItems: units + 1 }, codes, nq, 4, 1, seeds)).toThrow(/tables/);
  });

  it('rejects ids out of range or of the wrong count, naming them, and a disposed engine', () => {
    const { engine } = setup(4);
    const h = new Float32Array(batch * dim);
    const out = new Float32Array(batch * width);
    expect(() => engine.logits(h, batch, new Int32Array(batch * width).fill(units), width, out)).toThrow(/ids/);
    expect(() => engine.logits(h, batch, new Int32Array(batch * width).fill(-2), width, out)).toThrow(/ids/);
    expect(() => engine.logits(h, batch, new Int32Array(3), width, out)).toThrow(/ids/);
    expect(() => engine.load(new Float32Array(3), new Float32Array(units))).toThrow(/rows/);
    // a bad id after good ones: the engine's per-class counters are left clean for the next call
    const mixed = new Int32Array(batch * width).fill(5);
    mixed[mixed.length - 1] = units + 3;
    expect(() => engine.logits(h, batch, mixed, width, out)).toThrow(/ids/);
    const ids = new Int32Array(batch * width).map((_, p) => p % units);
    const ref = new Reference(units, dim, engine.rows(), engine.bias() as Float32Array);
    const hv = Float32Array.from({ length: batch * dim }, (_, p) => Math.sin(p));
    engine.logits(hv, batch, ids, width, out);
    expect(maxAbs(out, ref.logits(hv, ids, batch, width))).toBeLessThan(1e-4);
    engine.dispose();
    expect(() => engine.rows()).toThrow(/disposed/);
  });
});

describe('ClassRowEngine on worker threads', () => {
  it('gives the same logits, top-k and candidates as one thread, d/dh and the Adam step up to float32 rounding order', () => {
    const units = 3000;
    const dim = 18;
    const batch = 64;
    const width = 300; // 19,200 pairs: above the size at which the kernels are shared with workers
    const rng = new SeededRandom(11);
    const w = Float32Array.from({ length: units * dim }, () => rng.gaussian());
    const b = Float32Array.from({ length: units }, () => rng.gaussian());
    const h = Float32Array.from({ length: batch * dim }, () => rng.gaussian());
    const ids = Int32Array.from({ length: batch * width }, () => rng.int(units));
    const dz = Float32Array.from({ length: batch * width }, () => rng.gaussian());
    const rowStart = Int32Array.from({ length: batch + 1 }, (_, i) => i * width);
    const adam = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    const run = (threads: number) => {
      const before = setEngineThreads(threads);
      try {
        const engine = new ClassRowEngine(units, dim, true);
        engine.load(w, b);
        const z = new Float32Array(batch * width);
        engine.logits(h, batch, ids, width, z);
        const top = { ids: new Int32Array(batch * 5), scores: new Float32Array(batch * 5), logZ: new Float32Array(batch) };
        const finished = engine.topKLists(h, ids, rowStart, batch, 5, top);
        const dh = new Float32Array(batch * dim);
        engine.backward(h, batch, ids, width, dz, dh, adam);
        const rows = Float32Array.from(engine.rows());
        engine.dispose();
        return { z, top, finished, dh, rows };
      } finally {
        setEngineThreads(before);
      }
    };
    const one = run(1);
    const two = run(2);
    expect(two.finished).toBe(one.finished);
    expect(Array.from(two.z)).toEqual(Array.from(one.z));
    expect(Array.from(two.top.ids)).toEqual(Array.from(one.top.ids));
    expect(Array.from(two.top.logZ)).toEqual(Array.from(one.top.logZ));
    for (let e = 0; e < one.dh.length; e++) expect(Math.abs(two.dh[e] - one.dh[e])).toBeLessThan(1e-4 * (1 + Math.abs(one.dh[e])));
    for (let e = 0; e < one.rows.length; e++) expect(Math.abs(two.rows[e] - one.rows[e])).toBeLessThan(1e-6);
  });

  it('starts worker threads on a shared memory in Node.js, and names a bad thread count', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
    const owner = {};
    const threads = KernelThreads.create(memory, 1, owner);
    expect(threads).not.toBeNull();
    threads?.dispose();
    expect(() => setEngineThreads(0)).toThrow(/threads: expected an integer in \[1, 64\]/);
  });
});
