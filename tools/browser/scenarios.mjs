// The models the browser checks run, built the same way in Node (tools/browser/fixtures.mjs saves
// them with reference outputs) and in the page (tools/browser/pages/checks.js builds, fits and compares
// them on every backend). Plain ESM with tfjs and the packages passed in, so both sides share it.

/** Deterministic values in [lo, hi) (a 32-bit LCG): the same inputs in Node and in every page. */
export function values(n, seed, lo = -1, hi = 1) {
  let s = (seed * 2654435761) >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 4294967296;
  }
  return out;
}

export const DIM = 12;
export const UNITS = 300;
export const BATCH = 24;

/** Planted classification data: x = centre[y] + noise (features DIM wide, UNITS classes). */
export function planted(tf, n, seed) {
  return tf.tidy(() => {
    const centres = tf.tensor2d(values(UNITS * DIM, 1), [UNITS, DIM]);
    const y = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => (i * 37 + seed) % UNITS), 'int32');
    const x = tf.add(tf.gather(centres, y), tf.mul(tf.tensor2d(values(n * DIM, seed + 2), [n, DIM]), 0.2));
    return { x: tf.keep(x), y: tf.keep(y) };
  });
}

const seeded = (tf, seed) => tf.initializers.glorotUniform({ seed });

/**
 * One builder per layer: `build(tf, pkgs)` returns a model (or a promise of one) (input [DIM] floats) whose last layer is the
 * hashlayers layer under test, fitted where the layer has a fitting step that is not model.fit
 * (LSS's hash trainer, LUTDense's tables); `topK` says whether the last layer answers topK.
 */
export const LAYERS = {
  lshSoftmax: {
    topK: true,
    build(tf, { L }) {
      return tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [DIM], units: 16, activation: 'tanh', kernelInitializer: seeded(tf, 3) }),
          L.lshSoftmax({ units: UNITS, seed: 9, tables: 8, window: 4, band: 2, maxCandidates: 40, kernelInitializer: seeded(tf, 4) }),
        ],
      });
    },
  },
  lss: {
    topK: true,
    build(tf, { S }) {
      const layer = S.lss({ units: UNITS, tables: 6, bits: 5, seed: 2, maxCandidates: 40, asymmetric: true, kernelInitializer: seeded(tf, 5) });
      const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [DIM] }), layer] });
      const { x, y } = planted(tf, 96, 11);
      const trainer = new S.LSSHashTrainer(layer, { seed: 3 });
      trainer.fit(x, y, { epochs: 2 });
      trainer.dispose();
      tf.dispose([x, y]);
      return model;
    },
  },
  lutDense: {
    topK: false,
    build(tf, { D }) {
      const layer = D.lutDense({ units: 6, codebooks: 4, seed: 2 });
      const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [DIM] }), layer] });
      const x = tf.tensor2d(values(256 * DIM, 21), [256, DIM]);
      const kernel = tf.tensor2d(values(DIM * 6, 22, -0.5, 0.5), [DIM, 6]);
      layer.fitTables(x, { kernel });
      tf.dispose([x, kernel]);
      return model;
    },
  },
  lutDense8bit: {
    topK: false,
    // LUTDense with its tables quantized to 8 bits (the SIMD scan kernel on wasm)
    async build(tf, pkgs) {
      const model = LAYERS.lutDense.build(tf, pkgs);
      const { model: quantized } = await pkgs.D.quantizeLUTDense(model);
      return quantized;
    },
  },
  representerSketch: {
    topK: false,
    build(tf, { R }) {
      const sketch = R.representerSketch({ outputs: 3, rows: 8, bits: 3, seed: 5, aggregation: 'weighted', projection: 'sparse' });
      const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [DIM] }), sketch] });
      const x = tf.tensor2d(values(128 * DIM, 31), [128, DIM]);
      const y = tf.tensor2d(values(128 * 3, 32), [128, 3]);
      sketch.fitCellMeans(x, y);
      tf.dispose([x, y]);
      return model;
    },
  },
};

/** The query batch every check predicts on. */
export function queries(tf) {
  const { x, y } = planted(tf, BATCH, 5);
  y.dispose();
  return x;
}

/** What a model answers for the queries, as plain arrays: predict, and topK (k = 5) where the layer has it. */
export function answers(tf, model, hasTopK, L) {
  const x = queries(tf);
  const p = model.predict(x);
  const out = { predict: Array.from(p.dataSync()) };
  tf.dispose(p);
  if (hasTopK) {
    const top = L.predictTopK(model, x, 5);
    out.topKIds = Array.from(top.indices.dataSync());
    out.topKValues = Array.from(top.values.dataSync());
    out.candidates = Array.from(top.candidatesPerQuery);
    tf.dispose([top.indices, top.values]);
  }
  x.dispose();
  return out;
}
