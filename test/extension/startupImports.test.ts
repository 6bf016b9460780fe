/**
 * What the extension host loads at activation: src/extension/extension.ts and everything it
 * imports at module top level. The native libraries (sharp, onnxruntime-node, tfjs-node) are
 * slow to load and only needed when an image is decoded, a model runs (both in the analysis
 * worker) or a figure / demo stimulus is written: none of them may load with the extension.
 *
 * The module graph is loaded for real in a child node process (the source, through tsx), with a
 * `Module._load` hook that records every package requested and answers `vscode` with a stub; a
 * static scan would not tell a top-level `import` from a `require()` inside a function.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.join(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'src', 'extension', 'extension.ts');
/** The native packages scripts/build.mjs keeps external, `vscode` aside. */
const NATIVE = ['sharp', 'onnxruntime-node', '@tensorflow/tfjs-node'];

// Runs in the child. `vscode` is a stub on which every property, call and `new` gives the stub
// again (module top levels build ThemeIcons and the like); __toESM copies own properties only,
// so the stub's prototype answers the rest.
const PROBE = `
const Module = require('node:module');
const get = (t, k) => (k === 'then' ? undefined : k === Symbol.toPrimitive ? () => '' : any);
const proto = new Proxy({}, { get });
const any = new Proxy(function () {}, { get, apply: () => any, construct: () => any, getPrototypeOf: () => proto });
const requested = {};
const load = Module._load;
Module._load = function (request, parent) {
  if (request === 'vscode') return any;
  if (!/^(\\.|\\/|node:)/.test(request)) requested[request] ??= parent?.filename ?? '?';
  return load.apply(this, arguments);
};
const ext = require(process.env.STARTUP_ENTRY);
process.stdout.write(JSON.stringify({ activate: typeof ext.activate, requested }));
`;

describe('extension start-up imports', () => {
  it('loading src/extension/extension.ts loads no native library (sharp, onnxruntime-node, tfjs-node)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', PROBE], {
      cwd: ROOT,
      env: { ...process.env, STARTUP_ENTRY: ENTRY },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `the probe failed to load ${path.relative(ROOT, ENTRY)}:\n${r.stderr}`);
    /** Each package requested, with the file that first required it. */
    const out = JSON.parse(r.stdout) as { activate: string; requested: Record<string, string> };
    assert.equal(out.activate, 'function', 'the module graph loaded and exports activate');
    // packages the graph surely loads: the hook saw the requests
    assert.ok('path' in out.requested || 'fs' in out.requested, `the hook recorded requests: ${Object.keys(out.requested).join(', ')}`);
    const native = Object.entries(out.requested)
      .filter(([m]) => NATIVE.some((n) => m === n || m.startsWith(`${n}/`)))
      .map(([m, by]) => `${m} (required by ${path.relative(ROOT, by)})`);
    assert.deepEqual(native, [], `activation loads ${native.join(', ')}: load it inside the function that needs it (a require() or import() there), not at a module's top level`);
  });
});
