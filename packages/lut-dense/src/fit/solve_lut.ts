import type * as tf from '@tensorflow/tfjs-core';
import { adamConstants, adamDense, assertFiniteArray, assertInt, assertOneOf, betaPower, fail } from '@hashlayers/core/internal';
import { LEAVES } from '../kernels/maddness_encode.js';
import { choleskySolve, gTimes, gram, matmul } from './linear.js';
import { contiguousPartition, correlationPartition, Partition } from './partition.js';
import { quantizeTables, QuantizedTables } from './quantize.js';
import { leafCounts, learnTrees } from './trees.js';

export type Objective = 'reconstruct' | 'mse' | 'kl';

export interface FitLUTOptions {
  /** C, the number of codebooks (each with a 16-leaf tree and a table of 16 rows). */
  codebooks: number;
  /**
   * 'reconstruct' (MADDNESS, default): prototypes = bucket means refined by
   * ridge regression, table = prototypes · W. 'mse' (McCarter–Dronen): the
   * table is fitted by ridge regression to the layer's pre-activation output
   * on `targetInputs` (default: the same inputs). 'kl' (for softmax layers):
   * the 'mse' table refined by Adam on KL(softmax target ‖ softmax LUT).
   */
  objective?: Objective;
  /** 'contiguous' (MADDNESS, default) or 'correlation' (McCarter–Dronen's column clustering). */
  partition?: Partition;
  /** Store 8-bit tables (integers in [0, 255] with a scale and offset per output). */
  quantize?: boolean;
  /** Ridge penalty λ (default 1, as in MADDNESS). */
  lambda?: number;
  /** 'reconstruct': refine the bucket means by ridge regression (default true; false keeps plain bucket means). */
  refine?: boolean;
  /** Split-dimension candidates tried per level, the top ones by summed bucket SSE (default 4). */
  splitCandidates?: number;
  /** 'mse' / 'kl': the inputs the *original* network gives this layer (row-aligned with `inputs`). */
  targetInputs?: tf.Tensor2D;
  /** 'kl': Adam steps (default 200) and learning rate (default 0.01). */
  klSteps?: number;
  klLearningRate?: number;
}

export interface FitReport {
  codebooks: number;
  objective: Objective;
  partition: Partition;
  rows: number;
  /** Input dimensions of each codebook. */
  subspaces: Int32Array[];
  /** [C·16] training rows per leaf. */
  leafCounts: Int32Array;
  /** Mean squared error of the fitted (float) table output against the target pre-activation output, per element (on ≤ 2048 evenly spaced fitting rows). */
  outputMse: number;
  /** 8-bit tables: bound on the quantisation error of each output. */
  quantizationErrorBound?: Float32Array;
  seconds: number;
}

export interface SolvedLUT {
  splitDims: Int32Array;
  thresholds: Float32Array;
  /** [C·16·M] float tables (before quantisation). */
  tables: Float32Array;
  quantized: QuantizedTables | null;
  report: FitReport;
}

export interface DenseParams {
  kernel: Float32Array; // [D, M]
  bias: Float32Array | null; // [M]
  inputDim: number;
  units: number;
  /** The activation's serialized name: the fitting knows only 'softmax' (the 'kl' objective). */
  activation: string;
}

/** Checks and defaults the fit options (throws before anything is changed). */
export function checkFitOptions(o: FitLUTOptions, inputDim: number, activation: string) {
  if (o == null || typeof o !== 'object') fail('options', 'an object with codebooks', o);
  const codebooks = assertInt('codebooks', o.codebooks, 1, inputDim);
  const objective = assertOneOf('objective', o.objective ?? 'reconstruct', ['reconstruct', 'mse', 'kl']);
  if (objective === 'kl' && activation !== 'softmax') fail('objective', "'kl' only for a softmax layer", `activation '${activation}'`);
  const partition = assertOneOf('partition', o.partition ?? 'contiguous', ['contiguous', 'correlation']);
  const lambda = o.lambda ?? 1;
  if (typeof lambda !== 'number' || !(lambda >= 0) || !Number.isFinite(lambda)) fail('lambda', 'a finite number ≥ 0', lambda);
  const refine = o.refine ?? true;
  if (lambda === 0 && (refine || objective !== 'reconstruct')) {
    fail('lambda', "> 0 (ridge regression; use refine: false with objective 'reconstruct' for plain bucket means)", lambda);
  }
  const splitCandidates = assertInt('splitCandidates', o.splitCandidates ?? 4, 1);
  const klSteps = assertInt('klSteps', o.klSteps ?? 200, 0);
  const klLearningRate = o.klLearningRate ?? 0.01;
  if (!(klLearningRate > 0)) fail('klLearningRate', 'a positive number', klLearningRate);
  return { codebooks, objective, partition, lambda, refine, splitCandidates, klSteps, klLearningRate, quantize: o.quantize ?? false };
}

/** Pre-activation output X·W + b of the dense layer, [n, M] float64. */
function denseOutput(x: Float32Array, n: number, p: DenseParams): Float64Array {
  const y = new Float64Array(n * p.units);
  const m = p.units;
  for (let i = 0; i < n; i++) {
    const o = i * m;
    if (p.bias) for (let q = 0; q < m; q++) y[o + q] = p.bias[q];
    for (let k = 0; k < p.inputDim; k++) {
      const v = x[i * p.inputDim + k];
      if (v === 0) continue;
      const w = k * m;
      for (let q = 0; q < m; q++) y[o + q] += v * p.kernel[w + q];
    }
  }
  return y;
}

/**
 * Learns the trees, the prototypes and the table of one layer from inputs
 * x [n, D] (row-major) and the dense parameters it replaces.
 */
export function solveLUT(
  x: Float32Array,
  n: number,
  p: DenseParams,
  options: FitLUTOptions,
  targetX: Float32Array | null,
  targetXW: ArrayLike<number> | null = null,
): SolvedLUT {
  const o = checkFitOptions(options, p.inputDim, p.activation);
  const start = performance.now();
  if (n < 1) fail('inputs', 'at least one row', n);
  assertFiniteArray('inputs', x);
  if (targetX) assertFiniteArray('targetInputs', targetX);
  const d = p.inputDim;
  const m = p.units;
  const c = o.codebooks;
  const subspaces = o.partition === 'contiguous' ? contiguousPartition(d, c) : correlationPartition(x, n, d, c);
  const trees = learnTrees(x, n, d, subspaces, o.splitCandidates);
  const counts = leafCounts(trees.codes, n, c);
  const k = c * LEAVES;
  let table: Float64Array;
  // pre-activation target without the bias: (targetInputs ?? inputs) · W
  let yTarget: Float64Array;
  if (targetXW != null) {
    if (targetXW.length !== n * m) fail('targetXW', `${n * m} values`, targetXW.length);
    yTarget = Float64Array.from(targetXW);
  } else {
    yTarget = denseOutput(targetX ?? x, n, { ...p, bias: null });
  }
  if (o.objective === 'reconstruct') {
    let protos: Float64Array;
    if (o.refine) {
      protos = choleskySolve(gram(trees.codes, n, c, o.lambda), k, gTimes(trees.codes, n, c, x, d), d);
    } else {
      // plain bucket means, each prototype zero outside its codebook's subspace
      protos = new Float64Array(k * d);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < c; j++) {
          const row = (j * LEAVES + trees.codes[i * c + j]) * d;
          for (const dim of subspaces[j]) protos[row + dim] += x[i * d + dim];
        }
      }
      for (let r = 0; r < k; r++) {
        const cnt = counts[r];
        if (cnt > 0) for (let q = 0; q < d; q++) protos[r * d + q] /= cnt;
      }
    }
    table = matmul(protos, k, d, p.kernel, m);
  } else {
    table = choleskySolve(gram(trees.codes, n, c, o.lambda), k, gTimes(trees.codes, n, c, yTarget, m), m);
  }
  let tables: Float32Array = Float32Array.from(table);
  if (o.objective === 'kl' && o.klSteps > 0) tables = refineKL(trees.codes, n, c, tables, m, yTarget, p.bias, o.klSteps, o.klLearningRate);
  // output error of the float table on (at most 2048 evenly spaced) fitting rows
  let se = 0;
  const rowsForError = Math.min(n, 2048);
  for (let e = 0; e < rowsForError; e++) {
    const i = Math.floor((e * n) / rowsForError);
    for (let q = 0; q < m; q++) {
      let s = 0;
      for (let j = 0; j < c; j++) s += tables[(j * LEAVES + trees.codes[i * c + j]) * m + q];
      const e = s - yTarget[i * m + q];
      se += e * e;
    }
  }
  const quantized = o.quantize ? quantizeTables(tables, c, m) : null;
  return {
    splitDims: trees.splitDims,
    thresholds: trees.thresholds,
    tables,
    quantized,
    report: {
      codebooks: c,
      objective: o.objective,
      partition: o.partition,
      rows: n,
      subspaces,
      leafCounts: counts,
      outputMse: se / (rowsForError * m),
      quantizationErrorBound: quantized?.errorBound,
      seconds: (performance.now() - start) / 1000,
    },
  };
}

/**
 * Adam (β = 0.9, 0.999) on the mean KL(softmax(target + b) ‖ softmax(table sum + b)),
 * full batch, in float64 JavaScript: the gradient with respect to the logits
 * is (q − p) / n, scattered into the selected table rows.
 */
function refineKL(codes: Int32Array, n: number, c: number, t0: Float32Array, m: number, yTarget: Float64Array, bias: Float32Array | null, steps: number, lr: number): Float32Array {
  const t = Float64Array.from(t0);
  const mom = new Float64Array(t.length);
  const vel = new Float64Array(t.length);
  const p = new Float64Array(n * m);
  const z = new Float64Array(m);
  const softmaxInto = (src: Float64Array | ArrayLike<number>, off: number, out: Float64Array, outOff: number) => {
    let mx = -Infinity;
    for (let q = 0; q < m; q++) mx = Math.max(mx, src[off + q] + (bias ? bias[q] : 0));
    let s = 0;
    for (let q = 0; q < m; q++) s += out[outOff + q] = Math.exp(src[off + q] + (bias ? bias[q] : 0) - mx);
    for (let q = 0; q < m; q++) out[outOff + q] /= s;
  };
  for (let i = 0; i < n; i++) softmaxInto(yTarget, i * m, p, i * m);
  const g = new Float64Array(t.length);
  const q = new Float64Array(m);
  const adam = { learningRate: lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
  for (let step = 1; step <= steps; step++) {
    g.fill(0);
    for (let i = 0; i < n; i++) {
      z.fill(0);
      for (let j = 0; j < c; j++) {
        const o = (j * LEAVES + codes[i * c + j]) * m;
        for (let k = 0; k < m; k++) z[k] += t[o + k];
      }
      softmaxInto(z, 0, q, 0);
      for (let j = 0; j < c; j++) {
        const o = (j * LEAVES + codes[i * c + j]) * m;
        for (let k = 0; k < m; k++) g[o + k] += (q[k] - p[i * m + k]) / n;
      }
    }
    // the one Adam of hashlayers (core's), in float64 here
    adamDense(t, t, g, mom, vel, adamConstants(adam, betaPower(0.9, step, 'float64'), betaPower(0.999, step, 'float64'), 'float64'));
  }
  return Float32Array.from(t);
}
