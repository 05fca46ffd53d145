// The benchmark harness every package reuses: one process, warm-up, medians,
// ratios against a baseline measured in the same run, progress with ETA,
// JSON plus a markdown table (and the plots drawn from the JSON) under
// docs/results/, each with its command.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { format } from 'node:util';
import cliProgress from 'cli-progress';
import { renderPlots } from './plots.mjs';

const require = createRequire(import.meta.url);
export const root = resolve(import.meta.dirname, '../..');
export const tf = require('@tensorflow/tfjs');
const backendHelper = require('../testing/backend.cjs');

export const { useBackend, preferredBackend } = backendHelper;

/** Backends to measure: cpu, wasm and tensorflow (when tfjs-node is built), or HASHLAYERS_BACKENDS. */
export function benchBackends() {
  return backendHelper.availableBackends({ hint: true });
}

/** Switches to the backend of a single training run (tensorflow when available, else wasm) and says which. */
export async function usePreferredBackend(backends = benchBackends()) {
  const name = await useBackend(preferredBackend(backends));
  log(`   backend: ${name} (available: ${backends.join(', ')})`);
  return name;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times fn (which must finish its work, e.g. by reading results back)
 * after `warmup` calls; repeats until `reps` samples and at least `minMs`.
 * Returns the median milliseconds per call, the number of samples and the fastest and slowest.
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
  return { ms: median(samples), samples: samples.length, min: Math.min(...samples), max: Math.max(...samples) };
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

/** cli-progress's bars, their redraw timer unreferenced: a bar left unfinished never keeps the process alive. */
class Bars extends cliProgress.MultiBar {
  create(...args) {
    const bar = super.create(...args);
    this.timer?.unref?.();
    return bar;
  }
  update() {
    super.update();
    this.timer?.unref?.();
  }
}

/** The progress whose bar is drawn (log() prints above it). */
let active = null;
const setActive = (p) => {
  active = p;
};

/** console.log that keeps the progress bar (if one is drawn) below the printed lines. */
export function log(...args) {
  if (!active) return console.log(...args);
  active.bars.log(`${format(...args)}\n`);
  active.bars.update();
}

/** A logger of timed steps, `[12.3s] message`, the clock starting now (the demo's narration). */
export function stepLog() {
  const t0 = performance.now();
  return (msg) => log(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
}

/**
 * Progress of a benchmark or of the demo, with cli-progress: every step() prints its line (the
 * measurement it made, elapsed time and ETA); on a terminal a bar stays below the lines. When
 * stdout is not a TTY (a log file, CI, `| tee`) there is no bar, only the step lines.
 */
export class Progress {
  constructor(label, total) {
    this.label = label;
    this.total = total;
    this.done = 0;
    this.start = performance.now();
    this.bars = null;
    if (process.stdout.isTTY) {
      active?.finish();
      this.bars = new Bars({
        stream: process.stdout,
        format: `${label} [{bar}] {value}/{total} | elapsed {duration_formatted} | eta {eta_formatted}`,
        barsize: 20,
        etaBuffer: 5,
        clearOnComplete: true,
      }, cliProgress.Presets.legacy);
      this.bar = this.bars.create(total, 0);
      setActive(this);
    }
  }

  /** One step done; `what` (optional) is printed as a line of the log. */
  step(what) {
    this.done++;
    this.bar?.update(this.done);
    if (what != null) {
      const el = (performance.now() - this.start) / 1000;
      const eta = (el / this.done) * (this.total - this.done);
      log(`${this.label} ${this.done}/${this.total} ${what}  elapsed ${el.toFixed(1)}s  eta ${eta.toFixed(1)}s`);
    } else this.bars?.update();
    if (this.done >= this.total) this.finish();
  }

  /** Removes the bar (the last step calls it). */
  finish() {
    if (!this.bars) return;
    this.bars.update();
    this.bars.stop();
    this.bars = null;
    this.bar = null;
    if (active === this) setActive(null);
  }
}

/**
 * This machine's read bandwidth in bytes per millisecond over a working set of `mb` MB read again and
 * again (as a benchmark re-reads a layer's weights: a working set that fits the last-level cache is
 * read from there), with `threads` threads (worker_threads, started together), each comparing two
 * equal buffers of mb/(2·threads) MB with Buffer.compare (libc memcmp, vectorised, reads both once).
 * Per thread the fastest of `reps` passes; the threads' rates add up. The fastest, not the median: it
 * is the denominator of physical-limit columns (bytes a method must read / bandwidth), a bound no
 * method beats. The buffers are dropped on return.
 */
export async function readBandwidth({ mb = 256, threads = 1, reps = 9 } = {}) {
  const code = `
    const { parentPort, workerData: { bytes, reps, go } } = require('node:worker_threads');
    const a = Buffer.alloc(bytes, 1);
    const b = Buffer.alloc(bytes, 1);
    Buffer.compare(a, b);
    const flag = new Int32Array(go);
    Atomics.add(flag, 1, 1);
    Atomics.wait(flag, 0, 0);
    let best = Infinity;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      if (Buffer.compare(a, b) !== 0) throw new Error('equal buffers compared unequal');
      best = Math.min(best, performance.now() - t0);
    }
    parentPort.postMessage(2 * bytes / best);`;
  const bytes = Math.floor((mb << 20) / (2 * threads));
  const go = new SharedArrayBuffer(8);
  const flag = new Int32Array(go);
  const workers = Array.from({ length: threads }, () => new Worker(code, { eval: true, workerData: { bytes, reps, go } }));
  const rates = workers.map((w) => new Promise((res, rej) => {
    w.once('message', res);
    w.once('error', rej);
  }));
  while (Atomics.load(flag, 1) < threads) await new Promise((r) => setTimeout(r, 5));
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  const perThread = await Promise.all(rates);
  await Promise.all(workers.map((w) => w.terminate()));
  return {
    bytesPerMs: perThread.reduce((x, y) => x + y, 0),
    method: `Buffer.compare (libc memcmp) over a ${mb} MB working set, ${threads} thread${threads > 1 ? 's' : ''}, the fastest of ${reps} passes`,
  };
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

let outDir = join(root, 'docs/results');
/** Where writeResults writes (docs/results unless run.mjs --out says otherwise). */
export function resultsDir() {
  return outDir;
}
export function setResultsDir(dir) {
  outDir = resolve(dir);
}

/**
 * Writes <results dir>/<name>.json and .md (rows, columns, the command, the machine; `tables`: further
 * tables after the main one) and renders the plots drawn from <name>.json (tools/bench/plots.mjs).
 */
export async function writeResults(name, { title, command, notes = [], columns, rows, tables = [] }) {
  const dir = outDir;
  mkdirSync(dir, { recursive: true });
  const meta = machine();
  const results = { title, command, machine: meta, notes, columns, rows, ...(tables.length ? { tables } : {}) };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(results, null, 2) + '\n');
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
    // further tables (`tables`: [{ title, notes, columns, rows }]), each under its own heading
    ...tables.flatMap((t) => [
      `## ${t.title}`,
      '',
      ...(t.notes ?? []).flatMap((n) => [n, '']),
      `| ${t.columns.map((c) => c.label).join(' | ')} |`,
      `| ${t.columns.map(() => '---').join(' | ')} |`,
      ...t.rows.map((r) => `| ${t.columns.map((c) => fmt(r[c.key])).join(' | ')} |`),
      '',
    ]),
  ];
  writeFileSync(join(dir, `${name}.md`), lines.join('\n'));
  const shown = relative(root, dir).startsWith('..') ? dir : relative(root, dir) || '.';
  log(`wrote ${shown}/${name}.json and .md`);
  for (const file of await renderPlots(name, results, dir)) log(`wrote ${shown}/${file}`);
}
