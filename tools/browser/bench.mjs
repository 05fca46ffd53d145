// npm run bench:browser: LSHSoftmax topK against the dense layer in headless Chromium, per backend, at
// 10k and 100k classes, batch 1 and 256 (tools/browser/pages/bench.js). Prints a markdown table and, with
// --out, writes it and the raw rows (JSON) there. Run one benchmark at a time machine-wide:
//   flock /tmp/hashlayers-bench.lock npm run bench:browser -- --out docs/results/browser-bench
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../bench/cli.mjs';
import { bundlePages } from './bundle.mjs';
import { launchChromium, runPage } from './chromium.mjs';
import { serve } from './server.mjs';

const { values } = parseCommandLine({
  usage: 'usage: node tools/browser/bench.mjs [--backends webgl,webgpu,wasm,cpu] [--classes 10000,100000] [--batches 1,256] [--out docs/results/browser-bench]',
  options: {
    backends: { type: 'string', arg: 'list', default: 'webgl,webgpu,wasm,cpu', help: 'backends to measure' },
    classes: { type: 'string', arg: 'list', default: '10000,100000', help: 'class counts' },
    batches: { type: 'string', arg: 'list', default: '1,256', help: 'batch sizes' },
    out: { type: 'string', arg: 'path', help: 'write <path>.md and <path>.json' },
  },
});

const here = dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'hashlayers-bench-'));
const rows = [];
const skipped = [];
let server = null;
let browser = null;
try {
  const site = await bundlePages({ root: join(here, 'pages'), pages: ['bench.html'], outDir: join(tmp, 'site'), minify: true });
  server = await serve(site);
  browser = await launchChromium();
  for (const backend of values.backends.split(',')) {
    const state = await runPage(browser, `${server.url}bench.html?backend=${backend}&classes=${values.classes}&batches=${values.batches}`, {
      timeoutMs: 900000,
      onConsole: (m) => m.type() === 'log' && console.log(`   [${backend}] ${m.text()}`),
    });
    if (state.skipped != null) {
      console.log(`-- ${backend}: SKIPPED (${state.skipped})`);
      skipped.push(`${backend}: ${state.skipped}`);
      continue;
    }
    if (state.error != null) throw new Error(`${backend}: ${state.error}`);
    for (const r of state.rows) console.log(`-- ${backend} ${r.classes} classes, batch ${r.batch}: dense ${r.denseMs.toFixed(2)} ms, LSHSoftmax ${r.hashedMs.toFixed(2)} ms (${r.speedup.toFixed(1)}x)`);
    rows.push(...state.rows);
  }
  const version = browser.version();
  const table = [
    '| backend | classes | batch | dense topK (ms) | LSHSoftmax topK (ms) | speed-up | top-1 agreement | candidates / query |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.backend} | ${r.classes.toLocaleString('en')} | ${r.batch} | ${r.denseMs.toFixed(2)} | ${r.hashedMs.toFixed(2)} | ${r.speedup.toFixed(1)}x | ${(100 * r.top1Agreement).toFixed(0)}% | ${r.candidates.toFixed(0)} |`),
  ].join('\n');
  console.log(`\nChromium ${version}\n${table}`);
  for (const s of skipped) console.log(`skipped ${s}`);
  if (values.out) {
    writeFileSync(`${values.out}.json`, JSON.stringify({ chromium: version, date: new Date().toISOString(), rows, skipped }, null, 1) + '\n');
    writeFileSync(`${values.out}.md`, `Chromium ${version}, ${new Date().toISOString().slice(0, 10)}\n\n${table}\n${skipped.map((s) => `\nskipped ${s}`).join('')}\n`);
  }
} finally {
  await browser?.close();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
}
