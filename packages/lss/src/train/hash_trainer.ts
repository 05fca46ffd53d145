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
  /**
   * In-batch negatives per query: the labels of other queries of the mini-batch (so drawn with the
   * label frequencies of the data), as in two-tower retrieval training (default 2).
   */
  batchNegatives?: number;
  /**
   * The loss over a query's pairs (default 'softmax'; measured in docs/lss.md, "Choices"):
   * - 'pairwise': binary cross-entropy of each table's collision probability, per pair (MONGOOSE);
   * - 'softmax': cross-entropy of the positive against the query's negatives, scored by the expected
   *   number of colliding tables Σ_t P_t (what retrieval ranks candidates by), scaled by `rankScale`.
   */
  loss?: 'pairwise' | 'softmax';
  /** 'softmax' loss: the logit of a pair is rankScale · Σ_t P_t / tables (default 10). */
  rankScale?: number;
  /**
   * Weight of a bucket-spread term (default 0): the squared mean of each relaxed label bit and the
   * squared correlations of the bits of a table over the step's labels, pushed to 0 so that labels
   * spread over a table's 2^bits buckets. A query's cost grows with the size of its buckets (every
   * entry is counted before the budget cuts the union), so this trades recall for query speed.
   */
  spread?: number;
  /**
   * Held-out fraction of fit()'s queries (default 0.1; 0: none). The correct-label recall at the
   * layer's candidate budget (`labelRecall`) is measured on it before training and after every epoch,
   * and fit() ends with the best projections (the start included), so training never leaves the
   * held-out recall below where it started. Needs at least 10 queries held out, else nothing is.
   */
  validationSplit?: number;
  /** Re-hash the labels every this many steps, so hard negatives come from the current tables (default 0: at epoch ends). */
  rehashEvery?: number;
  /** Temperature of the tanh relaxation of the sign (default 1; inputs are unit-normalised). */
  temperature?: number;
  /** Pairs are drawn per mini-batch of this many queries (default 256). */
  batchSize?: number;
  /** Without a held-out set: rebuild the label tables after fit() when at least this fraction of codes changed (default 0.01; with one, they are rebuilt after every epoch to measure recall). */
  minChangedFraction?: number;
  seed?: number;
}

export interface HashFitReport {
  /** Mean loss of each epoch. */
  losses: number[];
  /** The rehash after training: changed codes and whether the tables were rebuilt. */
  rehash: RebuildReport;
  /**
   * With a held-out split: the held-out correct-label recall before training (recall[0]) and after each
   * epoch, the epoch whose projections were kept (0: the start), its recall, and the budget
   * (mean candidates per held-out query, head classes included). null without one.
   */
  validation: { queries: number; recall: number[]; bestEpoch: number; bestRecall: number; meanCandidates: number } | null;
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
export const TRAINER_KEYS: readonly string[] = [
  'learningRate',
  'hardNegatives',
  'randomNegatives',
  'batchNegatives',
  'loss',
  'rankScale',
  'spread',
  'validationSplit',
  'rehashEvery',
  'temperature',
  'batchSize',
  'minChangedFraction',
  'seed',
];

/**
 * Trains the learned hash of an LSS layer (`lss`, `convertToLSS`) so that a query's buckets contain
 * its correct label (Label Superior Sampling, arXiv 2007.01230), in the
 * learnable-LSH design of the same group (MONGOOSE, ICLR 2021):
 *
 * - pairs: positives (query, its true label); negatives per query: labels the
 *   current tables retrieve that are wrong (hard, default 2), uniform random
 *   labels (default 2) and labels of other queries of the mini-batch (in-batch,
 *   drawn with the data's label frequencies; default 2).
 * - relaxation: code bit k of table t is sign(x · P); training replaces it by
 *   tanh(x̂ · P / temperature) on unit-normalised inputs x̂ (codes are scale
 *   invariant, the relaxation is not). The probability P_t that the K bits of
 *   table t agree is ∏_k (1 + a_k b_k) / 2.
 * - loss 'softmax' (default): retrieval ranks candidates by the number of
 *   tables they share with the query, so each pair is scored by its expected
 *   number, Σ_t P_t (scaled by rankScale / tables), and the loss is the
 *   cross-entropy of the positive against the query's negatives. 'pairwise'
 *   (MONGOOSE's): binary cross-entropy of each P_t against the pair's target,
 *   positives and negatives with equal total weight. On SOTU next-word data the
 *   softmax loss had 0.09–0.14 higher held-out-speech recall (docs/lss.md).
 * - held-out recall: `validationSplit` (default 0.1) of fit()'s queries is not
 *   trained on; the correct-label recall at the layer's budget is measured on
 *   it before training and after every epoch, and fit() keeps the best
 *   projections (the start included), so it never leaves that recall lower.
 *
 * Queries are [h; 1] (the penultimate activation with the folded bias input),
 * labels [w; b]. Only the projections are trained; the layer's kernel and
 * bias are inputs here. `fit` ends with the labels re-hashed. Use it post hoc,
 * or every N epochs during model.fit through LSSHashCallback.
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
  readonly batchNegatives: number;
  readonly loss: 'pairwise' | 'softmax';
  readonly rankScale: number;
  readonly spread: number;
  readonly validationSplit: number;
  readonly rehashEvery: number;
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
    this.batchNegatives = assertInt('batchNegatives', args.batchNegatives ?? 2, 0, 1024);
    if (this.hardNegatives + this.randomNegatives + this.batchNegatives === 0) fail('hardNegatives + randomNegatives + batchNegatives', 'at least 1', 0);
    if (args.loss != null && args.loss !== 'pairwise' && args.loss !== 'softmax') fail('loss', "'pairwise' or 'softmax'", args.loss);
    this.loss = args.loss ?? 'softmax';
    this.rankScale = args.rankScale ?? 10;
    if (!(this.rankScale > 0 && Number.isFinite(this.rankScale))) fail('rankScale', 'a positive finite number', args.rankScale);
    this.spread = args.spread ?? 0;
    if (!(this.spread >= 0 && Number.isFinite(this.spread))) fail('spread', 'a finite number ≥ 0', args.spread);
    this.validationSplit = args.validationSplit ?? 0.1;
    if (!(this.validationSplit >= 0 && this.validationSplit < 1)) fail('validationSplit', 'a number in [0, 1)', args.validationSplit);
    this.rehashEvery = assertInt('rehashEvery', args.rehashEvery ?? 0, 0);
    this.temperature = args.temperature ?? 1;
    if (!(this.temperature > 0)) fail('temperature', 'a positive number', args.temperature);
    this.batchSize = assertInt('batchSize', args.batchSize ?? 256, 1);
    this.minChangedFraction = args.minChangedFraction ?? 0.01;
    if (!(this.minChangedFraction >= 0 && this.minChangedFraction <= 1)) fail('minChangedFraction', 'a number in [0, 1]', args.minChangedFraction);
    this.optimizer = tf.train.adam(this.learningRate);
    this.rng = new SeededRandom(assertInt('seed', args.seed ?? layer.seed + 7, 0, 0xffffffff));
  }

  /**
   * Draws the pairs of a mini-batch, query by query: its positive (the query's label), then its
   * `1 + hard + random + batch` − 1 negatives (the same count for every query), with the class weights.
   */
  private pairs(h: tf.Tensor2D, y: Int32Array): { rows: Int32Array; ids: Int32Array; targets: Float32Array; weights: Float32Array; perQuery: number } {
    const units = this.layer.units;
    const found = this.hardNegatives > 0 ? this.internals.retrieve(h) : null;
    const rows: number[] = [];
    const ids: number[] = [];
    const targets: number[] = [];
    const inHead = new Uint8Array(units);
    for (const c of this.layer.headClassIds()) inHead[c] = 1;
    const randomOther = (label: number) => {
      const c = this.rng.int(units - 1);
      return c >= label ? c + 1 : c;
    };
    for (let i = 0; i < y.length; i++) {
      // head classes are candidates of every query already: nothing to learn for them
      if (inHead[y[i]] === 1) continue;
      rows.push(i);
      ids.push(y[i]);
      targets.push(1);
      const negative = (c: number) => {
        rows.push(i);
        ids.push(c);
        targets.push(0);
      };
      let nHard = 0;
      if (found != null) {
        const wrong: number[] = [];
        for (let j = found.offsets[i]; j < found.offsets[i + 1]; j++) if (found.ids[j] !== y[i]) wrong.push(found.ids[j]);
        // partial Fisher–Yates: hardNegatives distinct wrong retrieved labels
        nHard = Math.min(this.hardNegatives, wrong.length);
        for (let k = 0; k < nHard; k++) {
          const j = k + this.rng.int(wrong.length - k);
          [wrong[k], wrong[j]] = [wrong[j], wrong[k]];
          negative(wrong[k]);
        }
      }
      // random negatives also stand in for missing hard ones, so every query has the same pair count
      for (let k = nHard; k < this.hardNegatives + this.randomNegatives; k++) negative(randomOther(y[i]));
      // in-batch: another query's label (a few tries for one that is not this query's), else a random one
      for (let k = 0; k < this.batchNegatives; k++) {
        let c = -1;
        for (let tries = 0; tries < 4 && c < 0; tries++) {
          const other = y[this.rng.int(y.length)];
          if (other !== y[i]) c = other;
        }
        negative(c >= 0 ? c : randomOther(y[i]));
      }
    }
    const perQuery = 1 + this.hardNegatives + this.randomNegatives + this.batchNegatives;
    const nPos = rows.length / perQuery;
    const nNeg = rows.length - nPos;
    const weights = Float32Array.from(targets, (t) => (t === 1 ? 0.5 / nPos : 0.5 / nNeg));
    return { rows: Int32Array.from(rows), ids: Int32Array.from(ids), targets: Float32Array.from(targets), weights, perQuery };
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
        let loss: tf.Scalar;
        if (this.loss === 'softmax') {
          // expected colliding tables (the retrieval's ranking) of each pair, grouped by query: positive first
          const s = tf.reshape(tf.mul(tf.mean(tf.exp(logP), 1), this.rankScale), [-1, p.perQuery]);
          loss = tf.mean(tf.neg(tf.slice(tf.logSoftmax(s), [0, 0], [-1, 1])));
        } else {
          const logNotP = tf.log(tf.clipByValue(tf.sub(1, tf.exp(logP)), EPS, 1));
          const bce = tf.neg(tf.add(tf.mul(t, logP), tf.mul(tf.sub(1, t), logNotP)));
          loss = tf.sum(tf.mul(wt, tf.mean(bce, 1, true)));
        }
        if (this.spread === 0) return loss;
        // bucket spread over the step's labels: each bit balanced (mean 0), the bits of a table uncorrelated
        const n = b.shape[0];
        const mean = tf.mean(tf.square(tf.mean(b, 0)));
        const bt = tf.transpose(b, [1, 0, 2]); // [L, n, K]
        const gram = tf.div(tf.matMul(bt, bt, true, false), n); // [L, K, K]
        const offDiagonal = tf.mul(gram, tf.sub(1, tf.eye(K)));
        const corr = tf.div(tf.sum(tf.square(offDiagonal)), L * Math.max(1, K * (K - 1)));
        return tf.add(loss, tf.mul(this.spread, tf.add(mean, corr))) as tf.Scalar;
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
   * With `validationSplit` (default 0.1) a seeded held-out part of them is not
   * trained on: the recall at the layer's budget is measured on it before
   * training and after each epoch, and the best projections are kept.
   * `opts.validationData` ([features, labels], as in model.fit) is held out
   * instead of a split.
   */
  fit(features: tf.Tensor | tf.Tensor[], labels: tf.Tensor | Int32Array, opts: { epochs?: number; validationData?: [tf.Tensor, tf.Tensor] } = {}): HashFitReport {
    if (opts == null || typeof opts !== 'object') fail('opts', 'an options object { epochs, validationData }', opts);
    assertKnownKeys('LSSHashTrainer.fit opts', opts, ['epochs', 'validationData']);
    const h = oneTensor('features', features) as tf.Tensor2D;
    const epochs = assertInt('epochs', opts.epochs ?? 1, 1);
    const dim = this.layer.kernel?.shape[1];
    if (!(h instanceof tf.Tensor) || h.rank !== 2 || h.shape[1] !== dim) {
      fail('features', `a [n, ${dim}] tensor`, h instanceof tf.Tensor ? `shape [${h.shape.join(', ')}]` : h);
    }
    const n = h.shape[0];
    const y = labels instanceof Int32Array ? this.checkIds(labels, n) : this.internals.readLabels(labels, n);
    const given = opts.validationData;
    if (given != null) {
      if (!Array.isArray(given) || given.length !== 2) fail('validationData', '[features, labels]', given);
      const [hv, yv] = given;
      if (!(hv instanceof tf.Tensor) || hv.isDisposed || hv.rank !== 2 || hv.shape[1] !== dim) {
        fail('validationData[0]', `a live [m, ${dim}] tensor`, hv instanceof tf.Tensor ? `shape [${hv.shape.join(', ')}]` : hv);
      }
      this.internals.readLabels(yv, hv.shape[0]);
    }
    // the held-out queries: validationData, else a seeded sample (none when fewer than 10 would be held out)
    const nSplit = Math.floor(n * this.validationSplit);
    const nVal = given != null || nSplit < 10 ? 0 : nSplit;
    const perm = nVal > 0 ? this.rng.sampleWithoutReplacement(n, n) : Int32Array.from({ length: n }, (_, i) => i);
    const trainRows = perm.subarray(nVal);
    const { family } = this.internals;
    let val: { h: tf.Tensor2D; y: tf.Tensor1D } | null = null;
    // (a holder: TypeScript does not see the closure's assignments to a plain variable)
    const kept: { best: { epoch: number; recall: number; state: tf.Tensor[] } | null } = { best: null };
    const recall: number[] = [];
    let meanCandidates = 0;
    const vars = Object.values(family.state);
    const measure = (epoch: number) => {
      if (val == null) return;
      const r = this.layer.labelRecall(val.h, val.y);
      recall.push(r.recall);
      meanCandidates = r.meanCandidates;
      // strictly better only: on a tie the earlier (less trained) projections stay
      if (kept.best == null || r.recall > kept.best.recall) {
        if (kept.best != null) tf.dispose(kept.best.state);
        kept.best = { epoch, recall: r.recall, state: vars.map((v) => tf.clone(v)) };
      }
    };
    const losses: number[] = [];
    let rehash: RebuildReport;
    // the label codes before training: the report counts the codes fit() changed in all (re-hashes in between included)
    const codesOf = () => {
      const t = this.internals.index().toTensors().codes;
      const v = t.dataSync() as Int32Array;
      t.dispose();
      return v;
    };
    const startCodes = given != null || nVal > 0 || this.rehashEvery > 0 ? codesOf() : null;
    try {
      if (given != null) {
        val = { h: tf.clone(given[0]) as tf.Tensor2D, y: tf.tensor1d(this.internals.readLabels(given[1], given[0].shape[0]), 'int32') };
      } else if (nVal > 0) {
        const idx = tf.tensor1d(perm.subarray(0, nVal), 'int32');
        val = { h: tf.gather(h, idx) as tf.Tensor2D, y: tf.tensor1d(Int32Array.from(perm.subarray(0, nVal), (i) => y[i]), 'int32') };
        idx.dispose();
      }
      measure(0);
      let steps = 0;
      for (let e = 0; e < epochs; e++) {
        const order = trainRows.slice();
        for (let i = order.length - 1; i > 0; i--) {
          const j = this.rng.int(i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
        let sum = 0;
        let epochSteps = 0;
        for (let s = 0; s < order.length; s += this.batchSize) {
          const idx = order.subarray(s, Math.min(order.length, s + this.batchSize));
          const idxT = tf.tensor1d(idx, 'int32');
          const hb = tf.gather(h, idxT) as tf.Tensor2D;
          idxT.dispose();
          try {
            sum += this.step(hb, Int32Array.from(idx, (i) => y[i]));
          } finally {
            hb.dispose();
          }
          epochSteps++;
          steps++;
          if (this.rehashEvery > 0 && steps % this.rehashEvery === 0) this.layer.rehash({ minChangedFraction: 0 });
        }
        losses.push(sum / Math.max(1, epochSteps));
        // held-out recall needs the label tables of the current projections
        if (val != null) {
          this.layer.rehash({ minChangedFraction: 0 });
          measure(e + 1);
        }
      }
      const best = kept.best;
      if (best != null && best.epoch < epochs) {
        // an earlier epoch (or the start) had the better held-out recall: back to its projections
        family.setState(Object.fromEntries(Object.keys(family.state).map((name, i) => [name, best.state[i]])));
        rehash = this.layer.rehash({ minChangedFraction: 0 });
      } else {
        rehash = this.layer.rehash({ minChangedFraction: val != null ? 0 : this.minChangedFraction });
      }
      if (startCodes != null) {
        const end = codesOf();
        const L = this.layer.tables;
        let changedCodes = 0;
        let changedItems = 0;
        for (let c = 0; c < end.length / L; c++) {
          let any = false;
          for (let t = c * L; t < (c + 1) * L; t++) {
            if (end[t] !== startCodes[t]) {
              changedCodes++;
              any = true;
            }
          }
          if (any) changedItems++;
        }
        rehash = { ...rehash, changedCodes, changedItems, changedFraction: changedCodes / Math.max(1, end.length), rebuilt: changedCodes > 0 };
      }
    } finally {
      if (val != null) tf.dispose([val.h, val.y]);
      if (kept.best != null) tf.dispose(kept.best.state);
    }
    const best = kept.best;
    const validation = best != null && val != null ? { queries: (val as { y: tf.Tensor }).y.shape[0], recall, bestEpoch: best.epoch, bestRecall: best.recall, meanCandidates } : null;
    return { losses, rehash, validation };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
