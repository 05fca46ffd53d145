// Packaging test: what "publish individual packages" must guarantee.
// Packs every public package (npm pack), installs the tarballs together with
// tfjs into a scratch project outside the workspace, and runs each package's
// packaging/smoke.{cjs,mjs} there, once through require and once through import.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const pkgsDir = join(root, 'packages');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tfjsVersion = rootPkg.devDependencies['@tensorflow/tfjs'];
const scratch = mkdtempSync(join(tmpdir(), 'hashlayers-pack-'));
const npm = (args, cwd) => execFileSync('npm', args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

let passed = 0;
let failed = 0;
try {
  const packages = readdirSync(pkgsDir)
    .map((d) => ({ dir: join(pkgsDir, d), pkg: JSON.parse(readFileSync(join(pkgsDir, d, 'package.json'), 'utf8')) }))
    .filter((p) => !p.pkg.private);
  const tarballs = [];
  for (const p of packages) {
    if (!existsSync(join(p.dir, 'dist'))) throw new Error(`${p.pkg.name}: no dist/ (run npm run build first)`);
    const out = JSON.parse(npm(['pack', '--json', '--pack-destination', scratch], p.dir));
    const files = out[0].files.map((f) => f.path);
    for (const need of ['dist/cjs/index.js', 'dist/esm/index.js', 'dist/types/index.d.ts', 'package.json']) {
      if (!files.includes(need)) throw new Error(`${p.pkg.name}: tarball lacks ${need}`);
    }
    if (files.some((f) => f.startsWith('src/') || f.startsWith('test/'))) throw new Error(`${p.pkg.name}: tarball ships sources/tests`);
    tarballs.push(join(scratch, out[0].filename));
    console.log(`packed ${out[0].filename} (${out[0].files.length} files, ${(out[0].size / 1024).toFixed(1)} kB)`);
  }
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, version: '0.0.0' }));
  console.log(`installing ${tarballs.length} tarball(s) with @tensorflow/tfjs@${tfjsVersion} into ${scratch}`);
  npm(['install', '--no-audit', '--no-fund', '--ignore-scripts', `@tensorflow/tfjs@${tfjsVersion}`, ...tarballs], scratch);
  const cores = execFileSync('find', ['node_modules', '-name', 'package.json', '-path', '*tfjs-core/package.json'], { cwd: scratch, encoding: 'utf8' }).trim().split('\n');
  if (cores.length !== 1) throw new Error(`expected one copy of @tensorflow/tfjs-core, found ${cores.length}: ${cores.join(', ')}`);
  for (const p of packages) {
    for (const ext of ['cjs', 'mjs']) {
      const smoke = join(p.dir, 'packaging', `smoke.${ext}`);
      if (!existsSync(smoke)) throw new Error(`${p.pkg.name}: missing packaging/smoke.${ext}`);
      const target = join(scratch, `${p.pkg.name.replace('/', '__')}.${ext}`);
      copyFileSync(smoke, target);
      try {
        const out = execFileSync(process.execPath, [target], { cwd: scratch, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        console.log(`ok   ${p.pkg.name} via ${ext === 'cjs' ? 'require' : 'import'}: ${out.trim().split('\n').pop()}`);
        passed++;
      } catch (e) {
        console.log(`FAIL ${p.pkg.name} via ${ext}: ${e.stderr || e.message}`);
        failed++;
      }
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`packaging: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
