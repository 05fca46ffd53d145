// node tools/bench/plot.mjs [plot ...] [--dir docs/results] [--out <dir>]
// Re-renders the result plots (SVG) from the committed results JSON, without re-running a benchmark.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PLOTS, renderPlots } from './plots.mjs';

const root = resolve(import.meta.dirname, '../..');
const shown = (file) => (relative(root, file).startsWith('..') || isAbsolute(relative(root, file)) ? file : relative(root, file));
const usage = `usage: node tools/bench/plot.mjs [plot ...] [--dir <dir>] [--out <dir>]

Renders the plots drawn from <dir>/<results>.json (default: every plot).
  --dir <dir>   where the results JSON are (default docs/results)
  --out <dir>   where the SVG go (default: the --dir)
  -h, --help    this text
plots: ${PLOTS.map((p) => `${p.name} (from ${p.source}.json)`).join(', ')}`;

const { values, positionals } = parseArgs({
  options: { dir: { type: 'string', default: join(root, 'docs/results') }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  allowPositionals: true,
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const unknown = positionals.filter((n) => !PLOTS.some((p) => p.name === n));
if (unknown.length) {
  console.error(`unknown plot ${unknown.map((n) => `'${n}'`).join(', ')}\n\n${usage}`);
  process.exit(2);
}
const dir = resolve(values.dir);
const out = resolve(values.out ?? dir);
mkdirSync(out, { recursive: true });
const wanted = positionals.length ? PLOTS.filter((p) => positionals.includes(p.name)) : PLOTS;
for (const source of new Set(wanted.map((p) => p.source))) {
  const file = join(dir, `${source}.json`);
  if (!existsSync(file)) {
    console.log(`skipped ${source}: no ${shown(file)}`);
    continue;
  }
  const results = JSON.parse(readFileSync(file, 'utf8'));
  const only = PLOTS.filter((p) => p.source === source && wanted.includes(p));
  for (const name of await renderPlots(source, results, out, only)) console.log(`wrote ${shown(join(out, name))}`);
}
