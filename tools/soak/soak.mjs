// Soak test of every hashlayers layer (issue 17; a script, not a unit test): per layer and backend,
// many predict/topK calls and model.fit batches with the layer's callbacks, sampling tf.memory()
// tensors, the wasm heap and the process RSS over time. A leak shows as tensor or heap growth.
//
//   node tools/soak/soak.mjs [--predicts 10000] [--batches 1000] [--backends cpu,wasm,tensorflow]
//                            [--layers lut,lut8,lsh,lss,sketch,sketch8] [--out docs/results/soak.json]
//
// Uses the built packages (npm run build first). Prints one line per sample and a summary table.
import { createRequire } from 'node:module';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
const { availableBackends, useBackend } = require('../testing/backend.cjs');
const { lutDense, ProgressiveLUTReplacement } = require('@hashlayers/lut-dense');
const { lshSoftmax, lshSoftmaxLoss, trainingModel, RehashCallback, predictTopK } = require('@hashlayers/lsh-softmax');
const { lss, LSSHashCallback } = require('@hashlayers/lss');
const { convertToRepresenterSketch } = require('@hashlayers/representer-sketch');

const { values: opt } = parseArgs({
  options: {
    predicts: { type: 'string', default: '10000' },
    batches: { type: 'string', default: '1000' },
    backends: { type: 'string' },
    layers: { type: 'string', default: 'lut,lut8,lsh,lss,sketch,sketch8' },
    out: { type: 'string' },
    'md-from': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  console.log('node tools/soak/soak.mjs [--predicts N] [--batches N] [--backends cpu,wasm,tensorflow] [--layers lut,lut8,lsh,lss,sketch,sketch8] [--out file.json]');
  process.exit(0);
}
/** The summary table of a soak run (written next to --out as .md). */
function markdown(run) {
  const lines = [
    `# Soak run (${run.date.slice(0, 10)})`,
    '',
    `\`node tools/soak/soak.mjs --predicts ${run.predicts} --batches ${run.batches}\`: per layer and backend, ${run.predicts} predict/topK calls`,
    `(batch ${run.batch ?? 32}) and ${run.batches} model.fit batches with the layer's callbacks (LUTDense: ProgressiveLUTReplacement;`,
    'LSHSoftmax: RehashCallback every 4 batches, 5 head classes; LSS: LSSHashCallback; 8-bit LUTDense frozen; RepresenterSketch',
    'with weighted rows, float counts trained; sketch8: 8-bit counts, frozen, a Dense after it trained). Tensors are sampled',
    "every tenth of the calls and at epoch ends; 'left' counts the tensors still",
    'alive after the models, optimizers and data were disposed. RSS is the whole process (V8 heap included), for scale only.',
    '',
    '| layer | backend | seconds | tensor growth, predict | tensor growth, fit | left after dispose | wasm heap growth | RSS change (MB) |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of run.results) {
    lines.push(`| ${r.layer} | ${r.backend} | ${r.seconds.toFixed(0)} | ${r.tensorGrowthPredict} | ${r.tensorGrowthFit} | ${r.leftAfterDispose} | ${r.wasmHeapGrowth ?? '–'} | ${r.rssGrowthMB} |`);
  }
  return lines.join('\n') + '\n';
}
if (opt['md-from']) {
  const { readFileSync } = await import('node:fs');
  const run = JSON.parse(readFileSync(opt['md-from'], 'utf8'));
  writeFileSync(opt['md-from'].replace(/\.json$/, '.md'), markdown(run));
  process.exit(0);
}

const PREDICTS = Number(opt.predicts);
const BATCHES = Number(opt.batches);
const SAMPLES = 10;
const D = 32;
const UNITS = 200;
const BATCH = 32;

function wasmHeapBytes() {
  const b = tf.backend();
  const mem = b?.wasm?.asm?.memory ?? b?.wasm?.wasmMemory;
  return mem instanceof WebAssembly.Memory ? mem.buffer.byteLength : b?.wasm?.HEAP8?.length ?? null;
}

function sample(phase, step) {
  return { phase, step, tensors: tf.memory().numTensors, wasmHeap: wasmHeapBytes(), rss: process.memoryUsage().rss };
}

const data = (labels = false) => {
  const x = tf.randomNormal([512, D], 0, 1, 'float32', 1);
  const y = labels ? tf.tensor2d(Array.from({ length: 512 }, (_, i) => (i * 7) % UNITS), [512, 1]) : null;
  return { x, y };
};

/** Each layer: { predict(): void, fit(batches, onBatch): Promise<void>, dispose(): void } */
const SETUPS = {
  lut: (quantized = false) => {
    const input = tf.input({ shape: [D] });
    // 8-bit tables are fixed (not trainable, no input gradient): the quantized layer reads the model input
    const h = quantized ? input : tf.layers.dense({ units: D, activation: 'relu' }).apply(input);
    // a quantized layer is frozen (as a replaced layer is): its fused kernel takes the bias and has no gradient
    const layers = [lutDense({ units: D, codebooks: 8, mode: quantized ? 'lut' : 'dense', keepKernel: !quantized, quantized, trainable: !quantized })];
    const out = tf.layers.dense({ units: 10 }).apply(layers[0].apply(h));
    const model = tf.model({ inputs: input, outputs: out });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
    const { x } = data();
    const yt = tf.randomNormal([512, 10], 0, 1, 'float32', 2);
    const q = x.slice([0, 0], [BATCH, D]);
    const fitData = x.slice([0, 0], [256, D]);
    const cbs = quantized ? [] : [new ProgressiveLUTReplacement({ layers, data: fitData, epochsPerLayer: 1 })];
    return {
      predict: () => tf.dispose(model.predict(q)),
      fit: (epochs, onBatch) => model.fit(x, yt, { epochs, batchSize: BATCH, verbose: 0, callbacks: [...cbs, new tf.CustomCallback({ onBatchEnd: async () => onBatch('batch'), onEpochEnd: async () => onBatch('epoch') })] }),
      dispose: () => {
        tf.dispose([x, yt, q, fitData]);
        model.optimizer.dispose(); // not owned by the model (passed as an object)
        model.dispose();
      },
    };
  },
  lut8: () => SETUPS.lut(true),
  lsh: (hash = 'wta') => {
    const input = tf.input({ shape: [D] });
    const h = tf.layers.dense({ units: D, activation: 'tanh' }).apply(input);
    const layer = hash === 'learned' ? lss({ units: UNITS, tables: 8, bits: 6, seed: 1 }) : lshSoftmax({ units: UNITS, tables: 8, seed: 1, headClasses: 5 });
    const { train, infer } = trainingModel(input, h, layer);
    train.compile({ optimizer: tf.train.adam(1e-3), loss: lshSoftmaxLoss });
    const { x, y } = data(true);
    const zeros = tf.zeros([512, 1]);
    const q = x.slice([0, 0], [BATCH, D]);
    const cb = hash === 'learned' ? new LSSHashCallback({ layer, x, y, samples: 256, seed: 1 }) : new RehashCallback({ layer, everyBatches: 4 });
    return {
      predict: () => {
        const r = predictTopK(infer, q, 5);
        tf.dispose([r.indices, r.values]);
      },
      fit: (epochs, onBatch) => train.fit([x, y], zeros, { epochs, batchSize: BATCH, verbose: 0, callbacks: [cb, new tf.CustomCallback({ onBatchEnd: async () => onBatch('batch'), onEpochEnd: async () => onBatch('epoch') })] }),
      dispose: () => {
        tf.dispose([x, y, zeros, q]);
        train.optimizer.dispose();
        train.dispose();
        layer.dispose(); // applied twice (training and inference models): its second reference
      },
    };
  },
  lss: () => SETUPS.lsh('learned'),
  sketch8: () => SETUPS.sketch(true),
  sketch: async (quantized = false) => {
    const input = tf.input({ shape: [D] });
    const feat = tf.layers.dense({ units: D, activation: 'relu', name: 'feat' });
    const out = tf.layers.dense({ units: 10 }).apply(feat.apply(input));
    const base = tf.model({ inputs: input, outputs: out });
    const { x } = data();
    // float counts (countBits 32) are what model.fit trains (the scatter-add and row-weight gradients);
    // the conversion's default, 8-bit packed counts, is frozen: its fit trains a Dense after the sketch
    const conv = await convertToRepresenterSketch(base, { headFrom: 'feat', data: x, rows: 8, bits: 4, aggregation: 'weighted', countBits: quantized ? 8 : 32 });
    if (quantized) feat.trainable = false; // nothing before the frozen sketch to train (codes pass no gradient)
    const model = quantized ? tf.model({ inputs: conv.model.inputs, outputs: tf.layers.dense({ units: 10 }).apply(conv.model.outputs[0]) }) : conv.model;
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
    const yt = tf.randomNormal([512, 10], 0, 1, 'float32', 2);
    const q = x.slice([0, 0], [BATCH, D]);
    return {
      predict: () => tf.dispose(model.predict(q)),
      fit: (epochs, onBatch) => model.fit(x, yt, { epochs, batchSize: BATCH, verbose: 0, callbacks: [new tf.CustomCallback({ onBatchEnd: async () => onBatch('batch'), onEpochEnd: async () => onBatch('epoch') })] }),
      dispose: () => {
        tf.dispose([x, yt, q]);
        model.optimizer.dispose(); // not owned by the model (passed as an object)
        model.dispose();
        base.layers.at(-1).dispose(); // the replaced head, not part of the converted model
      },
    };
  },
};

async function soak(name, backend) {
  const tensorsBefore = tf.memory().numTensors;
  const s = await SETUPS[name]();
  const samples = [];
  const t0 = Date.now();
  for (let i = 0; i < 20; i++) s.predict(); // warm-up: kernels, scratch, caches
  samples.push(sample('predict', 0));
  const every = Math.max(1, Math.floor(PREDICTS / SAMPLES));
  for (let i = 1; i <= PREDICTS; i++) {
    s.predict();
    if (i % every === 0) samples.push(sample('predict', i));
  }
  const perEpoch = 512 / BATCH;
  const epochs = Math.max(1, Math.ceil(BATCHES / perEpoch));
  // sampled at epoch ends: within an epoch tfjs keeps each batch's loss scalars until the epoch ends
  const fitEvery = Math.max(1, Math.floor(epochs / SAMPLES));
  let batch = 0;
  let epoch = 0;
  await s.fit(1, () => {}); // warm-up epoch (optimizer slots, callbacks' state)
  samples.push(sample('fit', 0));
  await s.fit(epochs, (what) => {
    if (what === 'batch') batch++;
    else if (++epoch % fitEvery === 0) samples.push(sample('fit', batch));
  });
  s.dispose();
  const leftAfterDispose = tf.memory().numTensors - tensorsBefore;
  const p = samples.filter((x) => x.phase === 'predict');
  const f = samples.filter((x) => x.phase === 'fit');
  const growth = (arr, key) => (arr.at(-1)[key] ?? 0) - (arr[0][key] ?? 0);
  const summary = {
    layer: name,
    backend,
    predicts: PREDICTS,
    batches: batch,
    seconds: (Date.now() - t0) / 1000,
    tensorGrowthPredict: growth(p, 'tensors'),
    // from the end of the long fit's first epoch (a callback's optimizer slots appear in that epoch, once)
    tensorGrowthFit: growth(f.slice(1), 'tensors'),
    leftAfterDispose,
    wasmHeapGrowth: backend === 'wasm' ? growth(samples, 'wasmHeap') : null,
    rssGrowthMB: Math.round(growth(samples, 'rss') / 1e5) / 10,
    samples,
  };
  console.log(
    `${name.padEnd(7)} ${backend.padEnd(10)} ${String(PREDICTS).padStart(6)} calls, ${String(batch).padStart(5)} batches, ${summary.seconds.toFixed(1)} s: ` +
      `tensors +${summary.tensorGrowthPredict} (predict) +${summary.tensorGrowthFit} (fit), ${leftAfterDispose} left after dispose, wasm heap +${summary.wasmHeapGrowth ?? '-'} B, RSS +${summary.rssGrowthMB} MB`,
  );
  return summary;
}

const backends = opt.backends ? opt.backends.split(',') : availableBackends();
const results = [];
for (const backend of backends) {
  await useBackend(backend);
  for (const name of opt.layers.split(',')) results.push(await soak(name, backend));
}
if (opt.out) {
  const out = resolve(opt.out);
  mkdirSync(dirname(out), { recursive: true });
  const run = { date: new Date().toISOString(), predicts: PREDICTS, batches: BATCHES, batch: BATCH, results };
  writeFileSync(out, JSON.stringify(run, null, 1));
  writeFileSync(out.replace(/\.json$/, '.md'), markdown(run));
}
const leaks = results.filter((r) => r.tensorGrowthPredict !== 0 || r.tensorGrowthFit !== 0 || r.leftAfterDispose > 0);
console.log(leaks.length === 0 ? 'no tensor growth' : `tensor growth in: ${leaks.map((r) => `${r.layer}/${r.backend}`).join(', ')}`);
process.exitCode = leaks.length === 0 ? 0 : 1;
