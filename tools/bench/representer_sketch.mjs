// Benchmark of @hashlayers/representer-sketch: a trained MNIST head replaced by
// count arrays, over a grid of rows R and bits K, against the head it replaces
// (same run, same features, medians) on cpu, wasm and tensorflow.
import { createRequire } from 'node:module';
import { benchBackends, log, Progress, readBack, time, tf, useBackend, usePreferredBackend, writeResults } from './harness.mjs';

const require = createRequire(import.meta.url);
const RS = require('@hashlayers/representer-sketch');
const { loadMnist } = require('../data/mnist.cjs');
const { mnistHeadNetwork, mnistTensors, trainClassifier } = require('../data/models.cjs');
const { accuracy } = require('../data/metrics.cjs');

/**
 * Re-creates a layer's weights on the current backend. The hashing package's
 * tensorflow kernel adapter reads inputs with the tfjs-node backend's readSync,
 * which does not migrate data that lives on another backend (cpu and wasm
 * migrate on access), so a sketch moved to tensorflow needs fresh weights.
 */
function rehome(layer) {
  const fresh = layer.getWeights().map((w) => tf.tensor(w.dataSync(), w.shape, w.dtype));
  layer.setWeights(fresh);
  tf.dispose(fresh);
}

export async function mnist({ quick }) {
  const m = loadMnist();
  const backends = benchBackends();
  const grid = quick
    ? [[16, 6], [64, 6]]
    : [[16, 4], [32, 4], [64, 4], [128, 4], [16, 6], [32, 6], [64, 6], [128, 6], [16, 8], [32, 8], [64, 8]];
  const epochs = quick ? 2 : 3;
  const refineEpochs = quick ? 3 : 10;
  const prog = new Progress('representer-sketch', 1 + grid.length + backends.length * (grid.length + 1));

  const trainBackend = await usePreferredBackend(backends);
  const { xs, yl, ys, xt } = mnistTensors(m);
  const model = mnistHeadNetwork({ dim: m.dim, classes: m.classes });
  await trainClassifier(model, xs, ys, { epochs, batchSize: 64, logits: true });
  const testAccuracy = (mm) => accuracy(mm, xt, m.test.y, { batchSize: 1024 });
  const headAcc = testAccuracy(model);
  prog.step(`trained on ${trainBackend}: head accuracy ${headAcc.toFixed(4)}`);

  const sketches = [];
  for (const [rows, bits] of grid) {
    const base = { headFrom: 'features', data: xs, rows, bits, seed: 7 };
    const plain = await RS.convertToRepresenterSketch(model, base);
    const accInsert = testAccuracy(plain.model);
    plain.layers[0].dispose();
    const t0 = performance.now();
    const r = await RS.convertToRepresenterSketch(model, { ...base, refine: { epochs: refineEpochs, target: 'labels', labels: yl, learningRate: 0.05 } });
    const buildS = (performance.now() - t0) / 1000;
    const accRefined = testAccuracy(r.model);
    sketches.push({ rows, bits, r, accInsert, accRefined, buildS });
    prog.step(`R=${rows} K=${bits}: accuracy inserted ${accInsert.toFixed(4)}, refined ${accRefined.toFixed(4)}; bytes ×${r.reports[0].sizing.storageReduction.toFixed(1)}, multiply-adds ×${r.reports[0].sizing.computeReduction.toFixed(1)}`);
  }
  // Choices at one size (R=64, K=6): α, insertion, refinement target, projection
  const variants = [
    { label: 'kde, α = logits, no refinement', opts: { insertion: 'kde' } },
    { label: 'kde, α = softmax(logits), no refinement', opts: { insertion: 'kde' }, probs: true },
    { label: 'cell-mean, α = logits, no refinement', opts: {} },
    { label: "cell-mean + refine 'outputs' (MSE to logits)", opts: { refine: { epochs: refineEpochs, target: 'outputs', learningRate: 0.05 } } },
    { label: "cell-mean + refine 'soft' (CE to softmax(logits))", opts: { refine: { epochs: refineEpochs, target: 'soft', learningRate: 0.05 } } },
    { label: "cell-mean + refine 'labels' (CE to labels)", opts: { refine: { epochs: refineEpochs, target: 'labels', labels: yl, learningRate: 0.05 } } },
    { label: "kde (α = softmax) + refine 'labels'", opts: { insertion: 'kde', refine: { epochs: refineEpochs, target: 'labels', labels: yl, learningRate: 0.05 } }, probs: true },
    { label: "cell-mean + refine 'labels', aggregation 'weighted'", opts: { aggregation: 'weighted', refine: { epochs: refineEpochs, target: 'labels', labels: yl, learningRate: 0.05 } } },
    { label: "cell-mean + refine 'labels', sparse projection", opts: { projection: 'sparse', refine: { epochs: refineEpochs, target: 'labels', labels: yl, learningRate: 0.05 } } },
  ];
  const variantRows = [];
  if (!quick) {
    for (const v of variants) {
      const targets = v.probs ? tf.tidy(() => tf.softmax(model.predict(xs, { batchSize: 1024 }))) : undefined;
      const r = await RS.convertToRepresenterSketch(model, { headFrom: 'features', data: xs, rows: 64, bits: 6, seed: 7, targets, ...v.opts });
      const a = testAccuracy(r.model);
      variantRows.push({ variant: v.label, acc: a, dAcc: 100 * (a - headAcc), bytes: r.reports[0].sizing.sketch.bytes });
      targets?.dispose();
      r.layers[0].dispose();
      log(`   R=64 K=6 ${v.label}: accuracy ${a.toFixed(4)}`);
    }
  }
  const headLayers = model.layers.slice(1);
  const headCost = sketches[0].r.reports[0].sizing.head;
  const featT = readBack(() => model.layers[0].apply(xt));
  tf.dispose([xs, ys, xt]);

  const rowsOut = [];
  for (const backend of backends) {
    await useBackend(backend);
    const f256 = tf.tensor2d(featT.slice(0, 256 * 64), [256, 64]);
    const f1 = tf.tensor2d(featT.slice(0, 64), [1, 64]);
    const opts = backend === 'cpu' ? { warmup: 2, reps: 5, minMs: quick ? 50 : 200 } : { warmup: 3, reps: 9, minMs: quick ? 100 : 400 };
    const head = (f) => headLayers.reduce((h, l) => l.apply(h), f);
    const head256 = time(() => readBack(() => head(f256)), opts).ms / 256;
    const head1 = time(() => readBack(() => head(f1)), opts).ms;
    rowsOut.push({ backend, method: 'replaced head (Dense 64→512→512→10)', rows: '-', bits: '-', bytes: headCost.bytes, storageX: 1, countsX: 1, madds: headCost.multiplyAdds, computeX: 1, accInsert: headAcc, accRefined: headAcc, dAcc: 0, ms256: head256, ms1: head1, speed256: 1, speed1: 1 });
    prog.step(`${backend} head: ${head256.toFixed(4)} ms/query @256, ${head1.toFixed(3)} ms @1`);
    for (const s of sketches) {
      const sk = s.r.layers[0];
      rehome(sk);
      const ms256 = time(() => readBack(() => sk.apply(f256)), opts).ms / 256;
      const ms1 = time(() => readBack(() => sk.apply(f1)), opts).ms;
      const z = s.r.reports[0].sizing;
      rowsOut.push({
        backend, method: 'RepresenterSketch', rows: s.rows, bits: s.bits, bytes: z.sketch.bytes, storageX: z.storageReduction, countsX: z.storageReductionCountsOnly,
        madds: z.sketch.multiplyAdds, computeX: z.computeReduction, accInsert: s.accInsert, accRefined: s.accRefined,
        dAcc: 100 * (s.accRefined - headAcc), ms256, ms1, speed256: head256 / ms256, speed1: head1 / ms1,
      });
      prog.step(`${backend} R=${s.rows} K=${s.bits}: ${ms256.toFixed(4)} ms/query @256 (×${(head256 / ms256).toFixed(2)}), ${ms1.toFixed(3)} ms @1 (×${(head1 / ms1).toFixed(2)})`);
    }
    tf.dispose([f256, f1]);
  }

  const cmd = `flock /tmp/hashlayers-bench.lock node tools/bench/run.mjs representer-sketch${quick ? ' --quick' : ''}`;
  await writeResults('representer-sketch', {
    title: 'RepresenterSketch: MNIST head replaced by count arrays',
    command: cmd,
    notes: [
      `MNIST (tools/data/mnist.cjs: ${m.train.n} train / ${m.test.n} test digits). Network 784 → 64 ReLU features → 512 ReLU → 512 ReLU → 10, trained ${epochs} epochs (Adam 1e-3, batch 64) on ${trainBackend}. The head after the features (${headCost.parameters} parameters) is replaced by a sketch of R rows × 2^K cells × 10 outputs, filled with the head's logits on the training points (cell means), then refined ${refineEpochs} epochs with model.fit on the training labels (softmax cross-entropy, Adam 0.05).`,
      'Accuracy (test set) does not depend on the backend (same counts); "inserted" is before refinement. bytes: counts + the stored float32 projection and center (the projection can also be regenerated from the seed: "bytes ×less, counts only" leaves it out). multiply-adds per query: d·R·K for the projection + d for the center + R·10 additions. ms/query: median over batches of 256 (divided by 256) and of 1, features precomputed, same run.',
    ],
    columns: [
      { key: 'backend', label: 'backend' }, { key: 'method', label: 'head' }, { key: 'rows', label: 'R' }, { key: 'bits', label: 'K' },
      { key: 'bytes', label: 'bytes' }, { key: 'storageX', label: 'bytes ×less' }, { key: 'countsX', label: 'bytes ×less, counts only' }, { key: 'madds', label: 'mult-adds' }, { key: 'computeX', label: 'mult-adds ×less' },
      { key: 'accInsert', label: 'acc inserted' }, { key: 'accRefined', label: 'acc refined' }, { key: 'dAcc', label: 'Δacc (points)' },
      { key: 'ms256', label: 'ms/query @256' }, { key: 'speed256', label: 'speed-up @256' }, { key: 'ms1', label: 'ms @1' }, { key: 'speed1', label: 'speed-up @1' },
    ],
    rows: rowsOut,
  });
  if (!quick) {
    await writeResults('representer-sketch-variants', {
      title: 'RepresenterSketch: insertion, α and refinement choices (MNIST, R=64, K=6)',
      command: cmd,
      notes: [`Same trained network and data as results/representer-sketch.md; replaced head accuracy ${headAcc.toFixed(4)}. Refinement: ${refineEpochs} epochs, Adam 0.05, batch 128.`],
      columns: [{ key: 'variant', label: 'variant' }, { key: 'acc', label: 'test accuracy' }, { key: 'dAcc', label: 'Δ vs head (points)' }, { key: 'bytes', label: 'bytes' }],
      rows: variantRows,
    });
  }
  for (const s of sketches) s.r.layers[0].dispose();
  model.dispose();
  yl.dispose();
}

export const BENCHMARKS = { 'representer-sketch': mnist };
