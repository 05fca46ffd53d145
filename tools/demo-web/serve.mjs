/* global window */
// npm run demo:web: builds the demo page with Vite, trains and saves its two models in Node the first
// time (tools/demo-web/train.mjs; kept in node_modules/.cache/hashlayers-demo-web, --retrain to redo),
// and serves both on http://127.0.0.1:5173/. --screenshot <png> instead opens the page in headless
// Chromium, types a context, saves a screenshot and exits.
import { cpSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../bench/cli.mjs';
import { bundlePages } from '../browser/bundle.mjs';
import { launchChromium } from '../browser/chromium.mjs';
import { serve } from '../browser/server.mjs';

const { values } = parseCommandLine({
  usage: 'usage: node tools/demo-web/serve.mjs [--port 5173] [--retrain] [--screenshot docs/demo-web.png]   (npm run demo:web)',
  options: {
    port: { type: 'string', arg: 'n', default: '5173', help: 'port on 127.0.0.1' },
    retrain: { type: 'boolean', help: 'train and save the models again' },
    screenshot: { type: 'string', arg: 'png', help: 'save a screenshot of the page (headless Chromium) and exit' },
    backend: { type: 'string', arg: 'name', default: 'webgl', help: 'backend of the screenshot' },
    context: { type: 'string', arg: 'words', default: 'the united states', help: 'context typed for the screenshot' },
  },
});

const here = dirname(fileURLToPath(import.meta.url));
const cache = resolve(here, '../../node_modules/.cache/hashlayers-demo-web');
const modelDir = join(cache, 'models');
if (values.retrain || !existsSync(join(modelDir, 'vocab.json'))) {
  console.log('== training the demo models in Node (once; cached in node_modules/.cache/hashlayers-demo-web)');
  const { trainDemoModels } = await import('./train.mjs');
  await trainDemoModels(modelDir);
}
const site = await bundlePages({ root: here, pages: ['index.html'], outDir: join(cache, 'site'), minify: true });
cpSync(modelDir, join(site, 'models'), { recursive: true });
const server = await serve(site, { port: values.screenshot ? 0 : Number(values.port) });

if (values.screenshot) {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 760 } });
    await page.goto(`${server.url}?backend=${values.backend}`);
    await page.waitForFunction(() => window.__hashlayers?.ready === true || window.__hashlayers?.error != null, null, { timeout: 300000 });
    await page.fill('#context', values.context);
    await page.waitForTimeout(1000); // the debounced prediction after typing
    await page.click('#all');
    await page.waitForFunction(() => window.__hashlayers?.measuredAll === true, null, { timeout: 300000 });
    await page.waitForTimeout(500);
    const state = await page.evaluate(() => window.__hashlayers);
    if (state.error != null) throw new Error(state.error);
    await page.screenshot({ path: values.screenshot, fullPage: true });
    console.log(`== screenshot of the demo on ${state.backend} saved to ${values.screenshot}: hashed ${state.hashedMs.toFixed(2)} ms, dense ${state.denseMs.toFixed(2)} ms; hashed top 3: ${state.hashed.slice(0, 3).join(', ')}`);
  } finally {
    await browser.close();
    await server.close();
  }
} else {
  console.log(`== the demo page: ${server.url} (Ctrl-C to stop)`);
}
