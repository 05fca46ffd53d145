// Benchmark of @hashlayers/representer-sketch: a trained MNIST head replaced by count arrays.
// Three tables (docs/results/representer-sketch-*.md):
//  - frontier: accuracy, bytes and operations over R, K, the projection kind and the count width
//    (32/16/8/4 bits), against the replaced head AND the same head trained for the extra epochs the
//    sketch's refinement gets (features frozen: both learn on the same features);
//  - speed: ms per query at batch 256 and 1 on cpu, wasm and tensorflow, head and sketches timed in
//    the same run on the same precomputed features (medians);
//  - depth: sketching from other layers (the raw pixels, the first or second hidden layer), each
//    against its own equally trained head.
import { createRequire } from 'node:module';
import { benchBackends, log, Progress, readBack, time, tf, useBackend, usePreferredBackend, writeResults } from './harness.mjs';
// The frontier plot (representer-sketch-frontier.svg) is drawn by writeResults from the frontier JSON;
// its spec lives in plots.mjs, so that tools/bench/plot.mjs re-renders it without loading tfjs.
export { frontierSpec } from './plots.mjs';

const require = createRequire(import.meta.url);
const RS = require('@hashlayers/representer-sketch');
const { loadMnist } = require('../data/mnist.cjs');
const { frozenTwin, mnistHeadNetwork, mnistTensors, trainClassifier } = require('../data/models.cjs');
const { accuracy } = require('../data/metrics.cjs');

/** model with a linear 'pixels' layer in front (so the whole network can be the replaced head). */
function withPixels(model, dim) {
  const input = tf.input({ shape: [dim] });
  const pixels = tf.layers.activation({ activation: 'linear', name: 'pixels' });
  const out = model.layers.reduce((h, l) => l.apply(h), pixels.apply(input));
  return tf.model({ inputs: input, outputs: out });
}

async function saveToMemory(model) {
  let out;
  await model.save(tf.io.withSaveHandler(async (a) => ((out = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  return out;
}

/** The sketch alone (features in → outputs), saved, so each backend can load its own copy. */
async function sketchArtifacts(sketch, dim) {
  const input = tf.input({ shape: [dim] });
  const m = tf.model({ inputs: input, outputs: sketch.apply(input) });
  return saveToMemory(m);
}

export async function mnist({ quick }) {
  const m = loadMnist();
  const backends = benchBackends();
  const epochs = quick ? 1 : 3;
  const refineEpochs = quick ? 2 : 10;
  const trainBackend = await usePreferredBackend(backends);
  const { xs, yl, ys, xt } = mnistTensors(m);
  const acc = (mm) => accuracy(mm, xt, m.test.y, { batchSize: 1024 });
  const build = () => mnistHeadNetwork({ dim: m.dim, classes: m.classes });
  const model = build();
  await trainClassifier(model, xs, ys, { epochs, batchSize: 64, logits: true });
  const headAcc = acc(model);
  // the fair baseline: the same head (features frozen) trained the epochs the sketch's refinement gets
  const twin = frozenTwin(build, model, 0);
  await trainClassifier(twin, xs, ys, { epochs: refineEpochs, batchSize: 64, logits: true });
  const headEqAcc = acc(twin);
  log(`   head ${(100 * headAcc).toFixed(2)}%, trained ${refineEpochs} more epochs (features frozen) ${(100 * headEqAcc).toFixed(2)}%`);

  const refine = { epochs: refineEpochs, target: 'labels', labels: yl, learningRate: 0.1, batchSize: 128 };
  const grid = quick
    ? [{ rows: 32, bits: 4 }, { rows: 64, bits: 4 }]
    : [
      { rows: 32, bits: 4 }, { rows: 64, bits: 4 }, { rows: 128, bits: 4 }, { rows: 256, bits: 4 }, { rows: 64, bits: 6 }, { rows: 128, bits: 6 },
      { rows: 128, bits: 4, density: 1 / 3 }, { rows: 128, bits: 4, projection: 'sign' }, { rows: 128, bits: 4, projection: 'gaussian' },
    ];
  const depths = quick ? [] : [2, 1, 'pixels']; // 'pixels' last: re-applying the layers gives them a second inbound node
  const prog = new Progress('representer-sketch', grid.length + depths.length + backends.length);
  const features = model.getLayer('features').output;
  const headCostAll = RS.headCost(model.layers.slice(1));
  const frontier = [];
  const kept = {}; // sketches timed later, by label
  for (const g of grid) {
    const t0 = performance.now();
    const r = await RS.convertToRepresenterSketch(model, { headFrom: 'features', data: xs, seed: 7, countBits: 32, ...g, refine });
    const buildS = (performance.now() - t0) / 1000;
    const float = r.layers[0];
    for (const countBits of [32, 16, 8, 4]) {
      const layer = countBits === 32 ? float : float.quantize(countBits);
      const mm = countBits === 32 ? r.model : tf.model({ inputs: model.inputs, outputs: layer.apply(features) });
      const z = RS.sizing(layer, model.layers.slice(1));
      const a = acc(mm);
      const label = `R=${g.rows} K=${g.bits} ${layer.projectionKind}${layer.projectionKind === 'sparse' ? ` ${layer.density.toFixed(3)}` : ''} ${countBits}-bit`;
      frontier.push({
        label, rows: g.rows, bits: g.bits, projection: layer.projectionKind, density: layer.projectionKind === 'sparse' ? +layer.density.toFixed(3) : '-', countBits,
        bytes: z.sketch.bytes, storageX: z.storageReduction, ops: z.sketch.multiplyAdds, multiplies: z.sketch.multiplies, opsX: z.computeReduction,
        acc: a, dHead: 100 * (a - headAcc), dHeadEq: 100 * (a - headEqAcc), buildS,
      });
      if ((g.rows === 128 && g.bits === 4 && (countBits === 8 || (countBits === 32 && g.projection === 'gaussian'))) || (g.rows === 64 && g.bits === 4 && countBits === 8) || (g.rows === 256 && countBits === 4)) {
        kept[label] = await sketchArtifacts(layer, 64);
      }
      if (countBits !== 32) layer.dispose();
    }
    prog.step(`${frontier.at(-1).label.replace(/ 4-bit$/, '')}: accuracy ${frontier.slice(-4).map((f) => `${f.countBits}-bit ${(100 * f.acc).toFixed(2)}%`).join(', ')}; 8-bit bytes ×${frontier.at(-2).storageX.toFixed(1)}, ops ×${frontier.at(-2).opsX.toFixed(1)}`);
    float.dispose();
  }

  const cmd = `flock /tmp/hashlayers-bench.lock node tools/bench/run.mjs representer-sketch${quick ? ' --quick' : ''}`;
  const setup = `MNIST (tools/data/mnist.cjs: ${m.train.n} train / ${m.test.n} test digits). Network 784 → 64 ReLU 'features' → 512 ReLU → 512 ReLU → 10 logits, trained ${epochs} epochs (Adam 1e-3, batch 64) on ${trainBackend}: test accuracy ${(100 * headAcc).toFixed(2)}%. The head after the features (${headCostAll.parameters} parameters, ${headCostAll.bytes} bytes with its configs) is replaced by a sketch filled with the head's logits (cell means), then its float counts refined ${refineEpochs} epochs with model.fit on the training labels (softmax cross-entropy, Adam 0.1, batch 128), then quantized. **Equally trained head**: the same network with the features frozen, its head trained ${refineEpochs} more epochs (Adam 1e-3, batch 64): ${(100 * headEqAcc).toFixed(2)}%.`;
  await writeResults('representer-sketch-frontier', {
    title: 'RepresenterSketch: accuracy against bytes and operations (MNIST head replaced)',
    command: cmd,
    notes: [
      setup,
      'bytes: everything the saved sketch holds (weights: packed counts + [scale, offset] + the center; plus its config JSON; the projection is regenerated from the seed). ops: operations per query, each addition counted as a multiply-add (hash: one per non-zero projection entry + R·K comparisons; look-up: R·10 additions + 10 multiply-adds); multiplies: how many of them are multiplications. Δ: points against the head as converted and against the equally trained head. One seed (7), one trained network: differences below ~0.3 points are within run-to-run noise (the refinement shuffles with Math.random).',
    ],
    columns: [
      { key: 'rows', label: 'R' }, { key: 'bits', label: 'K' }, { key: 'projection', label: 'projection' }, { key: 'density', label: 'density' }, { key: 'countBits', label: 'count bits' },
      { key: 'bytes', label: 'bytes' }, { key: 'storageX', label: 'bytes ×less' }, { key: 'ops', label: 'ops/query' }, { key: 'multiplies', label: 'of which ×' }, { key: 'opsX', label: 'ops ×less' },
      { key: 'acc', label: 'accuracy' }, { key: 'dHead', label: 'Δ head' }, { key: 'dHeadEq', label: 'Δ equally trained head' },
    ],
    rows: frontier,
  });

  // sketching from other layers: each replaced part against itself trained the same extra epochs
  const depthRows = [];
  for (const from of depths) {
    const net = from === 'pixels' ? withPixels(model, m.dim) : model;
    const idx = from === 'pixels' ? 1 : from;
    const headFrom = from === 'pixels' ? 'pixels' : from;
    const replaced = net.layers.slice(idx + 1);
    const r = await RS.convertToRepresenterSketch(net, { headFrom, data: xs, seed: 7, rows: 128, bits: 4, countBits: 8, refine });
    const a = acc(r.model);
    const z = r.reports[0].sizing;
    const eq = from === 'pixels' ? (() => {
      const t = build();
      t.setWeights(model.getWeights());
      return t;
    })() : frozenTwin(build, model, from);
    await trainClassifier(eq, xs, ys, { epochs: refineEpochs, batchSize: 64, logits: true });
    const eqAcc = acc(eq);
    const inDim = from === 'pixels' ? m.dim : net.layers[idx].outputShape[1];
    depthRows.push({
      from: from === 'pixels' ? 'input pixels (the whole network)' : `hidden layer ${from} (${inDim} ReLU)`,
      replaced: replaced.map((l) => `${l.getClassName()}(${l.outputShape[1]})`).join(' → '), d: inDim,
      headParams: z.head.parameters, headAcc, headEqAcc: eqAcc, acc: a, dHeadEq: 100 * (a - eqAcc),
      bytes: z.sketch.bytes, storageX: z.storageReduction, ops: z.sketch.multiplyAdds, opsX: z.computeReduction,
    });
    prog.step(`from ${depthRows.at(-1).from}: sketch ${(100 * a).toFixed(2)}% vs equally trained ${(100 * eqAcc).toFixed(2)}%; bytes ×${z.storageReduction.toFixed(1)}, ops ×${z.computeReduction.toFixed(1)}`);
    r.layers[0].dispose();
    eq.dispose();
  }

  if (depthRows.length) {
    await writeResults('representer-sketch-depth', {
      title: 'RepresenterSketch from other layers: how much of the network to replace',
      command: cmd,
      notes: [
        `${setup} Each row replaces every layer after the named one by a sketch of R=128, K=4, sparse projection (density 1/√d, at most 1/3), 8-bit counts, refined ${refineEpochs} epochs; its baseline is the same replaced layers trained ${refineEpochs} more epochs with the layers before them frozen (for the whole network: all layers trained).`,
      ],
      columns: [
        { key: 'from', label: 'sketch from' }, { key: 'replaced', label: 'replaced' }, { key: 'd', label: 'd' }, { key: 'headParams', label: 'replaced parameters' },
        { key: 'headEqAcc', label: 'replaced, equally trained' }, { key: 'acc', label: 'sketch' }, { key: 'dHeadEq', label: 'Δ (points)' },
        { key: 'bytes', label: 'sketch bytes' }, { key: 'storageX', label: 'bytes ×less' }, { key: 'ops', label: 'ops/query' }, { key: 'opsX', label: 'ops ×less' },
      ],
      rows: depthRows,
    });
  }
  const headCost = RS.headCost(model.layers.slice(1));
  const headArtifacts = await saveToMemory(tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [64] }), ...model.layers.slice(1)] }));
  const featT = readBack(() => model.layers[0].apply(xt));
  tf.dispose([xs, ys, xt]);

  const speed = [];
  for (const backend of backends) {
    await useBackend(backend);
    const f256 = tf.tensor2d(featT.slice(0, 256 * 64), [256, 64]);
    const f1 = tf.tensor2d(featT.slice(0, 64), [1, 64]);
    const opts = backend === 'cpu' ? { warmup: 2, reps: 5, minMs: quick ? 50 : 200 } : { warmup: 3, reps: 9, minMs: quick ? 100 : 400 };
    // every model loaded on this backend from its saved artifacts: all its tensors live here
    const head = await tf.loadLayersModel(tf.io.fromMemory(headArtifacts));
    const run = (mm, f) => () => readBack(() => mm.apply(f));
    const h256 = time(run(head, f256), opts).ms / 256;
    const h1 = time(run(head, f1), opts).ms;
    speed.push({ backend, method: 'replaced head (Dense 64→512→512→10)', ops: headCost.multiplyAdds, opsX: 1, ms256: h256, x256: 1, ms1: h1, x1: 1 });
    for (const [label, art] of Object.entries(kept)) {
      const sk = await tf.loadLayersModel(tf.io.fromMemory(art));
      const f = frontier.find((r) => r.label === label);
      const s256 = time(run(sk, f256), opts).ms / 256;
      const s1 = time(run(sk, f1), opts).ms;
      speed.push({ backend, method: `sketch ${label}`, ops: f.ops, opsX: f.opsX, ms256: s256, x256: h256 / s256, ms1: s1, x1: h1 / s1 });
      sk.dispose();
    }
    head.dispose();
    tf.dispose([f256, f1]);
    prog.step(`${backend}: head ${h256.toFixed(4)} ms/query @256, ${h1.toFixed(3)} ms @1; sketches ×${speed.filter((s) => s.backend === backend && s.x256 !== 1).map((s) => `${s.x256.toFixed(1)}/${s.x1.toFixed(1)}`).join(', ')} (@256/@1)`);
  }

  await writeResults('representer-sketch-speed', {
    title: 'RepresenterSketch: ms per query against the replaced head (cpu, wasm, tensorflow)',
    command: cmd,
    notes: [
      setup,
      'Each model loaded on the backend from its saved artifacts; features precomputed (the 64-d output of the feature layer on test digits); ms/query: median over batches of 256 (divided by 256) and of 1, head and sketches in the same process, one after another. The machine is a shared 2-core VM under load from other jobs: medians move by ±30% between runs.',
    ],
    columns: [
      { key: 'backend', label: 'backend' }, { key: 'method', label: 'head' }, { key: 'ops', label: 'ops/query' }, { key: 'opsX', label: 'ops ×less' },
      { key: 'ms256', label: 'ms/query @256' }, { key: 'x256', label: 'speed-up @256' }, { key: 'ms1', label: 'ms @1' }, { key: 'x1', label: 'speed-up @1' },
    ],
    rows: speed,
  });
  model.dispose();
  twin.dispose();
  yl.dispose();
}

export const BENCHMARKS = { 'representer-sketch': mnist };
