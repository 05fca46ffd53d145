// A planted wide-output-layer problem where the correct label has only a
// moderate inner product (the situation LSS is built for, arXiv 2007.01230).
//
// Label vectors w_c = v_c + m_c·e: v_c a random unit vector orthogonal to a
// shared "nuisance" direction e (dimension 0), m_c ~ U(-spread, spread).
// A query of class y is h = a·v_y + σ·n + t·e with n Gaussian (orthogonal to
// e) and t ~ N(0, τ²). Its logits are w_j·h = a·v_j·v_y + σ·v_j·n + m_j·t:
// the nuisance term m_j·t lifts the labels with the largest |m_j| above the
// correct one, so exact top-logit retrieval (MIPS) and even the full softmax
// often miss it, while a hash that learns to ignore e retrieves it. Finally
// a random rotation of the feature space (logits unchanged) spreads e over
// every coordinate, so no hash can ignore it by looking at one coordinate.

const { gaussian, mulberry32 } = require('./rng.cjs');

/** A random orthogonal matrix [dim, dim] (Gram–Schmidt on Gaussian columns). */
function rotation(dim, rand) {
  const q = [];
  for (let j = 0; j < dim; j++) {
    const v = Array.from({ length: dim }, () => gaussian(rand));
    for (const u of q) {
      let d = 0;
      for (let k = 0; k < dim; k++) d += u[k] * v[k];
      for (let k = 0; k < dim; k++) v[k] -= d * u[k];
    }
    const n = Math.hypot(...v);
    q.push(v.map((x) => x / n));
  }
  return q;
}

function rotate(rows, n, dim, q) {
  const tmp = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += q[j][k] * rows[i * dim + k];
      tmp[j] = s;
    }
    for (let j = 0; j < dim; j++) rows[i * dim + j] = tmp[j];
  }
}

/**
 * @param {{units?: number, dim?: number, train?: number, test?: number, a?: number, sigma?: number, tau?: number, spread?: number, seed?: number}} [opts]
 * @returns {{units: number, dim: number, kernel: Float32Array, bias: Float32Array, train: {x: Float32Array, y: Int32Array, n: number}, test: {x: Float32Array, y: Int32Array, n: number}}}
 * kernel is [dim, units] (a Dense kernel), bias zeros.
 */
function plantedWOL(opts = {}) {
  const units = opts.units ?? 10000;
  const dim = opts.dim ?? 64;
  const a = opts.a ?? 1;
  const sigma = opts.sigma ?? 0.05;
  const tau = opts.tau ?? 1;
  const spread = opts.spread ?? 1;
  const rand = mulberry32(opts.seed ?? 1);
  const v = new Float32Array(units * dim);
  const m = new Float32Array(units);
  const kernel = new Float32Array(dim * units);
  for (let c = 0; c < units; c++) {
    let norm = 0;
    for (let k = 1; k < dim; k++) {
      const g = gaussian(rand);
      v[c * dim + k] = g;
      norm += g * g;
    }
    norm = Math.sqrt(norm);
    for (let k = 1; k < dim; k++) v[c * dim + k] /= norm;
    m[c] = spread * (2 * rand() - 1);
  }
  const q = rotation(dim, rand);
  const w = new Float32Array(units * dim);
  for (let c = 0; c < units; c++) {
    for (let k = 1; k < dim; k++) w[c * dim + k] = v[c * dim + k];
    w[c * dim] = m[c];
  }
  rotate(w, units, dim, q);
  for (let c = 0; c < units; c++) for (let k = 0; k < dim; k++) kernel[k * units + c] = w[c * dim + k];
  const split = (n) => {
    const x = new Float32Array(n * dim);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(rand() * units);
      y[i] = c;
      x[i * dim] = tau * gaussian(rand);
      for (let k = 1; k < dim; k++) x[i * dim + k] = a * v[c * dim + k] + (sigma / Math.sqrt(dim - 1)) * gaussian(rand);
    }
    rotate(x, n, dim, q);
    return { x, y, n };
  };
  return { units, dim, kernel, bias: new Float32Array(units), train: split(opts.train ?? 20000), test: split(opts.test ?? 2000) };
}

module.exports = { plantedWOL };
