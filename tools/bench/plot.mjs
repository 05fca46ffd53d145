// node tools/bench/plot.mjs [plot ...] [--dir docs/results] [--out <dir>]
// Re-renders the result plots (SVG) from the committed results JSON, without re-running a benchmark.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseCommandLine } from './cli.mjs';
import { PLOTS, renderPlots } from './plots.mjs';

const root = resolve(import.meta.dirname, '../..');
const shown = (file) => (relative(root, file).startsWith('..') || isAbsolute(relative(root, file)) ? file : relative(root, file));
const { values, positionals, fail } = parseCommandLine({
  usage: `usage: node tools/bench/plot.mjs [plot ...] [--dir <dir>] [--out <dir>]

Renders the plots (default: all) from the results JSON they are drawn from, without running a benchmark.`,
  options: {
    dir: { type: 'string', arg: 'dir', default: 'docs/results', help: 'where the results JSON are' },
    out: { type: 'string', arg: 'dir', help: 'where the SVG go (default: the --dir)' },
  },
  positionals: true,
  epilog: `plots: ${PLOTS.map((p) => `${p.name} (from ${p.source}.json)`).join(', ')}`,
});
const unknown = positionals.filter((n) => !PLOTS.some((p) => p.name === n));
if (unknown.length) fail(`unknown plot ${unknown.map((n) => `'${n}'`).join(', ')}`);
const dir = resolve(root, values.dir);
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
