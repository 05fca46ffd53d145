// The result plots: one Vega-Lite spec per plot, drawn from the rows of a results JSON
// (docs/results/<source>.json) and rendered to SVG in Node by vega (no browser, no canvas).
// writeResults renders the plots of the JSON it writes; tools/bench/plot.mjs re-renders them
// all from the committed JSON, so a plot can change without re-running its benchmark.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile } from 'vega-lite';

const WIDTH = 520;
const HEIGHT = 320;

/** The backend a plot shows when it shows one: tensorflow when measured, else `fallback` (else the first). */
function plotBackend(rows, fallback) {
  const measured = [...new Set(rows.map((r) => r.backend))];
  if (measured.includes('tensorflow')) return 'tensorflow';
  return fallback != null && measured.includes(fallback) ? fallback : measured[0];
}

const fields = (...names) => names.map((field) => ({ field }));
const logX = (field, title, extra = {}) => ({ field, type: 'quantitative', title, scale: { type: 'log', nice: false, padding: 16 }, axis: { grid: true }, ...extra });
const linY = (field, title, extra = {}) => ({ field, type: 'quantitative', title, scale: { zero: false, padding: 12 }, ...extra });

/** Lines (sorted by `order`, else by x) with a point per row, coloured by `series`; `label` beside each point when given. */
function linesAndPoints({ data, x, y, series, seriesTitle, order, shape, label, tooltip }) {
  const color = { field: series, type: 'nominal', title: seriesTitle, sort: null };
  const layers = [
    { mark: { type: 'line', strokeWidth: 1.5 }, encoding: { x, y, color, ...(order ? { order: { field: order } } : {}) } },
    {
      mark: { type: 'point', filled: true, size: 60, opacity: 1 },
      encoding: { x, y, color, ...(shape ? { shape: { field: shape, type: 'nominal', title: null } } : {}), tooltip },
    },
  ];
  if (label) layers.push({ mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 9, color: '#444' }, encoding: { x, y, text: { field: label } } });
  return { data: { values: data }, layer: layers };
}

function spec(title, body) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start', fontSize: 13 },
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    config: { font: 'sans-serif', legend: { labelLimit: 320 } },
    ...body,
  };
}

function lutDenseSpeed({ rows }) {
  const data = rows.filter((r) => r.method === 'LUTDense, 8-bit tables (SIMD)').map((r) => ({ ...r, series: `${r.backend} ${r.shape}`, msText: `${r.ms.toFixed(2)} ms` }));
  const x = logX('C', 'codebooks C', { axis: { grid: true, values: [...new Set(data.map((r) => r.C))] } });
  const y = linY('ratio', 'LUT ms / matMul ms');
  const body = linesAndPoints({ data, x, y, series: 'series', seriesTitle: 'backend, N×D×M', tooltip: fields('series', 'C', 'msText', 'ratio') });
  body.layer.push({ data: { values: [{ one: 1 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { y: { field: 'one', type: 'quantitative' } } });
  return spec('LUTDense (8-bit tables, SIMD scan) time / dense matMul time (below 1 = faster)', body);
}

/**
 * LSHSoftmax synthetic: P@1 against ms/query, one panel per width (rows) and batch size (columns), colour = method
 * (each dense form, LSH, each HNSW variant), shape = backend; the HNSW points of one variant joined in ef order.
 * The rows of usearch's default thread count are left out (the 1-thread rows are the comparison).
 */
function lshSoftmaxSynthetic({ rows }) {
  const method = (r) => (r.method === 'dense' ? `dense: ${r.setting}` : r.method);
  const data = rows
    .filter((r) => r.threads == null || r.threads === 1)
    .flatMap((r) => [
      { batch: 'batch 256', ms: r.ms256 },
      { batch: 'batch 1', ms: r.ms1 },
    ].filter((p) => p.ms != null).map((p) => ({ ...p, method: method(r), backend: r.backend, classes: `${r.units / 1000}k classes`, p1: r.p1, setting: r.setting, ef: r.ef ?? null, units: r.units })));
  const x = logX('ms', 'ms / query (log scale)');
  const y = linY('p1', 'P@1');
  const color = { field: 'method', type: 'nominal', title: 'method', sort: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'LSHSoftmax, dense forms and HNSW (usearch, 1 thread): P@1 against ms/query', anchor: 'start', fontSize: 13 },
    background: 'white',
    config: { font: 'sans-serif', legend: { labelLimit: 320 } },
    data: { values: data },
    facet: {
      row: { field: 'classes', type: 'nominal', title: null, sort: { field: 'units' } },
      column: { field: 'batch', type: 'nominal', title: null, sort: ['batch 256', 'batch 1'] },
    },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 360,
      height: 240,
      layer: [
        { transform: [{ filter: 'datum.ef != null' }], mark: { type: 'line', strokeWidth: 1.2, opacity: 0.7 }, encoding: { x, y, color, order: { field: 'ef', type: 'quantitative' } } },
        {
          mark: { type: 'point', filled: true, size: 55, opacity: 0.85 },
          encoding: { x, y, color, shape: { field: 'backend', type: 'nominal', title: 'backend' }, tooltip: fields('method', 'backend', 'setting', 'ms', 'p1') },
        },
      ],
    },
  };
}

function lss({ title, rows }) {
  const backend = plotBackend(rows.filter((r) => !r.backend.startsWith('native')), 'wasm');
  const data = rows
    .filter((r) => r.backend === backend || r.backend.startsWith('native'))
    .map((r) => ({ ...r, label: r.method.startsWith('dense') ? '' : `B=${r.budget}` }));
  const x = logX('ms256', 'ms / query at batch 256 (log scale)');
  const y = linY('p1', 'P@1');
  const body = linesAndPoints({ data, x, y, series: 'method', seriesTitle: 'method', order: 'budget', label: 'label', tooltip: fields('method', 'budget', 'candidates', 'recall', 'p1', 'ms256') });
  return spec([title, `P@1 against ms/query (batch 256, ${backend}; HNSW native); B = candidate budget`], body);
}

/**
 * The representer-sketch frontier (Vega-Lite): accuracy against saved bytes, one point per sketch (rows
 * of representer-sketch-frontier.json), the head's accuracies and the 50x line as rules. head: the
 * replaced head's { acc, bytes }; headEq: the accuracy of the head trained the sketch's extra epochs.
 */
export function frontierSpec(rows, head, headEq) {
  const data = rows.map((r) => ({ ...r, series: `${r.projection}${r.projection === 'sparse' ? ` ${r.density}` : ''}, K=${r.bits}`, counts: `${r.countBits}-bit counts` }));
  const x = { field: 'bytes', type: 'quantitative', title: 'bytes of the saved sketch (log scale)', scale: { type: 'log', nice: false, padding: 16 }, axis: { grid: true } };
  const y = { field: 'acc', type: 'quantitative', title: 'test accuracy', scale: { zero: false, padding: 12 } };
  const color = { field: 'series', type: 'nominal', title: 'projection, K', sort: null };
  const rule = (value, text, dash) => [
    { data: { values: [{ v: value }] }, mark: { type: 'rule', strokeDash: dash, color: '#555' }, encoding: { y: { field: 'v', type: 'quantitative' } } },
    { data: { values: [{ v: value, t: text }] }, mark: { type: 'text', align: 'left', x: 4, dy: -6, fontSize: 10, color: '#333' }, encoding: { y: { field: 'v', type: 'quantitative' }, text: { field: 't' } } },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'MNIST: sketch accuracy against bytes (R, K, projection, count bits); lines: the replaced head', anchor: 'start', fontSize: 13 },
    width: 560,
    height: 340,
    background: 'white',
    config: { font: 'sans-serif', legend: { labelLimit: 320 } },
    layer: [
      {
        data: { values: data },
        mark: { type: 'point', filled: true, size: 70, opacity: 0.85 },
        encoding: {
          x, y, color,
          shape: { field: 'counts', type: 'nominal', title: 'counts', sort: ['32-bit counts', '16-bit counts', '8-bit counts', '4-bit counts'] },
          tooltip: [{ field: 'series' }, { field: 'rows' }, { field: 'countBits' }, { field: 'bytes' }, { field: 'acc' }, { field: 'opsX' }],
        },
      },
      ...rule(head.acc, `head as converted (${head.bytes} bytes off the chart: ${(100 * head.acc).toFixed(2)}%)`, [2, 2]),
      ...rule(headEq, `head trained the same extra epochs (${(100 * headEq).toFixed(2)}%)`, [6, 3]),
      ...rule(headEq - 0.01, 'equally trained head − 1 point (the target)', [1, 4]),
      { data: { values: [{ b: head.bytes / 50 }] }, mark: { type: 'rule', strokeDash: [4, 2], color: '#b00' }, encoding: { x: { field: 'b', type: 'quantitative' } } },
      { data: { values: [{ b: head.bytes / 50, t: '50x fewer bytes than the head' }] }, mark: { type: 'text', align: 'left', angle: 270, dx: 6, dy: -4, fontSize: 10, color: '#b00' }, encoding: { x: { field: 'b', type: 'quantitative' }, y: { value: 200 }, text: { field: 't' } } },
    ],
  };
}

/** The frontier plot from representer-sketch-frontier.json: the heads' accuracies and bytes are recovered from any row's Δs and ratio. */
function representerSketchFrontier({ rows }) {
  const r = rows[0];
  return frontierSpec(rows, { acc: r.acc - r.dHead / 100, bytes: Math.round(r.bytes * r.storageX) }, r.acc - r.dHeadEq / 100);
}

/** Every plot: its file name (without .svg), the results JSON it is drawn from, and its Vega-Lite spec. */
export const PLOTS = [
  { name: 'lut-dense-speed', source: 'lut-dense-speed', spec: lutDenseSpeed },
  { name: 'lsh-softmax-synthetic', source: 'lsh-softmax-synthetic', spec: lshSoftmaxSynthetic },
  { name: 'lss-planted', source: 'lss-planted', spec: lss },
  { name: 'lss-sotu', source: 'lss-sotu', spec: lss },
  { name: 'representer-sketch-frontier', source: 'representer-sketch-frontier', spec: representerSketchFrontier },
];

/** A Vega-Lite spec rendered to SVG text. */
export async function toSvg(vlSpec) {
  const view = new vega.View(vega.parse(compile(vlSpec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders the plots drawn from results `source` (its parsed JSON) into dir; returns the file names written. */
export async function renderPlots(source, results, dir, plots = PLOTS) {
  const written = [];
  for (const plot of plots.filter((p) => p.source === source)) {
    const svg = await toSvg(plot.spec(results));
    writeFileSync(join(dir, `${plot.name}.svg`), svg + '\n');
    written.push(`${plot.name}.svg`);
  }
  return written;
}
