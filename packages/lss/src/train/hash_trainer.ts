import * as tf from '@tensorflow/tfjs-core';
import type { LearnedHash, RebuildReport } from '@hashlayers/hashing';
import { assertInt, assertKnownKeys, fail, oneTensor, SeededRandom } from '@hashlayers/core/internal';
import type { LSHSoftmax } from '@hashlayers/lsh-softmax';
import { lshSoftmaxInternals, LSHSoftmaxInternals } from '@hashlayers/lsh-softmax/internal';

export interface LSSHashTrainerArgs {
  /** Adam learning rate of the projections (default 0.01). */
  learningRate?: number;
  /** Hard negatives per query: retrieved classes that are not its label (default 2). */
  hardNegatives?: number;
  /** Random negatives per query, uniform over the other classes (default 2). */
  randomNegatives?: number;
  /** Temperature of the tanh relaxation of the sign (default 1; inputs are unit-normalised). */
  temperature?: number;
  /** Pairs are drawn per mini-batch of this many queries (default 256). */
  batchSize?: number;
  /** Rebuild the label tables after fit() when at least this fraction of codes changed (default 0.01). */
  minChangedFraction?: number;
  seed?: number;
}

export interface HashFitReport {
  /** Mean pairwise loss of each epoch. */
  losses: number[];
  /** The rehash after training: changed codes and whether the tables were rebuilt. */
  rehash: RebuildReport;
}

const EPS = 1e-6;

/**
 * The internals of an LSHSoftmax with a learned hash (an `lss` layer),
 * checked: its LearnedHash family and the layer's retrieval and labels.
 */
export function learnedLayer(layer: LSHSoftmax, arg = 'layer'): LSHSoftmaxInternals & { family: LearnedHash } {
  const what = "an LSS layer (an LSHSoftmax with hash 'learned': lss() or convertToLSS)";
  if (layer == null || typeof layer.getClassName !== 'function' || layer.getClassName() !== 'LSHSoftmax') fail(arg, what, layer);
  if (layer.hash !== 'learned') fail(arg, what, `an LSHSoftmax with hash '${layer.hash}'`);
  if (!layer.built) fail(arg, 'a built LSS layer (apply it, or use convertToLSS)', 'an unbuilt layer');
  const internals = lshSoftmaxInternals(layer);
  if (internals.family.className !== 'LearnedHash') fail(arg, what, `a layer hashing with ${internals.family.className}`);
  return internals as LSHSoftmaxInternals & { family: LearnedHash };
}

/** The options LSSHashTrainer takes (LSSHashCallback takes these and its own). */
export const TRAINER_KEYS: readonly string[] = ['learningRate', 'hardNegatives', 'randomNegatives', 'temperature', 'batchSize', 'minChangedFraction', 'seed'];

/**
 * Trains the learned hash of an LSS layer (`lss`, `convertToLSS`) so that a query's buckets contain
 * its correct label (Label Superior Sampling, arXiv 2007.01230), in the
 * learnable-LSH design of the same group (MONGOOSE, ICLR 2021):
 *
 * - pairs: positives (query, its true label); negatives per query: labels the
 *   current tables retrieve that are wrong (hard) and uniform random labels.
 *   Positives and negatives carry equal total weight (balanced).
 * - relaxation: code bit k of table t is sign(x · P); training replaces it by
 *   tanh(x̂ · P / temperature) on unit-normalised inputs x̂ (codes are scale
 *   invariant, the relaxation is not). The probability that the K bits of a
 *   table agree is ∏_k (1 + a_k b_k) / 2.
 * - loss: binary cross-entropy of that per-table collision probability
 *   against the pair's target (1 for positives, 0 for negatives), averaged
 *   over tables and pairs.
 *
 * Queries are [h; 1] (the penultimate activation with the folded bias input),
 * labels [w; b]. Only the projections are trained; the layer's kernel and
 * bias are inputs here. `fit` ends with `layer.rehash()` (tables rebuilt when
 * enough codes changed). Use it post hoc, or every N epochs during model.fit
 * through LSSHashCallback.
 *
 * The projections are the layer's non-trainable weights, which its
 * LearnedHash family hashes with; Adam updates them in place (gradients of
 * the pairwise loss with respect to them, applied by name), so `model.save`
 * sees every step.
 */
export class LSSHashTrainer {
  readonly layer: LSHSoftmax;
  readonly learningRate: number;
  readonly hardNegatives: number;
  readonly randomNegatives: number;
  readonly temperature: number;
  readonly batchSize: number;
  readonly minChangedFraction: number;
  private readonly optimizer: tf.Optimizer;
  private readonly rng: SeededRandom;
  private readonly internals: LSHSoftmaxInternals & { family: LearnedHash };

  constructor(layer: LSHSoftmax, args: LSSHashTrainerArgs = {}) {
    if (args == null || typeof args !== 'object') fail('args', 'an options object', args);
    assertKnownKeys('LSSHashTrainer args', args, TRAINER_KEYS);
    this.internals = learnedLayer(layer);
    this.layer = layer;
    this.learningRate = args.learningRate ?? 0.01;
    if (!(this.learningRate > 0)) fail('learningRate', 'a positive number', args.learningRate);
    this.hardNegatives = assertInt('hardNegatives', args.hardNegatives ?? 2, 0, 1024);
    this.randomNegatives = assertInt('randomNegatives', args.randomNegatives ?? 2, 0, 1024);
    if (this.hardNegatives + this.randomNegatives === 0) fail('hardNegatives + randomNegatives', 'at least 1', 0);
    this.temperature = args.temperature ?? 1;
    if (!(this.temperature > 0)) fail('temperature', 'a positive number', args.temperature);
    this.batchSize = assertInt('batchSize', args.batchSize ?? 256, 1);
    this.minChangedFraction = args.minChangedFraction ?? 0.01;
    if (!(this.minChangedFraction >= 0 && this.minChangedFraction <= 1)) fail('minChangedFraction', 'a number in [0, 1]', args.minChangedFraction);
    this.optimizer = tf.train.adam(this.learningRate);
    this.rng = new SeededRandom(assertInt('seed', args.seed ?? layer.seed + 7, 0, 0xffffffff));
  }

  /** Draws the pairs of a mini-batch: [query row, label id, target] with the class weights. */
  private pairs(h: tf.Tensor2D, y: Int32Array): { rows: Int32Array; ids: Int32Array; targets: Float32Array; weights: Float32Array } {
    const units = this.layer.units;
    const found = this.internals.retrieve(h);
    const rows: number[] = [];
    const ids: number[] = [];
    const targets: number[] = [];
    const inHead = new Uint8Array(units);
    for (const c of this.layer.headClassIds()) inHead[c] = 1;
    for (let i = 0; i < y.length; i++) {
      // head classes are candidates of every query already: nothing to learn for them
      if (inHead[y[i]] === 1) continue;
      rows.push(i);
      ids.push(y[i]);
      targets.push(1);
      const lo = found.offsets[i];
      const wrong: number[] = [];
      for (let j = lo; j < found.offsets[i + 1]; j++) if (found.ids[j] !== y[i]) wrong.push(found.ids[j]);
      // partial Fisher–Yates: hardNegatives distinct wrong retrieved labels
      const nHard = Math.min(this.hardNegatives, wrong.length);
      for (let k = 0; k < nHard; k++) {
        const j = k + this.rng.int(wrong.length - k);
        [wrong[k], wrong[j]] = [wrong[j], wrong[k]];
        rows.push(i);
        ids.push(wrong[k]);
        targets.push(0);
      }
      // random negatives also stand in for missing hard ones, so every query has the same pair count
      for (let k = nHard; k < this.hardNegatives + this.randomNegatives; k++) {
        let c = this.rng.int(units - 1);
        if (c >= y[i]) c++;
        rows.push(i);
        ids.push(c);
        targets.push(0);
      }
    }
    const nPos = targets.filter((t) => t === 1).length;
    const nNeg = rows.length - nPos;
    const weights = Float32Array.from(targets, (t) => (t === 1 ? 0.5 / nPos : 0.5 / nNeg));
    return { rows: Int32Array.from(rows), ids: Int32Array.from(ids), targets: Float32Array.from(targets), weights };
  }

  /** One Adam step on the pairs of (features h [batch, dim], labels y); returns the loss. */
  step(features: tf.Tensor | tf.Tensor[], labels: tf.Tensor | Int32Array): number {
    const h = oneTensor('features', features) as tf.Tensor2D;
    const { family } = this.internals;
    const y = labels instanceof Int32Array ? this.checkIds(labels, h.shape[0]) : this.internals.readLabels(labels, h.shape[0]);
    const p = this.pairs(h, y);
    if (p.rows.length === 0) return 0;
    const L = this.layer.tables;
    const K = this.layer.bits;
    // the query projection, then the label projection when it is another variable (one optimizer slot each, always in this order)
    const vars = family.asymmetric ? [family.queryProjection, family.projection] : [family.queryProjection];
    const loss = tf.tidy(() => {
      const unit = (x: tf.Tensor2D) => tf.div(x, tf.add(tf.norm(x, 'euclidean', 1, true), EPS)) as tf.Tensor2D;
      const q = unit(tf.gather(this.internals.queryInputs(h), tf.tensor1d(p.rows, 'int32')));
      const lv = unit(this.internals.classInputs(tf.tensor1d(p.ids, 'int32')));
      const t = tf.tensor2d(p.targets, [p.targets.length, 1]);
      const wt = tf.tensor2d(p.weights, [p.weights.length, 1]);
      const cost = (pq: tf.Tensor, pl: tf.Tensor): tf.Scalar => {
        const a = tf.reshape(tf.tanh(tf.div(tf.matMul(q, pq), this.temperature)), [-1, L, K]);
        const b = tf.reshape(tf.tanh(tf.div(tf.matMul(lv, pl), this.temperature)), [-1, L, K]);
        // log P(all K bits of a table agree) = Σ_k log((1 + a_k b_k) / 2)
        const agree = tf.clipByValue(tf.div(tf.add(1, tf.mul(a, b)), 2), EPS, 1);
        const logP = tf.sum(tf.log(agree), 2);
        const logNotP = tf.log(tf.clipByValue(tf.sub(1, tf.exp(logP)), EPS, 1));
        const bce = tf.neg(tf.add(tf.mul(t, logP), tf.mul(tf.sub(1, t), logNotP)));
        return tf.sum(tf.mul(wt, tf.mean(bce, 1, true))) as tf.Scalar;
      };
      // the projections are non-trainable weights (model.fit must not move them), so the gradients are
      // taken with respect to them as inputs and applied by name
      const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => cost(ps[0], ps[ps.length - 1]))(vars);
      // a non-finite loss or gradient would write NaN into the projections (every code then 0 or garbage): refuse the step
      const finite = tf.isFinite(tf.addN([value, ...grads.map((g) => tf.sum(tf.mul(g, 0)))])).dataSync()[0];
      if (!finite) fail('LSSHashTrainer step', 'a finite loss and gradients (features with NaN/Infinity? a lower learningRate or a higher temperature?)', 'NaN or Infinity (the projections were left unchanged)');
      this.optimizer.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, grads[i]])));
      return value;
    });
    const v = loss.dataSync()[0];
    loss.dispose();
    return v;
  }

  private checkIds(y: Int32Array, batch: number): Int32Array {
    if (y.length !== batch) fail('labels', `${batch} class ids`, `${y.length}`);
    for (let i = 0; i < y.length; i++) {
      if (y[i] < 0 || y[i] >= this.layer.units) fail('labels', `class ids in [0, ${this.layer.units})`, `${y[i]} at row ${i}`);
    }
    return y;
  }

  /**
   * Trains the hash on (features, labels) pairs for `epochs` passes in
   * shuffled mini-batches, then re-hashes the labels. `features` are the
   * penultimate activations [n, dim] (featureModel(model).predict(x)).
   */
  fit(features: tf.Tensor | tf.Tensor[], labels: tf.Tensor | Int32Array, opts: { epochs?: number } = {}): HashFitReport {
    const h = oneTensor('features', features) as tf.Tensor2D;
    const epochs = assertInt('epochs', opts.epochs ?? 1, 1);
    const n = h.shape[0];
    const dim = this.layer.kernel?.shape[1];
    if (!(h instanceof tf.Tensor) || h.rank !== 2 || h.shape[1] !== dim) {
      fail('features', `a [n, ${dim}] tensor`, h instanceof tf.Tensor ? `shape [${h.shape.join(', ')}]` : h);
    }
    const y = labels instanceof Int32Array ? this.checkIds(labels, n) : this.internals.readLabels(labels, n);
    const losses: number[] = [];
    for (let e = 0; e < epochs; e++) {
      const order = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = this.rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      let sum = 0;
      let steps = 0;
      for (let s = 0; s < n; s += this.batchSize) {
        const idx = order.subarray(s, Math.min(n, s + this.batchSize));
        const idxT = tf.tensor1d(idx, 'int32');
        const hb = tf.gather(h, idxT) as tf.Tensor2D;
        idxT.dispose();
        try {
          sum += this.step(hb, Int32Array.from(idx, (i) => y[i]));
        } finally {
          hb.dispose();
        }
        steps++;
      }
      losses.push(sum / steps);
    }
    const rehash = this.layer.rehash({ minChangedFraction: this.minChangedFraction });
    return { losses, rehash };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
