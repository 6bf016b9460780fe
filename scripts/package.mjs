#!/usr/bin/env node
// `npm run package`: builds (unless --no-build) and packages a platform-specific
// VSIX (default linux-x64) holding only that platform's native binaries.
//
// How: esbuild bundles the extension into dist/; what the bundles still
// `require()` at run time (native packages such as onnxruntime-node and sharp)
// are the externals. We stage a copy of the extension
//   (out/vsix-stage-<pid>/, removed at the end):
//   - the project files that .vscodeignore lets through (vsce's own listing),
//   - node_modules holding only the externals and their dependency closure,
//     pruned of other platforms' binaries (onnxruntime-node ships darwin,
//     win32 and linux-arm64 too),
//   - a package.json whose dependencies are exactly the staged externals and
//     without scripts (the build already ran),
// check that every native binary left is an x86-64 ELF (for linux-x64), and run
// `vsce package --target <target>` there. Prints the VSIX path and size.
//
// Options: --target <t> (linux-x64 only for now), --no-build, --out <file>,
//          --keep-stage, --cwd <project root> (for testing).
import { spawnSync } from 'node:child_process';
import { builtinModules, createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
function opt(name, def) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
}
const flag = (name) => args.includes(name);

const ROOT = path.resolve(opt('--cwd', path.join(path.dirname(fileURLToPath(import.meta.url)), '..')));
const TARGET = opt('--target', 'linux-x64');
// per process: two packagings at once (parallel sessions, test suites) must not share a stage
const STAGE = path.join(ROOT, 'out', `vsix-stage-${process.pid}`);
const t0 = Date.now();
process.on('exit', () => {
  if (!args.includes('--keep-stage')) fs.rmSync(STAGE, { recursive: true, force: true });
});

const SUPPORTED = {
  'linux-x64': { os: 'linux', arch: 'x64', elfMachine: 62 /* EM_X86_64 */ },
};
if (!SUPPORTED[TARGET]) fail(`target ${TARGET} is not supported by this script (supported: ${Object.keys(SUPPORTED).join(', ')})`);
const T = SUPPORTED[TARGET];

function log(msg) { console.log(`[package] ${msg}`); }
function fail(msg) { console.error(`[package] ERROR: ${msg}`); process.exit(1); }
function run(cmd, argv, cwd) {
  const r = spawnSync(cmd, argv, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  if (r.status !== 0) fail(`${cmd} ${argv.join(' ')} exited with ${r.status ?? r.signal}`);
}
function readJson(p) { return JSON.parse(fs.readFileSync(p, 'utf8')); }

const pkg = readJson(path.join(ROOT, 'package.json'));

// ---- 1. build -------------------------------------------------------------
if (!flag('--no-build')) {
  if (!pkg.scripts?.build) fail('package.json has no "build" script (scripts/build.mjs, owned by the extension area)');
  log('npm run build -- --production');
  const tb = Date.now();
  run('npm', ['run', '--silent', 'build', '--', '--production'], ROOT);
  log(`build took ${((Date.now() - tb) / 1000).toFixed(1)} s`);
}
const mainRel = (pkg.main ?? 'dist/extension.js').replace(/^\.\//, '');
if (!fs.existsSync(path.join(ROOT, mainRel))) fail(`${mainRel} (package.json "main") does not exist: run the build first`);

// ---- 2. which project files go in (vsce's listing with .vscodeignore) ----------
const vsceDir = path.join(ROOT, 'node_modules', '@vscode', 'vsce');
if (!fs.existsSync(vsceDir)) fail('@vscode/vsce is not installed (devDependency): run npm install');
const requireFromRoot = createRequire(path.join(ROOT, 'package.json'));
const vscePackage = requireFromRoot('@vscode/vsce/out/package.js');
const projectFiles = await vscePackage.listFiles({ cwd: ROOT, dependencies: false, prepublish: false });
if (!projectFiles.includes(mainRel)) fail(`.vscodeignore excludes ${mainRel}`);

// ---- 3. externals still required by the bundles --------------------------------
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const externals = new Map(); // name -> first file requiring it
// require("x"), import("x"), from "x". A bare require.resolve("x/...") only locates files
// (e.g. the tfjs wasm binaries, which the build copies into dist/): noted, not staged.
const reqRe = /\b(require|require\.resolve|import)\s*\(\s*(["'`])([^"'`\s]+)\2\s*\)|\bfrom\s*(["'])([^"'\s]+)\4/g;
const resolveOnly = new Map();
const distDir = path.posix.dirname(mainRel) + '/';
for (const rel of projectFiles) {
  // the node-side bundles (dist/extension.js, dist/analysisWorker.js, dist/cli.js, ...)
  if (!rel.startsWith(distDir) || !/\.(c|m)?js$/.test(rel)) continue;
  const src = fs.readFileSync(path.join(ROOT, rel), 'utf8');
  for (const m of src.matchAll(reqRe)) {
    const spec = m[3] ?? m[5];
    if (!spec || spec.startsWith('.') || spec.startsWith('/') || spec.includes('${') || builtins.has(spec) || spec.startsWith('node:')) continue;
    if (spec === 'vscode') continue;
    const parts = spec.split('/');
    const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
    if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name)) continue;
    if (builtins.has(name)) continue;
    if (m[1] === 'require.resolve') {
      if (!resolveOnly.has(name)) resolveOnly.set(name, rel);
      continue;
    }
    if (!externals.has(name)) externals.set(name, rel);
  }
}

// Resolve a package directory the way node does from `fromDir`.
function resolvePkgDir(name, fromDir) {
  let dir = fromDir;
  for (;;) {
    const cand = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(cand, 'package.json'))) return cand;
    if (dir === ROOT || path.dirname(dir) === dir) return null;
    dir = path.dirname(dir);
  }
}

const declared = { ...(pkg.optionalDependencies ?? {}), ...(pkg.dependencies ?? {}) };
const closure = new Map(); // dir (as seen from the project) -> name
const seenReal = new Set();
const topLevel = {}; // name -> version (for the staged package.json)
const missing = [];
for (const [name, file] of externals) {
  const dir = resolvePkgDir(name, ROOT);
  if (!dir) {
    if (name in (pkg.dependencies ?? {})) fail(`${file} requires "${name}", a dependency that is not installed`);
    missing.push(`${name} (required by ${file}; not installed: left out, the bundle must guard it)`);
    continue;
  }
  if (!(name in declared)) log(`note: ${file} requires "${name}", which is not a declared dependency`);
  topLevel[name] = readJson(path.join(dir, 'package.json')).version;
  const queue = [[name, dir]];
  while (queue.length) {
    const [n, d] = queue.pop();
    const real = fs.realpathSync(d);
    if (seenReal.has(real)) continue;
    seenReal.add(real);
    closure.set(d, n);
    const p = readJson(path.join(d, 'package.json'));
    const hard = Object.keys(p.dependencies ?? {});
    const soft = [...Object.keys(p.optionalDependencies ?? {}), ...Object.keys(p.peerDependencies ?? {})];
    for (const dep of new Set([...hard, ...soft])) {
      const dd = resolvePkgDir(dep, d);
      if (dd) queue.push([dep, dd]);
      else if (hard.includes(dep) && !soft.includes(dep)) missing.push(`${dep} (dependency of ${n}: not installed)`);
    }
  }
}

// ---- 4. stage ------------------------------------------------------------------
fs.rmSync(STAGE, { recursive: true, force: true });
fs.mkdirSync(STAGE, { recursive: true });
for (const rel of projectFiles) {
  const dest = path.join(STAGE, rel);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(path.join(ROOT, rel), dest);
}
const stagedPkg = { ...pkg, dependencies: topLevel };
delete stagedPkg.devDependencies;
delete stagedPkg.optionalDependencies;
delete stagedPkg.scripts; // no vscode:prepublish in the stage: the build already ran
delete stagedPkg.bin;
fs.writeFileSync(path.join(STAGE, 'package.json'), JSON.stringify(stagedPkg, null, 2) + '\n');
// node_modules is filled below; the stage takes every staged file.
fs.writeFileSync(path.join(STAGE, '.vscodeignore'), ['**/*.map', 'node_modules/**/*.ts', 'node_modules/**/*.cts', 'node_modules/**/*.mts', 'node_modules/**/.bin/**', ''].join('\n'));

const OSES = ['darwin', 'win32', 'windows', 'win', 'linux', 'linuxmusl', 'musl', 'alpine', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'android', 'wasm32', 'osx', 'mac', 'macos'];
const ARCHES = ['x64', 'x86_64', 'amd64', 'arm64', 'aarch64', 'arm', 'armhf', 'armv7', 'armv7l', 'ia32', 'x86', 'ppc64', 'ppc64le', 's390x', 'riscv64', 'loong64', 'mips64el', 'wasm32'];
const keepOs = new Set([T.os]);
const keepArch = new Set(T.arch === 'x64' ? ['x64', 'x86_64', 'amd64'] : [T.arch]);
const pruned = [];
// true when this path (relative to a package root) belongs to another platform
function otherPlatform(relParts) {
  for (let i = 0; i < relParts.length; i++) {
    const seg = relParts[i].toLowerCase();
    const next = (relParts[i + 1] ?? '').toLowerCase();
    if (OSES.includes(seg)) {
      if (!keepOs.has(seg)) return true;
      if (ARCHES.includes(next) && !keepArch.has(next)) return true;
    }
    const m = seg.match(/^(?:.*[-_])?([a-z0-9]+)[-_]([a-z0-9_]+)$/);
    if (m && OSES.includes(m[1]) && ARCHES.includes(m[2])) {
      if (!keepOs.has(m[1]) || !keepArch.has(m[2])) return true;
    }
  }
  return false;
}
let stagedBytes = 0;
for (const [dir, name] of closure) {
  const rel = path.relative(ROOT, dir);
  if (rel.startsWith('..')) fail(`${name} resolves outside the project (${dir})`);
  if (otherPlatform([path.basename(dir)])) { pruned.push(rel + '/'); continue; }
  fs.cpSync(dir, path.join(STAGE, rel), {
    recursive: true,
    dereference: true,
    filter: (src) => {
      const r = path.relative(dir, src);
      if (!r) return true;
      const parts = r.split(path.sep);
      if (parts[0] === 'node_modules') return false; // nested deps are staged on their own
      if (otherPlatform(parts)) { pruned.push(path.join(rel, r)); return false; }
      if (/\.(dll|dylib|pdb|lib|exp)$/i.test(r)) { pruned.push(path.join(rel, r)); return false; }
      return true;
    },
  });
}

// ---- 5. every native binary must be for the target --------------------------------
const natives = [];
function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else {
      stagedBytes += fs.statSync(p).size;
      if (/\.(node|so(\.\d+)*|dll|dylib)$/i.test(e.name)) natives.push(p);
    }
  }
}
walk(STAGE);
const bad = [];
for (const p of natives) {
  const fd = fs.openSync(p, 'r');
  const head = Buffer.alloc(20);
  fs.readSync(fd, head, 0, 20, 0);
  fs.closeSync(fd);
  const isElf = head.readUInt32BE(0) === 0x7f454c46;
  const machine = isElf ? head.readUInt16LE(18) : -1;
  if (!isElf || machine !== T.elfMachine) bad.push(`${path.relative(STAGE, p)} (${isElf ? `ELF machine ${machine}` : 'not ELF'})`);
}
if (bad.length) fail(`native binaries for another platform left in the stage:\n  ${bad.join('\n  ')}`);

log(`externals: ${Object.entries(topLevel).map(([n, v]) => `${n}@${v}`).join(', ') || '(none)'}`);
log(`staged ${closure.size} packages, ${projectFiles.length} project files, ${(stagedBytes / 1048576).toFixed(1)} MB`);
log(`native binaries (${TARGET}): ${natives.map((p) => path.relative(STAGE, p)).join(', ') || '(none)'}`);
if (pruned.length) log(`pruned for other platforms: ${pruned.length} entries, e.g. ${pruned.slice(0, 4).join(', ')}`);
for (const m of missing) log(`warning: ${m}`);
for (const [n, f] of resolveOnly) if (!externals.has(n)) log(`note: ${f} only require.resolve()s "${n}": not staged (the bundle must fall back, e.g. to files in dist/)`);

// ---- 6. vsce package ---------------------------------------------------------------
const out = path.resolve(ROOT, opt('--out', `${pkg.name}-${pkg.version}-${TARGET}.vsix`));
fs.rmSync(out, { force: true });
const vsceArgs = [path.join(vsceDir, 'vsce'), 'package', '--target', TARGET, '--out', out, '--allow-missing-repository', '--no-rewrite-relative-links', '--no-yarn', '--dependencies'];
if (!fs.readdirSync(STAGE).some((f) => /^licen[cs]e(\.(md|txt))?$/i.test(f))) {
  log('warning: no LICENSE file in the package (add one at the project root)');
  vsceArgs.push('--skip-license');
}
log(`vsce ${vsceArgs.slice(1).join(' ')}`);
run(process.execPath, vsceArgs, STAGE);
if (!fs.existsSync(out)) fail(`vsce did not write ${out}`);

const size = fs.statSync(out).size;
log(`VSIX: ${out.startsWith(ROOT + path.sep) ? path.relative(ROOT, out) : out}`);
log(`VSIX size: ${(size / 1048576).toFixed(1)} MB (${size} bytes), target ${TARGET}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
