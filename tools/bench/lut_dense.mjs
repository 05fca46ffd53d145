// Benchmarks of @hashlayers/lut-dense: LUTDense forward time against dense matMul on the same backend,
// and MNIST accuracy by codebooks C and by layers replaced, with and without fine-tuning.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { benchBackends, preferredBackend, Progress, readBack, resultsDir, time, tf, useBackend, usePreferredBackend, writeResults } from './harness.mjs';
import { toSvg } from './plots.mjs';

const require = createRequire(import.meta.url);
const L = require('@hashlayers/lut-dense');
const { loadMnist } = require('../data/mnist.cjs');
const { mnistMLP, mnistTensors, randomDense, trainClassifier } = require('../data/models.cjs');
const { accuracy, relErr } = require('../data/metrics.cjs');
const { setWasmSimdKernels } = require('@hashlayers/core');

/** The machine is shared: the 1-minute load average when a benchmark started and when it wrote, for its notes. */
function loadNote(startLoad) {
  return `Load average (1 min, os.loadavg) at the start ${startLoad.toFixed(1)}, at this write ${loadavg()[0].toFixed(1)}, on ${cpus().length} cores.`;
}

/** Inputs with low-dimensional structure, like activations: x = relu(z·A + noise), rank 16. */
function structured(n, d, seed) {
  return tf.tidy(() => {
    const z = tf.randomNormal([n, 16], 0, 1, 'float32', seed);
    const a = tf.randomNormal([16, d], 0, 1 / 4, 'float32', seed + 1);
    return tf.relu(tf.add(tf.matMul(z, a), tf.randomNormal([n, d], 0, 0.1, 'float32', seed + 2)));
  });
}

/**
 * Forward ms of LUTDense against matMul(x, W) and matMul + bias, per backend, for float tables (the scalar
 * JavaScript kernels) and 8-bit tables (the WebAssembly SIMD scan; at C = 16 also with the SIMD kernels
 * switched off, for A/B).
 */
export async function speed({ quick }) {
  const startLoad = loadavg()[0];
  const shapes = quick ? [[256, 512, 512], [1, 784, 256]] : [[256, 512, 512], [256, 784, 256], [256, 256, 256], [1, 784, 256]];
  const cs = quick ? [16] : [4, 8, 16, 32, 64];
  const fitRows = 2048;
  const backends = benchBackends();
  const rows = [];
  const fitShapes = [...new Map(shapes.map(([, d, m]) => [`${d}×${m}`, [d, m]])).values()];
  const prog = new Progress('lut-dense speed', fitShapes.length * cs.length + shapes.length * backends.length * (cs.length + 1));
  // fit once per (D, M, C), float and 8-bit, on the preferred backend; every backend then gets its own copies
  await useBackend(preferredBackend(backends));
  const host = (t) => ({ values: t.dataSync().slice(), shape: t.shape, dtype: t.dtype });
  const fitted = {};
  for (const [d, m] of fitShapes) {
    const dense = randomDense(d, m, { seed: 7, biasStddev: 0.1 });
    const xFit = structured(fitRows, d, 11);
    const x = structured(256, d, 21);
    const exact = dense.apply(x).dataSync();
    const entry = { dense: dense.getWeights().map(host), x: host(x), luts: {} };
    for (const c of cs) {
      const t0 = performance.now();
      const model = tf.sequential({ layers: [dense] });
      const f = (await L.convertToLUTDense(model, { codebooks: c, data: xFit })).layers[0];
      const q = (await L.convertToLUTDense(model, { codebooks: c, data: xFit, quantize: true })).layers[0];
      const relF = relErr(f.apply(x).dataSync(), exact);
      const relQ = relErr(q.apply(x).dataSync(), exact);
      entry.luts[c] = {
        float: { config: f.getConfig(), weights: f.getWeights().map(host), relErr: relF, tableBytes: c * 16 * m * 4 },
        u8: { config: q.getConfig(), weights: q.getWeights().map(host), relErr: relQ, tableBytes: c * 16 * m },
      };
      f.dispose();
      q.dispose();
      prog.step(`${d}×${m} C=${c}: fitted in ${((performance.now() - t0) / 1000).toFixed(1)} s, relative error float ${relF.toFixed(3)}, 8-bit ${relQ.toFixed(3)}`);
    }
    fitted[`${d}×${m}`] = entry;
    tf.dispose([xFit, x]);
  }
  const onBackend = (h) => tf.tensor(h.values, h.shape, h.dtype);
  for (const backend of backends) {
    await useBackend(backend);
    for (const [n, d, m] of shapes) {
      const entry = fitted[`${d}×${m}`];
      const shape = `${n}×${d}×${m}`;
      const xb = tf.tidy(() => tf.slice(onBackend(entry.x), [0, 0], [n, d]));
      const [wb, bb] = entry.dense.map(onBackend);
      const small = n * d * m < 1e6;
      const opts = backend === 'cpu' ? { warmup: 2, reps: 7, minMs: quick ? 100 : 300 } : { warmup: small ? 20 : 3, reps: small ? 50 : 15, minMs: quick ? 100 : 500 };
      const mm = time(() => readBack(() => tf.matMul(xb, wb)), opts).ms;
      const mmb = time(() => readBack(() => tf.add(tf.matMul(xb, wb), bb)), opts).ms;
      prog.step(`${backend} ${shape}: matMul ${mm.toFixed(3)} ms, + bias ${mmb.toFixed(3)} ms`);
      rows.push({ backend, shape, method: 'dense matMul', C: '-', ms: mm, encodeMs: '-', ratio: 1, ratioBias: mm / mmb, relErr: 0, tableKiB: (d * m * 4) / 1024 });
      for (const c of cs) {
        for (const kind of ['float', 'u8']) {
          const lw = entry.luts[c][kind];
          const layer = new L.LUTDense(lw.config);
          readBack(() => layer.apply(tf.zeros([1, d])));
          const ws = lw.weights.map(onBackend);
          layer.setWeights(ws);
          tf.dispose(ws);
          const variants = kind === 'u8' && c === 16 ? [true, false] : [true];
          for (const simd of variants) {
            setWasmSimdKernels(simd);
            const lut = time(() => readBack(() => layer.apply(xb)), opts).ms;
            setWasmSimdKernels(true);
            let enc = '-';
            if (kind === 'float') {
              const sd = layer.splitDims.read();
              const th = layer.thresholds.read();
              enc = time(() => readBack(() => L.maddnessEncode(xb, sd, th)), opts).ms;
            }
            const method = kind === 'float' ? 'LUTDense, float tables' : simd ? 'LUTDense, 8-bit tables (SIMD)' : 'LUTDense, 8-bit tables, SIMD off';
            rows.push({ backend, shape, method, C: c, ms: lut, encodeMs: enc, ratio: lut / mm, ratioBias: lut / mmb, relErr: lw.relErr, tableKiB: lw.tableBytes / 1024 });
          }
          layer.dispose();
        }
        const u8 = rows[rows.length - (c === 16 ? 2 : 1)];
        prog.step(`${backend} ${shape} C=${c}: 8-bit ${u8.ms.toFixed(3)} ms (${u8.ratio.toFixed(2)}× matMul)`);
      }
      tf.dispose([xb, wb, bb]);
      await write();
    }
  }
  async function write() {
    await writeResults('lut-dense-speed', {
      title: 'LUTDense forward time against dense matMul (N×D×M, batch N)',
      command: `npm run bench -- lut-dense-speed${quick ? ' --quick' : ''}`,
      notes: [
        `x: N rows of relu(z·A + noise) with rank-16 z (activation-like), W and b random. LUTDense fitted with objective 'reconstruct' (MADDNESS, λ = 1) on ${fitRows} other rows of the same distribution, float tables and 8-bit tables (quantize: true); \`relative error\` = ‖LUT − (xW + b)‖ / ‖xW + b‖ on 256 rows. \`ms\` is the whole layer call: float tables run encode + table sum (scalar JavaScript kernels) + bias add; 8-bit tables run one kernel (WebAssembly SIMD on every backend: encoding, i8x16.swizzle look-ups, rescale, bias). \`encode ms\` the encoding op alone. \`ratio\` = ms / matMul ms (below 1: the LUT is faster), \`ratio vs matMul+bias\` compares with the dense layer's own work. 'SIMD off' = setWasmSimdKernels(false) (the JavaScript reference loop). \`tables KiB\`: the tables' storage (dense: the kernel). One process, same backend, medians.`,
        loadNote(startLoad),
      ],
      columns: [
        { key: 'backend', label: 'backend' }, { key: 'shape', label: 'N×D×M' }, { key: 'method', label: 'method' }, { key: 'C', label: 'C' },
        { key: 'ms', label: 'ms' }, { key: 'encodeMs', label: 'encode ms' }, { key: 'ratio', label: 'ratio vs matMul' }, { key: 'ratioBias', label: 'ratio vs matMul+bias' },
        { key: 'relErr', label: 'relative error' }, { key: 'tableKiB', label: 'tables KiB' },
      ],
      rows,
    });
  }
}

/**
 * MNIST (784-128-64-10 MLP, 8000 training / 1756 test images): accuracy by C and by layers replaced,
 * straight after fitting (no training) and after fine-tuning with ProgressiveLUTReplacement.
 */
export async function mnist({ quick }) {
  const backend = await usePreferredBackend();
  const data = loadMnist();
  const { xs, yl, ys, xt } = mnistTensors(data);
  const testAccuracy = (model) => accuracy(model, xt, data.test.y, { batchSize: 512 });
  const epochs = quick ? 3 : 8;
  const base = mnistMLP(1);
  await trainClassifier(base, xs, ys, { epochs, batchSize: 64 });
  const weights = base.getWeights().map((w) => tf.clone(w));
  const denseAcc = testAccuracy(base);
  const fresh = () => {
    const m = mnistMLP(1);
    m.setWeights(weights);
    return m;
  };
  const cs = quick ? [4, 16] : [1, 2, 4, 8, 16, 32, 64];
  const sets = quick ? [['both hidden', [0, 1]]] : [['hidden 1 (784→128)', [0]], ['hidden 2 (128→64)', [1]], ['both hidden', [0, 1]], ['all three', [0, 1, 2]]];
  const tunes = quick ? [['both hidden', 16]] : [4, 8, 16, 32, 64].map((c) => ['both hidden', c]).concat([16, 64].map((c) => ['all three', c]));
  const partitionsFor = (name) => (quick ? ['correlation'] : name === 'both hidden' ? ['contiguous', 'correlation'] : ['contiguous']);
  const rows = [{ layers: 'none (dense)', C: '-', partition: '-', fit: 'trained', accuracy: denseAcc, gap: 0, seconds: '-' }];
  const prog = new Progress('lut-dense mnist', 1 + cs.length * sets.reduce((a, [name]) => a + partitionsFor(name).length, 0) + tunes.length);
  prog.step(`dense ${denseAcc.toFixed(4)} after ${epochs} epochs on ${backend}`);
  const fitOpts = (layers, partition) => ({ partition, objective: layers.includes(2) ? 'kl' : 'reconstruct' });
  for (const [name, layers] of sets) {
    for (const partition of partitionsFor(name)) {
      for (const c of cs) {
        const m = fresh();
        const perLayer = layers.map((i) => Math.min(c, [784, 128, 64][i]));
        // the softmax output layer is fitted with 'kl' (McCarter–Dronen); kl needs ridge targets: use one call per objective
        let model = m;
        let r;
        if (layers.includes(2)) {
          r = await L.convertToLUTDense(m, { layers: layers.filter((i) => i !== 2), codebooks: perLayer.slice(0, -1), data: xs, partition });
          const r2 = await L.convertToLUTDense(r.model, { layers: [3], codebooks: perLayer[perLayer.length - 1], data: xs, partition, objective: 'kl' });
          model = r2.model;
        } else {
          r = await L.convertToLUTDense(m, { layers, codebooks: perLayer, data: xs, ...fitOpts(layers, partition) });
          model = r.model;
        }
        const acc = testAccuracy(model);
        rows.push({ layers: name, C: c, partition, fit: 'fitted, no training', accuracy: acc, gap: acc - denseAcc, seconds: '-' });
        prog.step(`${name} ${partition} C=${c}: ${acc.toFixed(4)}`);
        model.dispose();
        m.dispose();
      }
      await writeMnist();
    }
  }
  const fitData = tf.slice(xs, [0, 0], [4000, 784]);
  for (const [name, c] of tunes) {
    const layers = sets.find((s) => s[0] === name)[1];
    {
      const t0 = performance.now();
      const m = fresh();
      const r = await L.convertToLUTDense(m, { layers, codebooks: layers.map((i) => Math.min(c, [784, 128, 64][i])), data: xs, fit: false, inputGradient: 'ste' });
      const cb = new L.ProgressiveLUTReplacement({ layers: r.layers, data: fitData, epochsPerLayer: 1, trainTables: true, fit: { partition: 'correlation', objective: 'mse' } });
      r.model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
      await r.model.fit(xs, ys, { epochs: layers.length, batchSize: 128, verbose: 0, callbacks: [cb] });
      const acc = testAccuracy(r.model);
      rows.push({ layers: name, C: c, partition: 'correlation', fit: `progressive + tables trained (${layers.length} epochs)`, accuracy: acc, gap: acc - denseAcc, seconds: (performance.now() - t0) / 1000 });
      prog.step(`${name} C=${c} fine-tuned: ${acc.toFixed(4)}`);
      r.model.dispose();
      m.dispose();
      await writeMnist();
    }
  }
  tf.dispose([xs, yl, ys, xt, fitData, ...weights]);
  base.dispose();
  async function writeMnist() {
    await writeResults('lut-dense-mnist', {
      title: 'MNIST accuracy with LUTDense layers, by codebooks C and layers replaced',
      command: `npm run bench -- lut-dense-mnist${quick ? ' --quick' : ''}`,
      notes: [
        `MLP 784-128(relu)-64(relu)-10(softmax), Adam 1e-3, batch 64, ${epochs} epochs on the 8000 training images of tools/data/mnist.cjs; accuracy on its 1756 test images; backend ${backend}. Layers are fitted on the 8000 training inputs collected through the current network (earlier layers already replaced); hidden layers with objective 'reconstruct' (MADDNESS, λ = 1), the softmax output layer with 'kl'. C is capped at a layer's input width (64 for the output layer).`,
        "Fine-tuned rows: convertToLUTDense(…, {fit: false, inputGradient: 'ste'}) then model.fit (batch 128, one epoch per replaced layer) with ProgressiveLUTReplacement (epochsPerLayer 1, trainTables true, objective 'mse', correlation partition, fitted on the first 4000 training images): a layer is fitted on the current network's inputs, then its tables and the later layers train for an epoch before the next one is replaced. The dense baseline is not trained further in these rows: the fine-tuned models get one to three extra epochs for their later layers (the test in packages/lut-dense/test/mnist.test.ts compares against a dense model trained for the same extra epochs).",
        'McCarter & Dronen (arXiv 2207.05808), as quoted in issue 6: 36% to 85% accuracy for C = 1 to 16 on their MNIST MLP with every layer replaced. Their MLP, data split and training differ from ours; compare trends, not digits.',
      ],
      columns: [
        { key: 'layers', label: 'layers replaced' }, { key: 'partition', label: 'partition' }, { key: 'C', label: 'C' }, { key: 'fit', label: 'fit' },
        { key: 'accuracy', label: 'test accuracy' }, { key: 'gap', label: 'accuracy − dense' }, { key: 'seconds', label: 'fine-tune s' },
      ],
      rows,
    });
  }
}

/**
 * Issue 15's MLP target and accuracy-vs-speed frontier: MNIST 784-256-256-10 (dense, trained), both hidden
 * layers replaced by LUTDense at C and fine-tuned for the same number of epochs by three methods — plain
 * fine-tuning (fit every layer, then model.fit with trained tables and 'ste'), McCarter–Dronen progressive
 * replacement (ProgressiveLUTReplacement, trained tables), and LUT-NN soft assignment (convertToLUTDense soft,
 * SoftLUTAnnealing, hardened into trees, one epoch of table training) — then quantized to 8 bits (the SIMD
 * scan); accuracy against dense, and forward time of the two hidden LUT layers against tfjs-node's matMul of
 * the same shapes at batch 256, in one process on the preferred backend. The soft arm also records the
 * hardening choice: the soft network, the nearest-prototype encoder (temperature 0) and trees re-fitted on x.
 */
export async function mlp({ quick }) {
  const startLoad = loadavg()[0];
  const backend = await usePreferredBackend();
  const data = loadMnist();
  const { xs, ys, xt } = mnistTensors(data);
  const testAccuracy = (model) => accuracy(model, xt, data.test.y, { batchSize: 512 });
  const epochs = quick ? 3 : 8;
  const tuneEpochs = quick ? 2 : 4;
  const cs = quick ? [16] : [8, 16, 32, 64];
  const methods = ['plain', 'progressive', 'soft', 'soft-tree'];
  const build = () => tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 256, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  const base = build();
  await trainClassifier(base, xs, ys, { epochs, batchSize: 64, shuffle: false });
  const denseAcc = testAccuracy(base);
  const weights = base.getWeights().map((w) => tf.clone(w));
  // the dense network trained for the fine-tuning epochs too (same batch size as fine-tuning): the stronger baseline
  await trainClassifier(base, xs, ys, { epochs: tuneEpochs, batchSize: 128, shuffle: false });
  const denseMoreAcc = testAccuracy(base);
  const bestDense = Math.max(denseAcc, denseMoreAcc);
  const fitData = tf.slice(xs, [0, 0], [4000, 784]);
  const xb = tf.slice(xt, [0, 0], [256, 784]);
  const h1 = tf.relu(tf.matMul(xb, weights[0]));
  const opts = { warmup: 3, reps: 15, minMs: quick ? 100 : 400 };
  const mm = time(() => readBack(() => tf.matMul(xb, weights[0])), opts).ms + time(() => readBack(() => tf.matMul(h1, weights[2])), opts).ms;
  const rows = [
    { method: 'dense', C: '-', stage: `trained ${epochs} epochs`, accuracy: denseAcc, delta: 100 * (denseAcc - bestDense), ms: mm, ratio: 1, seconds: '-' },
    { method: 'dense', C: '-', stage: `trained ${epochs} + ${tuneEpochs} epochs`, accuracy: denseMoreAcc, delta: 100 * (denseMoreAcc - bestDense), ms: mm, ratio: 1, seconds: '-' },
  ];
  const frontier = [];
  const prog = new Progress('lut-dense mlp', cs.length * methods.length);
  const fitOpts = { partition: 'correlation', objective: 'mse' };
  const compileFit = async (model, nEpochs, callbacks) => {
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    await model.fit(xs, ys, { epochs: nEpochs, batchSize: 128, verbose: 0, shuffle: false, callbacks });
  };
  const add = (method, c, stage, acc, extra = {}) => rows.push({ method, C: c, stage, accuracy: acc, delta: 100 * (acc - bestDense), ms: '-', ratio: '-', seconds: '-', ...extra });
  for (const c of cs) {
    for (const method of methods) {
      const t0 = performance.now();
      const m = build();
      m.setWeights(weights);
      let model;
      if (method === 'plain') {
        ({ model } = await L.convertToLUTDense(m, { layers: [0, 1], codebooks: c, data: fitData, inputGradient: 'ste', ...fitOpts }));
        add(method, c, 'fitted, no training', testAccuracy(model));
        await compileFit(model, tuneEpochs, []);
      } else if (method === 'progressive') {
        const r = await L.convertToLUTDense(m, { layers: [0, 1], codebooks: c, data: xs, fit: false, inputGradient: 'ste' });
        model = r.model;
        const cb = new L.ProgressiveLUTReplacement({ layers: r.layers, data: fitData, epochsPerLayer: tuneEpochs / 2, trainTables: true, fit: fitOpts });
        await compileFit(model, tuneEpochs, [cb]);
      } else if (method === 'soft-tree') {
        const r = await L.convertToLUTDense(m, { layers: [0, 1], codebooks: c, data: fitData, soft: true, softAssignment: 'tree', ...fitOpts });
        model = r.model;
        add(method, c, 'soft, before training (t = 1)', testAccuracy(model));
        const anneal = new L.SoftLUTAnnealing({ layers: r.layers, data: fitData });
        await compileFit(model, tuneEpochs - 1, [anneal]);
        add(method, c, "hardened (the trained trees, encoder 'tree')", testAccuracy(model), { mse: anneal.reports.map((q) => (q.outputMse / q.targetMeanSquare).toFixed(3)).join(' / ') });
        await compileFit(model, 1, []);
      } else {
        const r = await L.convertToLUTDense(m, { layers: [0, 1], codebooks: c, data: fitData, soft: true, ...fitOpts });
        model = r.model;
        add(method, c, 'soft, before training (t = 1)', testAccuracy(model));
        const anneal = new L.SoftLUTAnnealing({ layers: r.layers, harden: false });
        await compileFit(model, tuneEpochs - 1, [anneal]);
        add(method, c, `soft, trained (t = ${anneal.endTemperature})`, testAccuracy(model));
        r.layers.forEach((l) => (l.temperature = 0));
        add(method, c, 'nearest-prototype encoder (t = 0)', testAccuracy(model));
        r.layers.forEach((l) => (l.temperature = anneal.endTemperature));
        // the hardening choice, measured: trees re-fitted on x ('inputs') against trees fitted to the prototypes' cells
        const saved = r.layers.map((l) => l.getLUT());
        const repIn = L.hardenSoftLUT(model, { layers: r.layers, data: fitData, encoder: 'inputs' });
        add(method, c, "hardened, encoder 'inputs' (MADDNESS trees on x)", testAccuracy(model), { mse: repIn.map((q) => (q.outputMse / q.targetMeanSquare).toFixed(3)).join(' / ') });
        r.layers.forEach((l, i) => {
          l.setLUT(saved[i]);
          l.mode = 'soft';
        });
        const rep = L.hardenSoftLUT(model, { layers: r.layers, data: fitData, encoder: 'prototypes' });
        add(method, c, "hardened, encoder 'prototypes' (default)", testAccuracy(model), {
          mse: rep.map((q) => (q.outputMse / q.targetMeanSquare).toFixed(3)).join(' / '),
          nearestMse: rep.map((q) => (q.nearestPrototypeMse / q.targetMeanSquare).toFixed(3)).join(' / '),
        });
        await compileFit(model, 1, []);
      }
      const accF = testAccuracy(model);
      add(method, c, `fine-tuned (${tuneEpochs} epochs), float tables`, accF);
      // the fine-tuned float tables → 8-bit LUTDense layers with the same trees (a new model; the rest shared)
      const { model: qm, layers: q } = await L.quantizeLUTDense(model);
      const accQ = testAccuracy(qm);
      const lutMs = time(() => readBack(() => q[0].apply(xb)), opts).ms + time(() => readBack(() => q[1].apply(h1)), opts).ms;
      const seconds = (performance.now() - t0) / 1000;
      add(method, c, 'then 8-bit tables (SIMD)', accQ, { ms: lutMs, ratio: lutMs / mm, seconds });
      frontier.push({ method, C: c, accuracy: accQ, ratio: lutMs / mm });
      prog.step(`C=${c} ${method}: fine-tuned ${(100 * accF).toFixed(1)}%, 8-bit ${(100 * accQ).toFixed(1)}% (dense ${(100 * bestDense).toFixed(1)}%), hidden layers ${lutMs.toFixed(3)} ms vs matMul ${mm.toFixed(3)} ms, ${seconds.toFixed(0)} s`);
      q.forEach((l) => l.dispose());
      model.dispose();
      m.dispose();
      await writeMlp();
    }
  }
  tf.dispose([xs, ys, xt, fitData, xb, h1, ...weights]);
  base.dispose();
  async function writeMlp() {
    await writeResults('lut-dense-mlp', {
      title: "MNIST 784-256-256-10, both hidden layers LUTDense: fine-tuning methods, 8-bit speed (issue 15's MLP target)",
      command: `npm run bench -- lut-dense-mlp${quick ? ' --quick' : ''}`,
      notes: [
        `Backend ${backend}. Dense MLP trained ${epochs} epochs (batch 64, Adam 1e-3, 8000 training images of tools/data/mnist.cjs, seeded order); test accuracy on its 1756 test images (one image = 0.057 points). \`− best dense\` is against the better of the dense network after ${epochs} epochs and after ${tuneEpochs} more (the fine-tuning budget). Every method gets ${tuneEpochs} epochs of model.fit (batch 128, Adam 1e-3) and fits tables with objective 'mse', correlation partition, on the first 4000 training images:`,
        `**plain**: convertToLUTDense (both layers fitted at once, inputGradient 'ste'), then ${tuneEpochs} epochs with the tables training. **progressive** (McCarter & Dronen): convertToLUTDense(…, {fit: false, inputGradient: 'ste'}) + ProgressiveLUTReplacement (epochsPerLayer ${tuneEpochs / 2}, trainTables true). **soft** (LUT-NN, Tang et al. 2023): convertToLUTDense(…, {soft: true}) (prototypes = the fitted trees' leaf means), ${tuneEpochs - 1} epochs with SoftLUTAnnealing (temperature 1 → 0.01 geometric per batch, defaults; prototypes, tables and later layers train, gradient through the soft assignment), then hardenSoftLUT (new trees and ridge tables fitted to the soft layers' outputs), then 1 epoch with the tables training. **soft-tree** (this package's adaptation of LUT-NN to the tree encoder): convertToLUTDense(…, {soft: true, softAssignment: 'tree'}): each node of the fitted trees routes a row right with probability σ((x − threshold)/(t · scale)), scale = the mean standard deviation of the codebook's split dimensions; ${tuneEpochs - 1} epochs with SoftLUTAnnealing (same defaults; thresholds, tables and later layers train), hardened by keeping the trained trees, then 1 epoch with the tables training. The soft rows before 'fine-tuned' are the hardening choice: the soft network at the final temperature, the nearest-prototype encoder (temperature 0, no trees), trees re-fitted on x ('inputs') and trees fitted to the nearest prototypes ('prototypes'); \`hardened MSE\` = the hardened layer's output MSE / mean square of the soft output (layer 1 / layer 2), \`nearest MSE\` the same for the nearest-prototype encoder.`,
        `8-bit: quantizeLUTDense(model) (per-output scale, per-codebook offset, same trees and bias). \`ms\`: forward time of the two hidden layers at batch 256 (784→256, 256→256), 8-bit LUT layers against matMul(x, W) of the same shapes, medians in one process; the machine was shared with other jobs (see the guide). \`seconds\`: wall time of the method (conversion, fitting, training, hardening, evaluations).`,
        loadNote(startLoad),
      ],
      columns: [
        { key: 'method', label: 'method' }, { key: 'C', label: 'C' }, { key: 'stage', label: 'stage' }, { key: 'accuracy', label: 'accuracy' },
        { key: 'delta', label: '− best dense (points)' }, { key: 'mse', label: 'hardened MSE' }, { key: 'nearestMse', label: 'nearest MSE' },
        { key: 'ms', label: 'hidden layers ms' }, { key: 'ratio', label: 'ratio vs matMul' }, { key: 'seconds', label: 'seconds' },
      ],
      rows,
    });
    await writeFrontierPlot(frontier, bestDense);
  }
}

/**
 * The accuracy-vs-speed frontier (8-bit accuracy against hidden-layer time / matMul time), as SVG. The time
 * depends only on C (same kernel, same shapes, whichever method fitted the tables), so each C is placed at the
 * median of its methods' measured ratios: on the shared machine single measurements of one C scattered by up
 * to ×1.5. Also callable on a saved lut-dense-mlp.json: `node -e "import('./tools/bench/lut_dense.mjs').then(m => m.replotFrontier(dir))"`.
 */
async function writeFrontierPlot(points, denseAcc, dir = resultsDir()) {
  const median = (v) => {
    const a = [...v].sort((p, q) => p - q);
    return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  };
  const ratioOf = new Map([...new Set(points.map((p) => p.C))].map((c) => [c, median(points.filter((p) => p.C === c).map((p) => p.ratio))]));
  const data = [...points.map((p) => ({ ...p, ratio: ratioOf.get(p.C), label: `C=${p.C}` })), { method: 'dense', C: '-', accuracy: denseAcc, ratio: 1, label: 'dense' }];
  const x = { field: 'ratio', type: 'quantitative', title: 'hidden layers time / matMul time (batch 256, log; left = faster)', scale: { type: 'log', nice: false, padding: 16 }, axis: { grid: true } };
  const y = { field: 'accuracy', type: 'quantitative', title: 'MNIST test accuracy (8-bit tables)', scale: { zero: false, padding: 12 } };
  const color = { field: 'method', type: 'nominal', title: 'fine-tuning', sort: null };
  const target = [{ ratio: 0.5, accuracy: denseAcc - 0.01 }];
  const vl = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: ['LUTDense MNIST 784-256-256-10: accuracy against speed', 'both hidden layers, fine-tuned, 8-bit; x: median of the methods per C', 'dashed: the target (≥ 2× faster, ≤ 1 point below dense)'], anchor: 'start', fontSize: 13 },
    width: 520,
    height: 320,
    background: 'white',
    config: { font: 'sans-serif', legend: { labelLimit: 320 } },
    layer: [
      { data: { values: data.filter((d) => d.method !== 'dense') }, mark: { type: 'line', strokeWidth: 1.5 }, encoding: { x, y, color, order: { field: 'C' } } },
      { data: { values: data }, mark: { type: 'point', filled: true, size: 60 }, encoding: { x, y, color, tooltip: [{ field: 'method' }, { field: 'C' }, { field: 'accuracy' }, { field: 'ratio' }] } },
      // one label per C (the methods share the x of a C)
      { data: { values: data.filter((d) => d.method === 'plain' || d.method === 'dense') }, mark: { type: 'text', align: 'right', dx: -8, dy: 0, fontSize: 9, color: '#444' }, encoding: { x, y, text: { field: 'label' } } },
      { data: { values: target }, mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { x: { field: 'ratio', type: 'quantitative' } } },
      { data: { values: target }, mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { y: { field: 'accuracy', type: 'quantitative' } } },
    ],
  };
  writeFileSync(join(dir, 'lut-dense-frontier.svg'), (await toSvg(vl)) + '\n');
}

/** Re-draws lut-dense-frontier.svg from the lut-dense-mlp.json in dir (no re-run). */
export async function replotFrontier(dir = resultsDir()) {
  const { rows } = JSON.parse(readFileSync(join(dir, 'lut-dense-mlp.json'), 'utf8'));
  const best = Math.max(...rows.filter((r) => r.method === 'dense').map((r) => r.accuracy));
  const points = rows.filter((r) => r.stage === 'then 8-bit tables (SIMD)').map((r) => ({ method: r.method, C: r.C, accuracy: r.accuracy, ratio: r.ratio }));
  await writeFrontierPlot(points, best, dir);
}

export const BENCHMARKS = {
  'lut-dense': async (o) => {
    await speed(o);
    await mnist(o);
    await mlp(o);
  },
  'lut-dense-speed': speed,
  'lut-dense-mnist': mnist,
  'lut-dense-mlp': mlp,
};
