// Benchmarks of @hashlayers/lut-dense: LUTDense forward time against dense matMul on the same backend,
// and MNIST accuracy by codebooks C and by layers replaced, with and without fine-tuning.
import { createRequire } from 'node:module';
import { benchBackends, preferredBackend, Progress, readBack, time, tf, useBackend, usePreferredBackend, writeResults } from './harness.mjs';

const require = createRequire(import.meta.url);
const L = require('@hashlayers/lut-dense');
const { loadMnist } = require('../data/mnist.cjs');
const { mnistMLP, mnistTensors, randomDense, trainClassifier } = require('../data/models.cjs');
const { accuracy, relErr } = require('../data/metrics.cjs');

/** Inputs with low-dimensional structure, like activations: x = relu(z·A + noise), rank 16. */
function structured(n, d, seed) {
  return tf.tidy(() => {
    const z = tf.randomNormal([n, 16], 0, 1, 'float32', seed);
    const a = tf.randomNormal([16, d], 0, 1 / 4, 'float32', seed + 1);
    return tf.relu(tf.add(tf.matMul(z, a), tf.randomNormal([n, d], 0, 0.1, 'float32', seed + 2)));
  });
}

/** Forward ms of LUTDense (encode + table sum + bias) against matMul(x, W) and matMul + bias, per backend. */
export async function speed({ quick }) {
  const shapes = quick ? [[256, 512, 512]] : [[256, 512, 512], [256, 784, 10]];
  const cs = quick ? [8, 32] : [4, 8, 16, 32];
  const backends = benchBackends();
  const rows = [];
  const prog = new Progress('lut-dense speed', shapes.length * (cs.length + backends.length * (cs.length + 1)));
  await useBackend(preferredBackend(backends));
  for (const [n, d, m] of shapes) {
    // fit once per (shape, C) on 4096 rows; the layers are then timed on every backend
    const dense = randomDense(d, m, { seed: 7, biasStddev: 0.1 });
    const xFit = structured(4096, d, 11);
    const x = structured(n, d, 21);
    const exact = dense.apply(x).dataSync();
    const luts = {};
    for (const c of cs) {
      const t0 = performance.now();
      luts[c] = (await L.convertToLUTDense(tf.sequential({ layers: [dense] }), { codebooks: c, data: xFit })).layers[0];
      const err = relErr(luts[c].apply(x).dataSync(), exact);
      luts[c].fitSeconds = (performance.now() - t0) / 1000;
      luts[c].relErr = err;
      prog.step(`${n}×${d}×${m} C=${c}: fitted in ${luts[c].fitSeconds.toFixed(1)} s, relative error ${err.toFixed(3)}`);
    }
    // every backend gets its own tensors, made from plain arrays (no cross-backend data moves)
    const host = (t) => ({ values: t.dataSync().slice(), shape: t.shape, dtype: t.dtype });
    const [w, b] = dense.getWeights().map(host);
    const xh = host(x);
    const lutWeights = Object.fromEntries(cs.map((c) => [c, { config: luts[c].getConfig(), weights: luts[c].getWeights().map(host) }]));
    const onBackend = (h) => tf.tensor(h.values, h.shape, h.dtype);
    for (const backend of backends) {
      await useBackend(backend);
      const xb = onBackend(xh);
      const wb = onBackend(w);
      const bb = onBackend(b);
      const opts = backend === 'cpu' ? { warmup: 2, reps: 7, minMs: quick ? 100 : 300 } : { warmup: 3, reps: 15, minMs: quick ? 100 : 500 };
      const mm = time(() => readBack(() => tf.matMul(xb, wb)), opts).ms;
      const mmb = time(() => readBack(() => tf.add(tf.matMul(xb, wb), bb)), opts).ms;
      prog.step(`${backend} ${n}×${d}×${m}: matMul ${mm.toFixed(3)} ms, + bias ${mmb.toFixed(3)} ms`);
      rows.push({ backend, shape: `${n}×${d}×${m}`, method: 'dense matMul', C: '-', ms: mm, encodeMs: '-', ratio: 1, ratioBias: mm / mmb, relErr: 0 });
      for (const c of cs) {
        const layer = new L.LUTDense(lutWeights[c].config);
        readBack(() => layer.apply(tf.zeros([1, d])));
        const ws = lutWeights[c].weights.map(onBackend);
        layer.setWeights(ws);
        tf.dispose(ws);
        layer.relErr = luts[c].relErr;
        const lut = time(() => readBack(() => layer.apply(xb)), opts).ms;
        const sd = layer.splitDims.read();
        const th = layer.thresholds.read();
        const enc = time(() => readBack(() => L.maddnessEncode(xb, sd, th)), opts).ms;
        rows.push({ backend, shape: `${n}×${d}×${m}`, method: 'LUTDense', C: c, ms: lut, encodeMs: enc, ratio: lut / mm, ratioBias: lut / mmb, relErr: layer.relErr });
        prog.step(`${backend} ${n}×${d}×${m} C=${c}: LUTDense ${lut.toFixed(3)} ms (encode ${enc.toFixed(3)}), ${(lut / mm).toFixed(2)}× matMul`);
        layer.dispose();
      }
      tf.dispose([xb, wb, bb]);
      await write();
    }
    Object.values(luts).forEach((l) => l.dispose());
    tf.dispose([xFit, x]);
    // (the Dense layer was only applied eagerly: tfjs-layers refuses to dispose an unused layer; its weights go with the process)
  }
  async function write() {
    await writeResults('lut-dense-speed', {
      title: 'LUTDense forward time against dense matMul (N×D×M, batch N)',
      command: `npm run bench -- lut-dense-speed${quick ? ' --quick' : ''}`,
      notes: [
        'x: N rows of relu(z·A + noise) with rank-16 z (activation-like), W and b random. LUTDense fitted with objective \'reconstruct\' (MADDNESS, λ = 1) on 4096 other rows of the same distribution; `relative error` = ‖LUT − (xW + b)‖ / ‖xW + b‖ on the timed rows. `LUT ms` is the whole layer call (encode + table sum + bias add), `encode ms` the encoding alone. `ratio` = LUT ms / matMul ms (below 1: the LUT is faster), `ratio vs matMul+bias` compares with the dense layer\'s own work (matMul + bias add). One process, same backend, medians. On this synthetic distribution the approximation itself is poor (relative error near 1 for D = 784 with C ≤ 32: 16 latent factors spread over all columns, and ridge prototypes fitted on 4096 rows); these rows are about speed, accuracy is measured on MNIST (lut-dense-mnist).',
      ],
      columns: [
        { key: 'backend', label: 'backend' }, { key: 'shape', label: 'N×D×M' }, { key: 'method', label: 'method' }, { key: 'C', label: 'C' },
        { key: 'ms', label: 'ms' }, { key: 'encodeMs', label: 'encode ms' }, { key: 'ratio', label: 'ratio vs matMul' }, { key: 'ratioBias', label: 'ratio vs matMul+bias' }, { key: 'relErr', label: 'relative error' },
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

export const BENCHMARKS = {
  'lut-dense': async (o) => {
    await speed(o);
    await mnist(o);
  },
  'lut-dense-speed': speed,
  'lut-dense-mnist': mnist,
};
