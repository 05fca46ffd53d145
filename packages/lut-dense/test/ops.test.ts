import * as tf from '@tensorflow/tfjs';
import { describeBackends, expectNoLeak } from '../../../tools/testing/backends';
import { SeededRandom } from '@hashlayers/core/internal';
import { lutMatMul, lutSum, maddnessEncode } from '../src';
import { lutSumTableGrad } from '../src/ops/lut_sum';

/** Reference traversal, written independently of the kernel: explicit recursion over a node tree. */
interface Node {
  dim: number;
  thr: number;
  left: Node | number;
  right: Node | number;
}
function buildTree(dims: number[], thr: number[], level = 0, b = 0): Node | number {
  if (level === 4) return b;
  return {
    dim: dims[level],
    thr: thr[(1 << level) - 1 + b],
    left: buildTree(dims, thr, level + 1, 2 * b),
    right: buildTree(dims, thr, level + 1, 2 * b + 1),
  };
}
function traverse(node: Node | number, row: Float32Array): number {
  if (typeof node === 'number') return node;
  // ties: a value equal to the threshold goes left
  return traverse(row[node.dim] <= node.thr ? node.left : node.right, row);
}

function randomTrees(rng: SeededRandom, c: number, d: number) {
  const dims = Int32Array.from({ length: c * 4 }, () => rng.int(d));
  // thresholds on a coarse grid so that inputs on the same grid hit them exactly
  const thr = Float32Array.from({ length: c * 15 }, () => rng.int(5) - 2);
  return { dims, thr };
}

describeBackends('maddnessEncode / lutSum / lutMatMul', () => {
  const rng = new SeededRandom(7);
  const n = 64;
  const d = 12;
  const c = 5;
  const m = 7;
  const { dims, thr } = randomTrees(rng, c, d);
  // integer inputs in [-3, 3]: about a fifth of the comparisons are exact ties
  const xv = Float32Array.from({ length: n * d }, () => rng.int(7) - 3);
  const tv = Float32Array.from({ length: c * 16 * m }, () => rng.gaussian());

  it('importing the package registered its kernels on this backend and their gradients (no call needed)', () => {
    for (const k of ['HashlayersMaddnessEncode', 'HashlayersLutSum', 'HashlayersLutSumTableGrad']) {
      expect(tf.getKernel(k, tf.getBackend())).toBeDefined();
    }
    for (const k of ['HashlayersMaddnessEncode', 'HashlayersLutSum']) expect(tf.getGradient(k)).toBeDefined();
  });

  it('encoding equals a plain reference traversal, including ties', () => {
    const x = tf.tensor2d(xv, [n, d]);
    const sd = tf.tensor2d(dims, [c, 4], 'int32');
    const th = tf.tensor2d(thr, [c, 15]);
    const codes = expectNoLeak(() => maddnessEncode(x, sd, th), 1);
    expect(codes.dtype).toBe('int32');
    expect(codes.shape).toEqual([n, c]);
    const got = codes.dataSync();
    let ties = 0;
    for (let j = 0; j < c; j++) {
      const tree = buildTree(Array.from(dims.slice(j * 4, j * 4 + 4)), Array.from(thr.slice(j * 15, j * 15 + 15)));
      for (let i = 0; i < n; i++) {
        const row = xv.slice(i * d, i * d + d);
        expect(got[i * c + j]).toBe(traverse(tree, row));
        for (let l = 0; l < 4; l++) if (thr.includes(row[dims[j * 4 + l]])) ties++;
      }
    }
    expect(ties).toBeGreaterThan(50);
    tf.dispose([x, sd, th, codes]);
  });

  it('lutSum equals the sum of the selected table rows; lutMatMul = lutSum(encode)', () => {
    const x = tf.tensor2d(xv, [n, d]);
    const sd = tf.tensor2d(dims, [c, 4], 'int32');
    const th = tf.tensor2d(thr, [c, 15]);
    const t = tf.tensor3d(tv, [c, 16, m]);
    const y = expectNoLeak(() => lutMatMul(x, sd, th, t), 1);
    const yv = y.dataSync();
    for (let i = 0; i < n; i++) {
      const row = xv.slice(i * d, i * d + d);
      for (let q = 0; q < m; q++) {
        let s = 0;
        for (let j = 0; j < c; j++) {
          const leaf = traverse(buildTree(Array.from(dims.slice(j * 4, j * 4 + 4)), Array.from(thr.slice(j * 15, j * 15 + 15))), row);
          s += tv[(j * 16 + leaf) * m + q];
        }
        expect(yv[i * m + q]).toBeCloseTo(s, 4);
      }
    }
    tf.dispose([x, sd, th, t, y]);
  });

  it('the table gradient equals the closed form and trains the table with an optimizer', () => {
    const codesV = Int32Array.from({ length: n * c }, () => rng.int(16));
    const codes = tf.tensor2d(codesV, [n, c], 'int32');
    const dyV = Float32Array.from({ length: n * m }, () => rng.gaussian());
    const dy = tf.tensor2d(dyV, [n, m]);
    const t = tf.tensor3d(tv, [c, 16, m]);
    // d/dT of sum(lutSum(codes, T) * dy) is the table gradient; reference by brute force
    const g = expectNoLeak(() => tf.grad((tt: tf.Tensor) => tf.sum(tf.mul(lutSum(codes, tt as tf.Tensor3D), dy)))(t), 1);
    const ref = new Float64Array(c * 16 * m);
    for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) for (let q = 0; q < m; q++) ref[(j * 16 + codesV[i * c + j]) * m + q] += dyV[i * m + q];
    const gv = g.dataSync();
    for (let k = 0; k < ref.length; k++) expect(gv[k]).toBeCloseTo(ref[k], 4);
    const direct = lutSumTableGrad(codes, dy);
    expect(Array.from(direct.dataSync())).toEqual(Array.from(gv));
    // least squares on the table: the loss falls to (near) its minimum
    const target = tf.randomNormal([n, m], 0, 1, 'float32', 3);
    const v = tf.variable(tf.zeros([c, 16, m]));
    const opt = tf.train.adam(0.1);
    const loss = () => tf.mean(tf.square(tf.sub(lutSum(codes, v as unknown as tf.Tensor3D), target))) as tf.Scalar;
    const l0 = tf.tidy(() => loss().dataSync()[0]);
    for (let s = 0; s < 100; s++) opt.minimize(loss);
    const l1 = tf.tidy(() => loss().dataSync()[0]);
    expect(l1).toBeLessThan(0.5 * l0);
    tf.dispose([codes, dy, t, g, direct, target, v]);
    opt.dispose();
  });

  it("'ste' input gradient is dy·Wᵀ; without it the input gets no gradient", () => {
    const x = tf.tensor2d(xv, [n, d]);
    const sd = tf.tensor2d(dims, [c, 4], 'int32');
    const th = tf.tensor2d(thr, [c, 15]);
    const t = tf.tensor3d(tv, [c, 16, m]);
    const w = tf.randomNormal([d, m], 0, 1, 'float32', 4) as tf.Tensor2D;
    const dy = tf.randomNormal([n, m], 0, 1, 'float32', 5);
    const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(lutMatMul(xx as tf.Tensor2D, sd, th, t, { steKernel: w }), dy)))(x);
    const ref = tf.matMul(dy, w, false, true);
    expect(tf.max(tf.abs(tf.sub(gx, ref))).dataSync()[0]).toBeLessThan(1e-4);
    const g0 = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(lutMatMul(xx as tf.Tensor2D, sd, th, t), dy)))(x);
    expect(tf.max(tf.abs(g0)).dataSync()[0]).toBe(0);
    tf.dispose([x, sd, th, t, w, dy, gx, ref, g0]);
  });

  it('clear errors on bad input, nothing allocated', () => {
    const x = tf.tensor2d(xv, [n, d]);
    const sd = tf.tensor2d(dims, [c, 4], 'int32');
    const th = tf.tensor2d(thr, [c, 15]);
    const t = tf.tensor3d(tv, [c, 16, m]);
    const before = tf.memory().numTensors;
    expect(() => maddnessEncode(tf.zeros([3]) as unknown as tf.Tensor2D, sd, th)).toThrow(/x: expected a rank-2 tensor/);
    expect(() => maddnessEncode(x, tf.cast(sd, 'float32') as tf.Tensor2D, th)).toThrow(/splitDims: expected dtype int32/);
    expect(() => maddnessEncode(x, sd, tf.zeros([c, 14]) as tf.Tensor2D)).toThrow(/thresholds: expected shape \[5, 15\]/);
    const badDims = tf.tensor2d(Int32Array.from(dims, (v, i) => (i === 3 ? d : v)), [c, 4], 'int32');
    expect(() => maddnessEncode(x, badDims, th)).toThrow(/splitDims: expected dimensions in \[0, 12\), got 12/);
    const codes = tf.tensor2d(Int32Array.from({ length: n * c }, (_, i) => (i === 9 ? 16 : 0)), [n, c], 'int32');
    expect(() => lutSum(codes, t)).toThrow(/codes: expected integers in \[0, 16\), got 16/);
    expect(() => lutSum(tf.zeros([n, c + 1], 'int32') as tf.Tensor2D, t)).toThrow(/codes: expected 5 columns/);
    expect(() => lutSum(tf.zeros([n, c], 'int32') as tf.Tensor2D, tf.zeros([c, 15, m]) as tf.Tensor3D)).toThrow(/tables: expected shape \[C, 16, units\]/);
    expect(() => lutMatMul(x, sd, th, t, { steKernel: tf.zeros([d, m + 1]) as tf.Tensor2D })).toThrow(/steKernel: expected 7 columns/);
    tf.dispose([badDims, codes]);
    // the throwing calls above created only their own argument tensors
    expect(tf.memory().numTensors - before).toBe(7); // exactly the 7 argument tensors created inline above
    tf.dispose([x, sd, th, t]);
  });
});
