// npm run test:browser: the browser checks in real headless Chromium. Bundles tools/browser/pages with
// Vite, saves every layer's model from Node (fixtures.mjs), serves both on 127.0.0.1 and opens the check
// page once per backend: cpu, wasm, wasm in a cross-origin-isolated page (threaded build, shared memory),
// webgl, and webgpu when Chromium offers it (else skipped, with the reason). Exits 1 when any check fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../bench/cli.mjs';
import { bundlePages } from './bundle.mjs';
import { launchChromium, runPage } from './chromium.mjs';
import { writeFixtures } from './fixtures.mjs';
import { serve } from './server.mjs';

const CONFIGS = {
  cpu: { backend: 'cpu', coi: false },
  wasm: { backend: 'wasm', coi: false },
  'wasm-coi': { backend: 'wasm', coi: true },
  webgl: { backend: 'webgl', coi: false },
  webgpu: { backend: 'webgpu', coi: false },
};

const { values, fail } = parseCommandLine({
  usage: `usage: node tools/browser/run.mjs [--configs cpu,wasm,wasm-coi,webgl,webgpu]   (npm run test:browser)

Every layer's predict/topK/fit, Node-saved models loaded over http, indexeddb:// save/load and HashIndex
search, in headless Chromium (/usr/bin/chromium, or CHROMIUM=path) on each backend. Needs the packages
built (npm run build).`,
  options: {
    configs: { type: 'string', arg: 'list', default: Object.keys(CONFIGS).join(','), help: 'which pages to run' },
    verbose: { type: 'boolean', short: 'v', help: 'print every check, not only failures' },
  },
});
const chosen = values.configs.split(',').map((s) => s.trim());
for (const c of chosen) if (!(c in CONFIGS)) fail(`--configs: unknown '${c}' (known: ${Object.keys(CONFIGS).join(', ')})`);

const here = dirname(fileURLToPath(import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'hashlayers-browser-'));
const t0 = performance.now();
let failed = 0;
let server = null;
let browser = null;
try {
  const site = await bundlePages({ root: join(here, 'pages'), pages: ['checks.html'], outDir: join(out, 'site') });
  await writeFixtures(site);
  console.log(`== browser checks: pages bundled and Node models saved in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  server = await serve(site);
  browser = await launchChromium();
  console.log(`== ${browser.version ? `Chromium ${browser.version()}` : 'Chromium'}, pages on ${server.url}`);
  for (const name of chosen) {
    const { backend, coi } = CONFIGS[name];
    const t1 = performance.now();
    const state = await runPage(browser, `${coi ? server.coiUrl : server.url}checks.html?backend=${backend}`, {
      onConsole: (m) => {
        if (m.type() === 'info' && m.text().startsWith('hashlayers')) console.log(`   [${name}] console: ${m.text()}`);
      },
    });
    const secs = ((performance.now() - t1) / 1000).toFixed(1);
    if (state.skipped != null) {
      console.log(`-- ${name}: SKIPPED (${state.skipped})`);
      continue;
    }
    if (coi && !state.env.crossOriginIsolated) state.results.push({ name: 'page is cross-origin isolated', ok: false, detail: 'crossOriginIsolated is false' });
    const bad = state.results.filter((r) => !r.ok);
    failed += bad.length;
    console.log(`-- ${name}: ${state.results.length - bad.length}/${state.results.length} checks passed in ${secs} s (cross-origin isolated: ${state.env.crossOriginIsolated}${backend === 'wasm' ? `, SIMD kernels on the heap: ${state.env.simdOnHeap}, shared heap: ${state.env.sharedHeap}` : ''}${backend === 'webgl' ? `, float32 render targets: ${state.env.webglFloat32}` : ''})`);
    for (const r of state.results) {
      if (!r.ok) console.log(`   FAIL ${r.name}\n        ${r.detail.split('\n').slice(0, 6).join('\n        ')}`);
      else if (values.verbose) console.log(`   ok   ${r.name} (${r.ms} ms)${r.detail ? `: ${r.detail}` : ''}`);
    }
    for (const e of state.consoleErrors) console.log(`   console error: ${e.slice(0, 300)}`);
  }
} finally {
  await browser?.close();
  await server?.close();
  rmSync(out, { recursive: true, force: true });
}
console.log(`== browser checks ${failed === 0 ? 'passed' : `FAILED (${failed})`} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed === 0 ? 0 : 1);
