/* global window */
// Headless Chromium through playwright-core: Debian's /usr/bin/chromium (CHROMIUM overrides it).
// Headless Chromium gives tfjs WebGL2 through SwiftShader; --enable-unsafe-webgpu lets it offer a
// (SwiftShader) WebGPU adapter to pages on http://127.0.0.1.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--ignore-gpu-blocklist'];

export function chromiumPath() {
  const path = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`no Chromium at ${path}: install it (Debian: apt-get install -y chromium) or set CHROMIUM to its path`);
  }
  return path;
}

export function launchChromium() {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
}

/**
 * Opens url in a fresh context (its own indexeddb), waits until the page sets window[key].done, and
 * returns window[key] with the page's console errors. Rejects after timeoutMs.
 */
export async function runPage(browser, url, { key = '__hashlayers', timeoutMs = 120000, onConsole } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => {
    onConsole?.(m);
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    // 'commit': a page that computes synchronously for long (the benchmark) delays its load event
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForFunction((k) => window[k]?.done === true, key, { timeout: timeoutMs, polling: 200 });
    const state = await page.evaluate((k) => window[k], key);
    return { ...state, consoleErrors: errors };
  } finally {
    await context.close();
  }
}
