// Bundles browser pages with Vite (tfjs, its backends and the hashlayers packages' ESM builds, which
// `npm run build` writes to packages/*/dist/esm), and copies tfjs-backend-wasm's .wasm files beside
// them (pages call setWasmPaths('wasm/')).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const require = createRequire(import.meta.url);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PACKAGES = ['core', 'hashing', 'lsh-softmax', 'lss', 'lut-dense', 'representer-sketch'];

/** Fails with the command to run when a package has no ESM build. */
export function assertPackagesBuilt() {
  const missing = PACKAGES.filter((p) => !existsSync(join(repo, 'packages', p, 'dist/esm/index.js')));
  if (missing.length > 0) throw new Error(`packages not built (${missing.join(', ')}): run npm run build first`);
}

/** The three builds of tfjs-backend-wasm (plain, SIMD, threaded SIMD for cross-origin-isolated pages). */
export function copyWasmBinaries(outDir) {
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  mkdirSync(join(outDir, 'wasm'), { recursive: true });
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    copyFileSync(join(dist, 'dist', f), join(outDir, 'wasm', f));
  }
}

/**
 * vite build of the pages (html files under `root`) into outDir; `minify` false keeps the check
 * pages quick to build. Returns the output directory.
 */
export async function bundlePages({ root, pages, outDir, minify = false, base = './' }) {
  assertPackagesBuilt();
  await build({
    root,
    base,
    configFile: false,
    logLevel: 'warn',
    resolve: { dedupe: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'] },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 8192,
      rollupOptions: { input: Object.fromEntries(pages.map((p) => [p.replace(/\.html$/, ''), join(root, p)])) },
    },
  });
  copyWasmBinaries(outDir);
  return outDir;
}
