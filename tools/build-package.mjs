// Builds the package in the current directory into dist/{cjs,esm,types}.
// One TypeScript source, two module formats, so the package works from both
// `require` and `import`; dist/esm carries a package.json with "type": "module".
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const cwd = process.cwd();
rmSync(join(cwd, 'dist'), { recursive: true, force: true });
const run = (args) => execFileSync(process.execPath, [tsc, ...args], { stdio: 'inherit', cwd });
run(['-p', 'tsconfig.build.json', '--module', 'ES2020', '--moduleResolution', 'bundler', '--outDir', 'dist/esm', '--declaration', '--declarationDir', 'dist/types']);
run(['-p', 'tsconfig.build.json', '--module', 'commonjs', '--moduleResolution', 'node10', '--outDir', 'dist/cjs', '--declaration', 'false']);
mkdirSync(join(cwd, 'dist/esm'), { recursive: true });
writeFileSync(join(cwd, 'dist/esm/package.json'), '{ "type": "module" }\n');
writeFileSync(join(cwd, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n');
