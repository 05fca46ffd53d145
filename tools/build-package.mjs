// Builds the package in the current directory into dist/esm and dist/cjs.
// One TypeScript source, two module formats, so the package works from both
// `require` and `import`. Each format carries its own declarations next to its
// JavaScript: dist/esm/package.json says "type": "module", so TypeScript reads
// dist/esm/*.d.ts as ES modules and dist/cjs/*.d.ts as CommonJS (no "masquerading
// as CJS" under node16/nodenext). Source maps inline the TypeScript sources
// (sourcesContent), because src/ is not published.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const cwd = process.cwd();
rmSync(join(cwd, 'dist'), { recursive: true, force: true });
const run = (args) => execFileSync(process.execPath, [tsc, ...args], { stdio: 'inherit', cwd });
const common = ['-p', 'tsconfig.build.json', '--declaration', '--sourceMap', '--inlineSources'];
run([...common, '--module', 'ES2020', '--moduleResolution', 'bundler', '--outDir', 'dist/esm']);
run([...common, '--module', 'commonjs', '--moduleResolution', 'node10', '--outDir', 'dist/cjs']);
mkdirSync(join(cwd, 'dist/esm'), { recursive: true });
writeFileSync(join(cwd, 'dist/esm/package.json'), '{ "type": "module" }\n');
writeFileSync(join(cwd, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n');
