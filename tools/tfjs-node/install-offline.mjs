#!/usr/bin/env node
// Offline installer for @tensorflow/tfjs-node (native 'tensorflow' backend).
//
// tfjs-node's own install script downloads libtensorflow from Google storage,
// which is unreachable here. Instead we:
//   1. npm-install @tensorflow/tfjs-node (no save, scripts skipped) into the
//      workspace root node_modules and check @tensorflow/tfjs-core is deduped;
//   2. find a local `tensorflow_cpu` pip wheel;
//   3. extract libtensorflow_cc.so.2 (which exports the TF C API),
//      libtensorflow_framework.so.2 and the C API headers into
//      node_modules/@tensorflow/tfjs-node/deps/ in the layout binding.gyp wants;
//   4. build the N-API addon with node-pre-gyp/node-gyp against local headers;
//   5. load tfjs-node in a child process and run a matMul.
//
// Usage: node tools/tfjs-node/install-offline.mjs [--force] [path/to/tensorflow_cpu-*.whl]
//   (or set HASHLAYERS_TF_WHEEL). Exit codes: 0 ok, 1 failure, 2 unavailable
//   (no wheel found / unsupported platform / npm install of tfjs-node failed).
//
// Plain Node ESM, node builtins only. Writes only into node_modules.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const TFJS_NODE_VERSION = '4.22.0';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NM = path.join(ROOT, 'node_modules');
const PKG_DIR = path.join(NM, '@tensorflow', 'tfjs-node');
const DEPS = path.join(PKG_DIR, 'deps');
const DEPS_LIB = path.join(DEPS, 'lib');
const DEPS_INCLUDE = path.join(DEPS, 'include');
const MARKER = path.join(DEPS, '.hashlayers-offline.json');
const MARKER_FORMAT = 1;
const WHEEL_INCLUDE_PREFIX = 'tensorflow/include/';
const WHEEL_LIBS = ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'];
// HASHLAYERS_TF_WHEEL_SEARCH (':'-separated dirs) replaces the default search list.
const SEARCH_DIRS = process.env.HASHLAYERS_TF_WHEEL_SEARCH
  ? process.env.HASHLAYERS_TF_WHEEL_SEARCH.split(path.delimiter).filter(Boolean)
  : [
      '/opt',
      '/usr/local',
      '/usr/share',
      '/srv',
      '/tmp',
      path.join(os.homedir(), '.cache', 'pip'),
      path.join(os.homedir(), 'Downloads'),
      path.join(os.homedir(), 'wheels'),
    ];
// Headers under tensorflow/c that are C++ internals (they pull in absl/Eigen/core).
const CXX_ONLY_HEADER =
  /(_internal|_helper|_experimental_internal)\.h$|\/(tape|safe_ptr|tensor_interface|conversion_macros|graph_function|kernels|kernels_experimental|abstract_[a-z_]+|immediate_execution_[a-z_]+)\.h$/;
// Include-closure is only followed into these (C-level) locations.
const C_LEVEL_HEADER =
  /^(tensorflow\/c\/|tensorflow\/core\/platform\/ctstring|tsl\/platform\/ctstring|xla\/tsl\/c\/)/;
const EXIT_FAIL = 1;
const EXIT_UNAVAILABLE = 2;

const t0 = Date.now();
const timings = {};
const log = (msg) => console.log(`[tfjs-node-offline] ${msg}`);
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;

class Unavailable extends Error {}

function time(name, fn) {
  const start = Date.now();
  try {
    return fn();
  } finally {
    timings[name] = Date.now() - start;
  }
}

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    stdio: opts.inherit ? 'inherit' : 'pipe',
    maxBuffer: 256 * 1024 * 1024,
    timeout: opts.timeout,
  });
  if (res.error) throw new Error(`${cmd} ${args.join(' ')}: ${res.error.message}`);
  if (res.status !== 0 && !opts.allowFail) {
    const out = opts.inherit
      ? ''
      : `\n${(res.stdout || '').slice(-4000)}\n${(res.stderr || '').slice(-4000)}`;
    throw new Error(`command failed (exit ${res.status}): ${cmd} ${args.join(' ')}${out}`);
  }
  return res;
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function readJson(p) {
  try {
    return JSON.parse(fs.readFileSync(p, 'utf8'));
  } catch {
    return undefined;
  }
}

function fileHash(p) {
  try {
    return createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// Step 1: npm install (no save, no scripts) + single tfjs-core check
// ---------------------------------------------------------------------------

function tfjsNodeInstalled() {
  const pj = readJson(path.join(PKG_DIR, 'package.json'));
  if (!pj || pj.version !== TFJS_NODE_VERSION) return false;
  // Its runtime deps must resolve from the package dir.
  for (const dep of ['@mapbox/node-pre-gyp', '@tensorflow/tfjs', 'google-protobuf', 'adm-zip']) {
    if (!resolvePkgDir(dep, PKG_DIR)) return false;
  }
  return true;
}

function resolvePkgDir(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const cand = path.join(dir, 'node_modules', name, 'package.json');
    if (fs.existsSync(cand)) return path.dirname(cand);
    if (dir === path.dirname(dir)) return null;
  }
}

function ensureTfjsNodeInstalled() {
  if (tfjsNodeInstalled()) {
    log(`@tensorflow/tfjs-node@${TFJS_NODE_VERSION} already installed`);
    return false;
  }
  const guarded = ['package.json', 'package-lock.json'].map((f) => path.join(ROOT, f));
  const before = guarded.map(fileHash);
  log(`installing @tensorflow/tfjs-node@${TFJS_NODE_VERSION} (--no-save --ignore-scripts) ...`);
  const res = run(
    'npm',
    [
      'install',
      '--no-save',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      `@tensorflow/tfjs-node@${TFJS_NODE_VERSION}`,
    ],
    { cwd: ROOT, inherit: true, allowFail: true },
  );
  if (res.status !== 0) {
    // Typically: npm registry unreachable. Callers treat this like "no wheel".
    throw new Unavailable(
      `npm install @tensorflow/tfjs-node@${TFJS_NODE_VERSION} failed (exit ${res.status})`,
    );
  }
  const after = guarded.map(fileHash);
  guarded.forEach((f, i) => {
    if (before[i] !== after[i]) {
      throw new Error(`${path.relative(ROOT, f)} changed during npm install --no-save; please inspect it`);
    }
  });
  if (!tfjsNodeInstalled())
    throw new Error('npm install finished but @tensorflow/tfjs-node is not resolvable');
  return true;
}

function readdirSafe(dir) {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** All copies of `pkgName` in root node_modules and workspace node_modules (no symlink following). */
function findPackageCopies(pkgName) {
  const found = [];
  const [scope, base] = pkgName.startsWith('@') ? pkgName.split('/') : [null, pkgName];
  const seen = new Set();
  const walk = (nmDir, depth) => {
    if (depth > 12 || seen.has(nmDir)) return;
    seen.add(nmDir);
    for (const e of readdirSafe(nmDir)) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue; // skips symlinks (workspace links)
      const pkgDirs = [];
      if (e.name.startsWith('@')) {
        for (const s of readdirSafe(path.join(nmDir, e.name)))
          if (s.isDirectory()) pkgDirs.push([`${e.name}/${s.name}`, path.join(nmDir, e.name, s.name)]);
      } else {
        pkgDirs.push([e.name, path.join(nmDir, e.name)]);
      }
      for (const [name, dir] of pkgDirs) {
        if (name === pkgName || (scope && name === `${scope}/${base}`)) {
          const pj = readJson(path.join(dir, 'package.json'));
          if (pj) found.push({ dir, version: pj.version });
        }
        walk(path.join(dir, 'node_modules'), depth + 1);
      }
    }
  };
  walk(NM, 0);
  // Workspace packages may have their own node_modules.
  const rootPj = readJson(path.join(ROOT, 'package.json')) || {};
  const ws = Array.isArray(rootPj.workspaces) ? rootPj.workspaces : rootPj.workspaces?.packages || [];
  for (const pattern of ws) {
    const m = /^(.*)\/\*$/.exec(pattern);
    const dirs = m
      ? readdirSafe(path.join(ROOT, m[1])).map((d) => path.join(ROOT, m[1], d.name))
      : [path.join(ROOT, pattern)];
    for (const d of dirs) walk(path.join(d, 'node_modules'), 0);
  }
  return found;
}

function checkSingleTfjsCore() {
  const copies = findPackageCopies('@tensorflow/tfjs-core');
  if (copies.length !== 1) {
    const list = copies.map((c) => `  ${path.relative(ROOT, c.dir)} (${c.version})`).join('\n');
    throw new Error(
      `expected exactly one @tensorflow/tfjs-core under node_modules, found ${copies.length}:\n${list}\n` +
        'A second copy breaks kernel registration; dedupe (e.g. npm dedupe) before using tfjs-node.',
    );
  }
  log(`single @tensorflow/tfjs-core ${copies[0].version} at ${path.relative(ROOT, copies[0].dir)}`);
  return copies[0];
}

// ---------------------------------------------------------------------------
// Step 2: locate the wheel
// ---------------------------------------------------------------------------

function wheelInfo(p) {
  const name = path.basename(p);
  const m = /^(tensorflow(?:_cpu)?)-(\d+)\.(\d+)\.(\d+)[^-]*-[^-]+-[^-]+-(.+)\.whl$/.exec(name);
  if (!m) return null;
  return { path: p, name, dist: m[1], version: [+m[2], +m[3], +m[4]], platform: m[5] };
}

function wheelUsable(info) {
  // TF >= 2.10 puts the C API in libtensorflow_cc.so.2; need linux x86_64.
  return info && /linux.*x86_64/.test(info.platform) && (info.version[0] > 2 || info.version[1] >= 10);
}

function findWheel(explicit) {
  if (explicit) {
    const p = path.resolve(explicit);
    if (!fs.existsSync(p) || !fs.statSync(p).isFile()) throw new Unavailable(`wheel not found: ${p}`);
    return { path: p, name: path.basename(p), ...(wheelInfo(p) || {}) };
  }
  const cands = [];
  for (const dir of SEARCH_DIRS) {
    if (!fs.existsSync(dir)) continue;
    const res = spawnSync(
      'find',
      [
        dir,
        '-maxdepth',
        '6',
        '-type',
        'f',
        '(',
        '-name',
        'tensorflow_cpu-*.whl',
        '-o',
        '-name',
        'tensorflow-*.whl',
        ')',
      ],
      { encoding: 'utf8', timeout: 20000, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    for (const line of (res.stdout || '').split('\n')) {
      const info = line && wheelInfo(line.trim());
      if (wheelUsable(info)) cands.push(info);
    }
  }
  if (!cands.length) return null;
  // Prefer tensorflow_cpu, then newest version.
  const cmpVer = (a, b) =>
    a.version[0] - b.version[0] || a.version[1] - b.version[1] || a.version[2] - b.version[2];
  cands.sort((a, b) => (a.dist === b.dist ? cmpVer(b, a) : a.dist === 'tensorflow_cpu' ? -1 : 1));
  return cands[0];
}

// ---------------------------------------------------------------------------
// Step 3: extract libs + headers into deps/
// ---------------------------------------------------------------------------

const PY_ZIP = String.raw`
import sys, zipfile, json, os
op, whl = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(whl)
if op == 'list':
    sys.stdout.write('\n'.join(z.namelist()))
else:
    dest = sys.argv[3]
    names = json.load(sys.stdin)
    for n in names:
        z.extract(n, dest)
`;

function zipTool() {
  if (have('unzip')) return 'unzip';
  if (have('python3')) return 'python3';
  throw new Error('need either `unzip` or `python3` to read the wheel');
}

function zipList(whl) {
  const tool = zipTool();
  if (tool === 'unzip') {
    return run('unzip', ['-Z1', whl]).stdout.split('\n').filter(Boolean);
  }
  return run('python3', ['-c', PY_ZIP, 'list', whl]).stdout.split('\n').filter(Boolean);
}

function zipExtract(whl, names, dest) {
  if (!names.length) return;
  fs.mkdirSync(dest, { recursive: true });
  const tool = zipTool();
  if (tool === 'unzip') {
    // unzip treats member names as wildcards; escape the special chars.
    const esc = names.map((n) => n.replace(/([[\]*?\\])/g, '\\$1'));
    for (let i = 0; i < esc.length; i += 500) {
      run('unzip', ['-q', '-o', whl, ...esc.slice(i, i + 500), '-d', dest]);
    }
  } else {
    const res = spawnSync('python3', ['-c', PY_ZIP, 'extract', whl, dest], {
      input: JSON.stringify(names),
      encoding: 'utf8',
    });
    if (res.status !== 0) throw new Error(`python3 zipfile extract failed: ${res.stderr}`);
  }
}

/** Headers the binding includes directly (tensorflow/...), read from its sources. */
function bindingSeedHeaders() {
  const seeds = new Set();
  const dir = path.join(PKG_DIR, 'binding');
  for (const f of fs.readdirSync(dir)) {
    if (!/\.(cc|h)$/.test(f)) continue;
    const src = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const m of src.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
      if (m[1].startsWith('tensorflow/')) seeds.add(m[1]);
    }
  }
  return seeds;
}

function extractDeps(wheel) {
  const names = zipList(wheel.path);
  const nameSet = new Set(names);
  for (const lib of WHEEL_LIBS) {
    if (!nameSet.has(lib)) throw new Unavailable(`${wheel.name} does not contain ${lib} (unsupported wheel)`);
  }
  const staging = fs.mkdtempSync(path.join(PKG_DIR, '.deps-staging-'));
  try {
    // Headers: the public C API headers (tensorflow/c/*.h, tensorflow/c/eager/*.h, minus the
    // C++-only internals) + the binding's own includes, plus the transitive closure of their
    // quoted includes restricted to C-level dirs (tensorflow/c, ctstring, xla/tsl/c).
    const inWheel = (h) => nameSet.has(WHEEL_INCLUDE_PREFIX + h);
    const wanted = new Set(
      names
        .filter((n) => /^tensorflow\/include\/tensorflow\/c\/(eager\/)?[^/]+\.h$/.test(n))
        .map((n) => n.slice(WHEEL_INCLUDE_PREFIX.length))
        .filter((h) => !CXX_ONLY_HEADER.test(h)),
    );
    for (const s of bindingSeedHeaders()) {
      if (!inWheel(s)) throw new Error(`header ${s} (included by the binding) is not in ${wheel.name}`);
      wanted.add(s);
    }
    const done = new Set();
    const missing = new Set();
    let pending = [...wanted];
    while (pending.length) {
      zipExtract(
        wheel.path,
        pending.map((h) => WHEEL_INCLUDE_PREFIX + h),
        staging,
      );
      const next = new Set();
      for (const h of pending) {
        done.add(h);
        const src = fs.readFileSync(path.join(staging, WHEEL_INCLUDE_PREFIX + h), 'utf8');
        for (const m of src.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
          const inc = m[1];
          if (done.has(inc) || next.has(inc)) continue;
          if (inWheel(inc) && C_LEVEL_HEADER.test(inc)) next.add(inc);
          else missing.add(inc);
        }
      }
      pending = [...next];
    }

    log(`extracting ${WHEEL_LIBS.map((l) => path.basename(l)).join(', ')} from ${wheel.name} ...`);
    zipExtract(wheel.path, WHEEL_LIBS, staging);

    // Lay out deps/ : include/<headers>, lib/<libs + names binding.gyp & install.js expect>.
    const newDeps = path.join(staging, 'deps');
    fs.mkdirSync(path.join(newDeps, 'lib'), { recursive: true });
    fs.renameSync(path.join(staging, 'tensorflow', 'include'), path.join(newDeps, 'include'));
    for (const lib of WHEEL_LIBS) {
      fs.renameSync(path.join(staging, lib), path.join(newDeps, 'lib', path.basename(lib)));
    }
    const ltf = readLibtensorflowVersionFromConstants();
    const links = {
      // -ltensorflow / -ltensorflow_framework at link time:
      'libtensorflow.so': 'libtensorflow_cc.so.2',
      'libtensorflow_framework.so': 'libtensorflow_framework.so.2',
      'libtensorflow.so.2': 'libtensorflow_cc.so.2',
      // Names scripts/install.js + deps-constants.js check (so it would skip the download):
      [`libtensorflow.so.${ltf}`]: 'libtensorflow_cc.so.2',
      [`libtensorflow_framework.so.${ltf}`]: 'libtensorflow_framework.so.2',
    };
    for (const [name, target] of Object.entries(links))
      fs.symlinkSync(target, path.join(newDeps, 'lib', name));
    fs.writeFileSync(
      path.join(newDeps, '.hashlayers-offline.json'),
      JSON.stringify(markerFor(wheel), null, 2) + '\n',
    );

    // Swap in atomically-ish.
    if (fs.existsSync(DEPS)) fs.rmSync(DEPS, { recursive: true, force: true });
    fs.renameSync(newDeps, DEPS);
    log(
      `deps ready: ${done.size} C API headers (${missing.size} C++-only includes skipped), libs in ${path.relative(ROOT, DEPS_LIB)}`,
    );
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function readLibtensorflowVersionFromConstants() {
  const src = fs.readFileSync(path.join(PKG_DIR, 'scripts', 'deps-constants.js'), 'utf8');
  const m = /LIBTENSORFLOW_VERSION\s*=\s*'([^']+)'/.exec(src);
  if (!m) throw new Error('cannot read LIBTENSORFLOW_VERSION from scripts/deps-constants.js');
  return m[1];
}

function markerFor(wheel) {
  const st = fs.statSync(wheel.path);
  return {
    format: MARKER_FORMAT,
    wheel: wheel.name,
    wheelPath: wheel.path,
    size: st.size,
    mtimeMs: Math.round(st.mtimeMs),
  };
}

function depsUpToDate(wheel) {
  const m = readJson(MARKER);
  if (!m || m.format !== MARKER_FORMAT) return false;
  if (wheel) {
    const want = markerFor(wheel);
    if (m.wheel !== want.wheel || m.size !== want.size) return false;
  }
  return depsComplete();
}

function depsComplete() {
  const need = [
    path.join(DEPS_LIB, 'libtensorflow_cc.so.2'),
    path.join(DEPS_LIB, 'libtensorflow_framework.so.2'),
    path.join(DEPS_LIB, 'libtensorflow.so'),
    path.join(DEPS_LIB, 'libtensorflow_framework.so'),
    path.join(DEPS_INCLUDE, 'tensorflow', 'c', 'c_api.h'),
    path.join(DEPS_INCLUDE, 'tensorflow', 'c', 'eager', 'c_api.h'),
  ];
  return need.every((p) => fs.existsSync(p));
}

// ---------------------------------------------------------------------------
// Step 4: build the addon
// ---------------------------------------------------------------------------

function napiBuildVersion() {
  const pj = readJson(path.join(PKG_DIR, 'package.json'));
  const supported = (pj.binary?.napi_versions || []).map(Number);
  const nodeNapi = Number(process.versions.napi);
  const usable = supported.filter((v) => v <= nodeNapi);
  if (!usable.length) throw new Unavailable(`node N-API ${nodeNapi} not compatible with ${supported}`);
  return {
    version: Math.max(...usable),
    modulePath: pj.binary.module_path,
    moduleName: pj.binary.module_name,
  };
}

function addonPath() {
  const { version, modulePath, moduleName } = napiBuildVersion();
  return path.join(
    PKG_DIR,
    modulePath.replace('{napi_build_version}', String(version)),
    `${moduleName}.node`,
  );
}

function addonUpToDate() {
  const addon = addonPath();
  if (!fs.existsSync(addon)) return false;
  const marker = fs.statSync(MARKER, { throwIfNoEntry: false });
  return !marker || fs.statSync(addon).mtimeMs >= marker.mtimeMs;
}

function findNodeGyp() {
  const cands = [
    process.env.npm_config_node_gyp,
    path.join(
      path.dirname(path.dirname(process.execPath)),
      'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    ),
  ];
  const npmBin = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout?.trim();
  if (npmBin) {
    const real = fs.realpathSync(npmBin); // .../npm/bin/npm-cli.js
    cands.push(path.join(path.dirname(path.dirname(real)), 'node_modules/node-gyp/bin/node-gyp.js'));
  }
  return cands.find((c) => c && fs.existsSync(c));
}

function buildAddon() {
  const preGyp = path.join(resolvePkgDir('@mapbox/node-pre-gyp', PKG_DIR), 'bin', 'node-pre-gyp');
  const env = { ...process.env };
  // Use local node headers (no download of node headers from nodejs.org).
  if (!env.npm_config_nodedir) {
    const nodedir = path.dirname(path.dirname(process.execPath)); // /usr for /usr/bin/node
    if (fs.existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = nodedir;
  }
  const nodeGyp = findNodeGyp();
  if (nodeGyp) env.npm_config_node_gyp = nodeGyp;
  env.PATH = `${path.join(NM, '.bin')}${path.delimiter}${env.PATH}`;
  log(
    `building addon (node-pre-gyp install --build-from-source, nodedir=${env.npm_config_nodedir ?? 'default'}) ...`,
  );
  // `--build-from-source` rather than scripts/install.js: install.js passes
  // --fallback-to-build, which first tries to download a prebuilt addon.
  const res = run(process.execPath, [preGyp, 'install', '--build-from-source', '--loglevel=warn'], {
    cwd: PKG_DIR,
    env,
    allowFail: true,
  });
  if (res.status !== 0) {
    process.stderr.write(res.stdout.slice(-6000) + '\n' + res.stderr.slice(-6000) + '\n');
    throw new Error('addon build failed (see output above)');
  }
  const addon = addonPath();
  if (!fs.existsSync(addon)) throw new Error(`build succeeded but ${addon} is missing`);
  fs.utimesSync(addon, new Date(), new Date());
  log(`built ${path.relative(ROOT, addon)}`);
}

// ---------------------------------------------------------------------------
// Step 5: verify in a fresh process
// ---------------------------------------------------------------------------

const VERIFY_SRC = String.raw`
const tf = require('@tensorflow/tfjs-node');
const backend = tf.getBackend();
const c = tf.matMul(tf.ones([2, 2]), tf.ones([2, 2]));
c.print();
const vals = Array.from(c.dataSync());
console.log('__VERIFY__' + JSON.stringify({
  backend,
  values: vals,
  tfVersion: tf.backend().binding.TF_Version,
  tfjsNode: tf.version['tfjs-node'],
  tfjsCore: tf.version['tfjs-core'],
}));
`;

function verify() {
  // LD_BIND_NOW makes the dynamic linker resolve every TF_/TFE_ symbol the
  // addon imports at load time, so a C API mismatch fails here, not later.
  const res = run(process.execPath, ['-e', VERIFY_SRC], {
    cwd: ROOT,
    env: { ...process.env, LD_BIND_NOW: '1', TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
    allowFail: true,
  });
  const line = (res.stdout || '').split('\n').find((l) => l.startsWith('__VERIFY__'));
  if (res.status !== 0 || !line) {
    return { ok: false, detail: `${(res.stdout || '').slice(-3000)}\n${(res.stderr || '').slice(-3000)}` };
  }
  const info = JSON.parse(line.slice('__VERIFY__'.length));
  const printed = res.stdout
    .split('\n')
    .filter((l) => !l.startsWith('__VERIFY__'))
    .join('\n')
    .trim();
  const ok = info.backend === 'tensorflow' && info.values.length === 4 && info.values.every((v) => v === 2);
  return { ok, info, printed, detail: ok ? '' : `unexpected result: ${line}\n${res.stderr}` };
}

// ---------------------------------------------------------------------------

function main() {
  const { values, positionals } = parseArgs({ options: { force: { type: 'boolean', default: false } }, allowPositionals: true });
  const force = values.force;
  const explicitWheel = positionals[0] || process.env.HASHLAYERS_TF_WHEEL || '';

  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Unavailable(`unsupported platform ${process.platform}-${process.arch} (need linux-x64)`);
  }

  // Fast path: package, deps/ and addon present and working -> no wheel needed.
  // (An explicitly given wheel must be the one deps/ came from; a missing one is ignored here.)
  const explicitOk = () => {
    if (!explicitWheel) return true;
    if (!fs.existsSync(explicitWheel)) {
      log(`warning: wheel ${explicitWheel} not found; checking the existing install`);
      return true;
    }
    return depsUpToDate(findWheel(explicitWheel));
  };
  if (!force && tfjsNodeInstalled() && depsComplete() && addonUpToDate() && explicitOk()) {
    time('tfjs-core check', checkSingleTfjsCore);
    const v = time('verify', verify);
    if (v.ok) return finish(v, 'already installed');
    log('existing install failed verification, reinstalling deps + addon');
  }

  // Find the wheel before touching node_modules, so "unavailable" leaves no half-installed package.
  const wheel = time('find wheel', () => findWheel(explicitWheel));
  if (!wheel) {
    throw new Unavailable(
      'no tensorflow_cpu wheel found. Pass one as argument or set HASHLAYERS_TF_WHEEL, e.g.\n' +
        '  node tools/tfjs-node/install-offline.mjs /path/to/tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl\n' +
        `(searched: ${SEARCH_DIRS.join(', ')})`,
    );
  }
  log(`using wheel ${wheel.path}`);

  time('npm install', ensureTfjsNodeInstalled);
  time('tfjs-core check', checkSingleTfjsCore);

  let rebuilt = false;
  if (force || !depsUpToDate(wheel)) {
    time('extract', () => extractDeps(wheel));
    rebuilt = true;
  } else {
    log('deps/ already extracted from this wheel');
  }
  if (force || rebuilt || !addonUpToDate()) time('build', buildAddon);
  else log('addon already built');

  const v = time('verify', verify);
  if (!v.ok) throw new Error(`verification failed:\n${v.detail}`);
  return finish(v, `installed from ${wheel.name}`);
}

function finish(v, how) {
  if (v.printed) console.log(v.printed);
  const t = Object.entries(timings)
    .filter(([, ms]) => ms >= 50)
    .map(([k, ms]) => `${k} ${secs(ms)}`)
    .join(', ');
  console.log(
    `tfjs-node OK: @tensorflow/tfjs-node ${v.info.tfjsNode} (tfjs-core ${v.info.tfjsCore}), backend=${v.info.backend}, ` +
      `libtensorflow ${v.info.tfVersion}, matMul(ones 2x2) = [${v.info.values}]; ${how}; total ${secs(Date.now() - t0)}` +
      (t ? ` (${t})` : ''),
  );
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  if (err instanceof Unavailable) {
    console.error(`[tfjs-node-offline] tfjs-node unavailable: ${err.message}`);
    process.exitCode = EXIT_UNAVAILABLE;
  } else {
    const detail = process.env.HASHLAYERS_DEBUG ? err.stack : err.message;
    console.error(`[tfjs-node-offline] FAILED: ${detail}`);
    process.exitCode = EXIT_FAIL;
  }
}
