// The benchmark harness every package reuses: one process, warm-up, medians,
// ratios against a baseline measured in the same run, progress with ETA,
// JSON plus a markdown table under docs/results/, each with its command.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
export const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

let nodeBackend = null;
/** Backends to measure: cpu, wasm and tensorflow (when tfjs-node is built), or HASHLAYERS_BACKENDS. */
export function benchBackends() {
  const asked = process.env.HASHLAYERS_BACKENDS?.split(',').map((s) => s.trim()).filter(Boolean);
  const list = asked ?? ['cpu', 'wasm', 'tensorflow'];
  return list.filter((b) => {
    if (b !== 'tensorflow') return true;
    if (nodeBackend == null) {
      try {
        require('@tensorflow/tfjs-node');
        nodeBackend = tf.findBackendFactory('tensorflow') != null;
      } catch {
        nodeBackend = false;
      }
      if (!nodeBackend) console.log('   (tensorflow backend unavailable: run node tools/tfjs-node/install-offline.mjs)');
    }
    return nodeBackend;
  });
}

export async function useBackend(name) {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times fn (which must finish its work, e.g. by reading results back)
 * after `warmup` calls; repeats until `reps` samples and at least `minMs`.
 * Returns the median milliseconds per call and the samples.
 */
export function time(fn, { warmup = 3, reps = 9, minMs = 300, maxReps = 200 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const samples = [];
  const start = performance.now();
  while (samples.length < reps || (performance.now() - start < minMs && samples.length < maxReps)) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return { ms: median(samples), samples: samples.length };
}

/**
 * Runs fn in a tf.tidy, reads its tensor result back (so asynchronous
 * backends finish) and disposes it. Never return typed arrays from a tidy:
 * tf.tidy walks its result element by element looking for tensors.
 */
export function readBack(fn) {
  const t = tf.tidy(fn);
  const v = t.dataSync();
  t.dispose();
  return v;
}

/** Per-step progress lines with elapsed time and ETA. */
export class Progress {
  constructor(label, total) {
    this.label = label;
    this.total = total;
    this.done = 0;
    this.start = performance.now();
  }
  step(what) {
    this.done++;
    const el = (performance.now() - this.start) / 1000;
    const eta = (el / this.done) * (this.total - this.done);
    const bar = '#'.repeat(Math.round((20 * this.done) / this.total)).padEnd(20, '.');
    console.log(`[${bar}] ${this.label} ${this.done}/${this.total} ${what}  elapsed ${el.toFixed(1)}s  eta ${eta.toFixed(1)}s`);
  }
}

export function machine() {
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    tfjs: tf.version.tfjs,
    date: new Date().toISOString(),
  };
}

function fmt(v) {
  if (v == null) return '–';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** Writes docs/results/<name>.json and .md: rows, columns, the command, the machine. */
export function writeResults(name, { title, command, notes = [], columns, rows }) {
  const dir = join(root, 'docs/results');
  mkdirSync(dir, { recursive: true });
  const meta = machine();
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ title, command, machine: meta, notes, columns, rows }, null, 2) + '\n');
  const lines = [
    `# ${title}`,
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${meta.cpu}, ${meta.cores} cores, Node ${meta.node}, tfjs ${meta.tfjs}; ${meta.date.slice(0, 10)}. Times are medians after warm-up, all in one process; ratios are against the baseline measured in the same run.`,
    '',
    ...notes.flatMap((n) => [n, '']),
    `| ${columns.map((c) => c.label).join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${columns.map((c) => fmt(r[c.key])).join(' | ')} |`),
    '',
  ];
  writeFileSync(join(dir, `${name}.md`), lines.join('\n'));
  console.log(`wrote docs/results/${name}.json and .md`);
}

/**
 * A small dependency-free SVG scatter/line plot: series of {label, points: [{x, y, text}]}.
 * Written to docs/results/<name>.svg.
 */
export function writeScatterSvg(name, { title, xLabel, yLabel, series, logX = false }) {
  const W = 720, H = 440, m = { l: 70, r: 190, t: 40, b: 55 };
  const pts = series.flatMap((s) => s.points);
  const fx = (v) => (logX ? Math.log10(v) : v);
  const xs = pts.map((p) => fx(p.x));
  const ys = pts.map((p) => p.y);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys, 0), Math.max(...ys)];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) y1 = y0 + 1;
  const px = (v) => m.l + ((fx(v) - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (v) => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2'];
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - 60}" y="22" font-size="15">${title}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
    `<text x="${(W - m.r + m.l) / 2 - 40}" y="${H - 15}">${xLabel}</text>`,
    `<text transform="translate(18 ${(H + m.t) / 2}) rotate(-90)">${yLabel}</text>`];
  for (let k = 0; k <= 4; k++) {
    const yv = y0 + ((y1 - y0) * k) / 4;
    const xv = x0 + ((x1 - x0) * k) / 4;
    const xr = logX ? 10 ** xv : xv;
    out.push(`<text x="${m.l - 45}" y="${py(yv) + 4}">${yv.toFixed(2)}</text>`);
    out.push(`<text x="${px(xr) - 15}" y="${H - m.b + 18}">${xr < 1 ? xr.toFixed(3) : xr.toFixed(1)}</text>`);
  }
  series.forEach((s, i) => {
    const c = colors[i % colors.length];
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    if (s.line !== false && sorted.length > 1) out.push(`<polyline fill="none" stroke="${c}" points="${sorted.map((p) => `${px(p.x)},${py(p.y)}`).join(' ')}"/>`);
    for (const p of sorted) out.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="4" fill="${c}"><title>${p.text ?? ''}</title></circle>`);
    out.push(`<rect x="${W - m.r + 15}" y="${m.t + i * 20}" width="10" height="10" fill="${c}"/><text x="${W - m.r + 30}" y="${m.t + i * 20 + 10}">${s.label}</text>`);
  });
  out.push('</svg>');
  mkdirSync(join(root, 'docs/results'), { recursive: true });
  writeFileSync(join(root, 'docs/results', `${name}.svg`), out.join('\n') + '\n');
  console.log(`wrote docs/results/${name}.svg`);
}
