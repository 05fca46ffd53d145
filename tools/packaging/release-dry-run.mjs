// Release dry run: what `npm run release` would do, without touching this tree or the registry.
// Copies the workspace (package.json files, READMEs, LICENSEs, built dist/, .changeset/) into a
// scratch directory, runs `changeset version` there (consumes the pending changesets, bumps
// versions, writes each CHANGELOG.md), checks the result (first release 0.1.0, internal ranges
// follow, CHANGELOG.md written), then `npm publish --dry-run` per package and checks that the
// tarball npm would publish carries README.md, LICENSE and CHANGELOG.md.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const changeset = join(root, 'node_modules/@changesets/cli/bin.js');
const scratch = mkdtempSync(join(tmpdir(), 'hashlayers-release-'));
const read = (f) => JSON.parse(readFileSync(f, 'utf8'));
const problems = [];
try {
  for (const f of ['package.json', 'package-lock.json', 'LICENSE']) cpSync(join(root, f), join(scratch, f));
  cpSync(join(root, '.changeset'), join(scratch, '.changeset'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir'); // for @changesets/* only
  const names = readdirSync(join(root, 'packages')).filter((d) => existsSync(join(root, 'packages', d, 'package.json')));
  const before = {};
  for (const d of names) {
    const from = join(root, 'packages', d);
    if (!existsSync(join(from, 'dist'))) throw new Error(`packages/${d}: no dist/ (run npm run build first)`);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist']) if (existsSync(join(from, f))) cpSync(join(from, f), join(scratch, 'packages', d, f), { recursive: true });
    before[d] = read(join(from, 'package.json'));
  }
  const pending = readdirSync(join(scratch, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  console.log(`changeset version in ${scratch} (${pending.length} pending changesets)`);
  execFileSync(process.execPath, [changeset, 'version'], { cwd: scratch, stdio: ['ignore', 'inherit', 'inherit'] });
  for (const d of names) {
    const dir = join(scratch, 'packages', d);
    const pkg = read(join(dir, 'package.json'));
    if (pkg.private) continue;
    const changed = pkg.version !== before[d].version;
    if (before[d].version === '0.0.0' && pkg.version !== '0.1.0') problems.push(`${pkg.name}: first release would be ${pkg.version}, not 0.1.0`);
    if (changed && !existsSync(join(dir, 'CHANGELOG.md'))) problems.push(`${pkg.name}: changeset version wrote no CHANGELOG.md`);
    for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
      if (!dep.startsWith('@hashlayers/')) continue;
      const v = read(join(scratch, 'packages', dep.slice('@hashlayers/'.length), 'package.json')).version;
      if (range !== `^${v}`) problems.push(`${pkg.name}: depends on ${dep}@${range}, which would be released as ${v}`);
    }
    const n0 = problems.length;
    const out = JSON.parse(execFileSync('npm', ['publish', '--dry-run', '--json', '--ignore-scripts', '--tag', 'dry-run'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    const report = out[pkg.name] ?? out;
    const files = (report.files ?? []).map((f) => f.path);
    for (const need of ['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json', 'dist/esm/index.js', 'dist/cjs/index.js']) {
      if (!files.includes(need)) problems.push(`${pkg.name}: npm publish would not ship ${need}`);
    }
    console.log(`${problems.length > n0 ? 'FAIL' : 'ok  '} ${pkg.name}@${report.version ?? pkg.version}: ${before[d].version} -> ${pkg.version}, ${files.length} files${files.includes('CHANGELOG.md') ? ' incl. CHANGELOG.md' : ''}`);
  }
  if (readdirSync(join(scratch, '.changeset')).some((f) => f.endsWith('.md') && f !== 'README.md')) problems.push('changeset version left pending changesets');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (problems.length) {
  for (const p of problems) console.log(`FAIL ${p}`);
  process.exit(1);
}
console.log('release dry run: ok');
