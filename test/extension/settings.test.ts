import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  buildAnalyzeRequest,
  DEFAULTS,
  describeSettings,
  FORMER_KEYS,
  rawSettingsFrom,
  ENUMS,
  RANGES,
  resolveOutputRoot,
  resolveUserPath,
  SETTING_KEYS,
  validateSettings,
  type ExtensionSettings,
} from '../../src/extension/settings';
import { presetDefaults } from '../../src/core/settings';
import { generatedPackageJson } from '../../scripts/contributes';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));
const props: Record<string, Record<string, unknown>> = pkg.contributes.configuration.properties;

function valid(raw: Record<string, unknown> = {}): ExtensionSettings {
  const r = validateSettings(raw);
  assert.equal(r.ok, true, r.ok ? '' : JSON.stringify(r.problems));
  return (r as { settings: ExtensionSettings }).settings;
}
function problems(raw: Record<string, unknown>) {
  const r = validateSettings(raw);
  assert.equal(r.ok, false, `accepted ${JSON.stringify(raw)}`);
  return (r as { problems: { setting: string; message: string }[] }).problems;
}

describe('package.json settings schema agrees with the validator', () => {
  it('declares exactly the keys the extension reads, with resource scope and a description', () => {
    assert.deepEqual(Object.keys(props).sort(), SETTING_KEYS.map((k) => `sparsityLens.${k}`).sort());
    for (const [k, p] of Object.entries(props)) {
      assert.equal(p.scope, 'resource', k);
      assert.ok(typeof p.markdownDescription === 'string' && (p.markdownDescription as string).length > 20, `${k} has a description`);
      assert.ok('default' in p, `${k} has a default`);
    }
  });

  it('uses the same defaults, enums and ranges', () => {
    for (const k of SETTING_KEYS) assert.deepEqual(props[`sparsityLens.${k}`].default, DEFAULTS[k], k);
    for (const [k, values] of Object.entries(ENUMS)) assert.deepEqual(props[`sparsityLens.${k}`].enum, [...values], k);
    for (const [k, [lo, hi]] of Object.entries(RANGES)) {
      const p = props[`sparsityLens.${k}`];
      const min = p.minimum ?? (p.anyOf as { minimum?: number }[] | undefined)?.[0]?.minimum;
      assert.equal(min, lo, `${k} minimum`);
      if (p.maximum !== undefined) assert.equal(p.maximum, hi, `${k} maximum`);
    }
    // The schema's defaults pass validation.
    const defaults = Object.fromEntries(SETTING_KEYS.map((k) => [k, props[`sparsityLens.${k}`].default]));
    valid(defaults);
  });

  it('defaults equal the liu2020 preset of the core', () => {
    const s = valid();
    const p = presetDefaults('liu2020');
    assert.equal(s.imagesPerCategory, p.imagesPerCategory);
    assert.equal(s.batchSize, p.batchSize);
    assert.equal(s.seed, p.seed);
    assert.equal(s.folds, p.folds);
    assert.equal(s.unit, p.unit);
    assert.equal(s.accuracy, p.accuracy);
    assert.equal(s.referencePSI, p.referencePSI);
    assert.equal(s.controls.permutations, p.controls.permutations);
    assert.equal(s.controls.noNonlinearity, p.controls.noNonlinearity);
    assert.equal(s.controls.permuteTarget, p.controls.permuteTarget);
  });

  it('package.json is generated from the settings table and up to date (else run `npm run contributes`)', () => {
    const onDisk = fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8');
    assert.equal(onDisk, generatedPackageJson(onDisk), 'package.json is out of date with src/core/settings/table.ts: run `npm run contributes` and commit package.json');
  });

  it('declares each renamed key as deprecated, with the schema of its new name', () => {
    for (const [old, spec] of FORMER_KEYS) {
      const p = props[`sparsityLens.${old}`];
      assert.match(String(p.markdownDeprecationMessage), new RegExp(`sparsityLens\\.${spec.key.replace('.', '\\.')}`), old);
      const { markdownDescription: _a, markdownDeprecationMessage: _b, ...oldSchema } = p;
      const { markdownDescription: _c, order: _d, ...newSchema } = props[`sparsityLens.${spec.key}`];
      assert.deepEqual(oldSchema, newSchema, old);
    }
    assert.deepEqual([...FORMER_KEYS.keys()].sort(), ['controls.permutedWeights', ...['channelOrder', 'height', 'mean', 'resize', 'scale', 'shorterSide', 'std', 'width'].map((k) => `preprocess.${k}`)].sort());
  });

  it('contributes the commands, menus, custom editor and limited untrusted-workspace support', () => {
    const cmds = pkg.contributes.commands.map((c: { command: string }) => c.command);
    for (const c of ['analyzeFolder', 'openReport', 'chooseModel', 'showLayers', 'exportReport']) assert.ok(cmds.includes(`sparsityLens.${c}`), c);
    const analyze = pkg.contributes.commands.find((c: { command: string }) => c.command === 'sparsityLens.analyzeFolder');
    assert.equal(analyze.title, 'Analyze Sparsity');
    const ctx = pkg.contributes.menus['explorer/context'].find((m: { command: string }) => m.command === 'sparsityLens.analyzeFolder');
    assert.equal(ctx.when, 'explorerResourceIsFolder');
    assert.deepEqual(pkg.contributes.customEditors[0].selector, [{ filenamePattern: '*.sparsity.json' }]);
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('sparsityLens.model'));
    assert.ok(pkg.activationEvents.includes('onWebviewPanel:sparsityLens.report'));
  });
});

describe('validateSettings', () => {
  it('accepts an empty object (all defaults) and typical values', () => {
    const s = valid({});
    assert.equal(s.model, '');
    assert.equal(s.imagesPerCategory, 'all');
    assert.deepEqual(s.layers, []);
    const t = valid({ model: ' models/alexnet.onnx ', imagesPerCategory: 50, layers: ['conv1', ' fc2 '], 'controls.permutedWeights': 0, 'preprocess.mean': [0, 0, 0], 'preprocess.width': 227, 'preprocess.height': 227 });
    assert.equal(t.model, 'models/alexnet.onnx');
    assert.equal(t.imagesPerCategory, 50);
    assert.deepEqual(t.layers, ['conv1', 'fc2']);
    assert.deepEqual(t.preprocessing.mean, [0, 0, 0]);
  });

  it('names the setting, what is wrong and what was given', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ folds: 1 }, 'sparsityLens.folds', /from 2 to 20 \(it is 1\)/],
      [{ folds: 2.5 }, 'sparsityLens.folds', /whole number/],
      [{ batchSize: '8' }, 'sparsityLens.batchSize', /\(it is "8"\)/],
      [{ imagesPerCategory: 0 }, 'sparsityLens.imagesPerCategory', /"all" or a whole number/],
      [{ imagesPerCategory: 'some' }, 'sparsityLens.imagesPerCategory', /"all"/],
      [{ unit: 'pixel' }, 'sparsityLens.unit', /"channel", "channel-position"/],
      [{ accuracy: 'top1' }, 'sparsityLens.accuracy', /"auto", "model", "decoder", "none"/],
      [{ preset: 'vgg' }, 'sparsityLens.preset', /"liu2020"/],
      [{ layers: 'conv1' }, 'sparsityLens.layers', /list of layer names/],
      [{ layers: ['fc1', 'fc1'] }, 'sparsityLens.layers', /twice/],
      [{ 'controls.permutedWeights': -1 }, 'sparsityLens.controls.permutedWeights', /from 0 to 100/],
      [{ 'controls.noNonlinearity': 'yes' }, 'sparsityLens.controls.noNonlinearity', /true or false/],
      [{ seed: -3 }, 'sparsityLens.seed', /from 0/],
      [{ referencePSI: 1.5 }, 'sparsityLens.referencePSI', /from 0 to 1/],
      [{ 'preprocess.std': [0.2, 0, 0.2] }, 'sparsityLens.preprocess.std', /positive/],
      [{ 'preprocess.mean': [1, 2] }, 'sparsityLens.preprocess.mean', /three/],
      [{ 'preprocess.scale': 0 }, 'sparsityLens.preprocess.scale', /positive/],
      [{ 'preprocess.width': 224 }, 'sparsityLens.preprocess.height', /set together/],
      [{ 'preprocess.resize': 'crop' }, 'sparsityLens.preprocess.resize', /"model", "stretch", "shorter-crop"/],
      [{ outputFolder: '  ' }, 'sparsityLens.outputFolder', /must name a folder/],
      [{ model: 3 }, 'sparsityLens.model', /string/],
    ];
    for (const [raw, setting, re] of cases) {
      const ps = problems(raw);
      assert.equal(ps.length, 1, `${JSON.stringify(raw)}: ${JSON.stringify(ps)}`);
      assert.equal(ps[0].setting, setting);
      assert.ok(ps[0].message.includes(setting), ps[0].message);
      assert.match(ps[0].message, re);
    }
  });

  it('reports every invalid setting at once', () => {
    const ps = problems({ folds: 0, batchSize: 0, unit: 'x' });
    assert.deepEqual(ps.map((p) => p.setting).sort(), ['sparsityLens.batchSize', 'sparsityLens.folds', 'sparsityLens.unit']);
  });
});

describe('renamed settings', () => {
  it('reads an old key when the new one is absent, with a warning that says what to rename', () => {
    const r = validateSettings({ 'controls.permutedWeights': 4, 'preprocess.resize': 'stretch' });
    assert.ok(r.ok);
    assert.equal(r.settings.controls.permutations, 4);
    assert.equal(r.settings.preprocessing.resize, 'stretch');
    assert.deepEqual(r.warnings.map((w) => w.setting).sort(), ['sparsityLens.controls.permutedWeights', 'sparsityLens.preprocess.resize']);
    assert.ok(r.warnings.every((w) => /renamed to sparsityLens\.(controls\.permutations|preprocessing\.resize)/.test(w.message)), JSON.stringify(r.warnings));
  });

  it('the new key wins when both are set; the old one is reported as ignored', () => {
    const r = validateSettings({ 'controls.permutedWeights': 4, 'controls.permutations': 2 });
    assert.ok(r.ok);
    assert.equal(r.settings.controls.permutations, 2);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0].message, /sparsityLens\.controls\.permutedWeights is ignored/);
    assert.equal(validateSettings({ 'controls.permutations': 3 }).warnings.length, 0, 'no warning with the new names only');
  });

  it('concurrentPasses: "auto" or a count; the old 0 still means auto, with a warning', () => {
    const old = validateSettings({ concurrentPasses: 0 });
    assert.ok(old.ok);
    assert.equal(old.settings.concurrentPasses, 'auto');
    assert.match(old.warnings[0].message, /sparsityLens\.concurrentPasses is 0, which is read as "auto"/);
    assert.equal(valid({ concurrentPasses: 'auto' }).concurrentPasses, 'auto');
    assert.match(problems({ concurrentPasses: 'many' })[0].message, /"auto" or a whole number from 1 to 1000/);
  });

  it('reads VS Code configuration: an old key counts only when set, and where more specific than the new one', () => {
    type Levels = { workspaceFolderValue?: unknown; workspaceValue?: unknown; globalValue?: unknown };
    const config = (set: Record<string, Levels>) => ({
      get: (k: string) => {
        const l = set[k];
        const v = l?.workspaceFolderValue ?? l?.workspaceValue ?? l?.globalValue;
        return v === undefined ? DEFAULTS[k] : v;
      },
      inspect: (k: string) => set[k] ?? {},
    });
    const read = (set: Record<string, Levels>) => validateSettings(rawSettingsFrom(config(set)));
    const none = read({});
    assert.ok(none.ok);
    assert.equal(none.settings.controls.permutations, 10);
    assert.deepEqual(none.warnings, [], 'no warning when no old key is set (get() returns defaults for every key)');
    const old = read({ 'controls.permutedWeights': { workspaceValue: 3 } });
    assert.ok(old.ok);
    assert.equal(old.settings.controls.permutations, 3);
    assert.match(old.warnings[0].message, /renamed/);
    const folderOld = read({ 'controls.permutedWeights': { workspaceFolderValue: 4 }, 'controls.permutations': { globalValue: 1 } });
    assert.equal(folderOld.settings?.controls.permutations, 4, 'old key in the folder beats the new key in user settings');
    const folderNew = read({ 'controls.permutedWeights': { globalValue: 4 }, 'controls.permutations': { workspaceFolderValue: 1 } });
    assert.equal(folderNew.settings?.controls.permutations, 1);
    assert.match(folderNew.warnings[0].message, /ignored/);
  });

  it('new preprocessing keys name themselves in the width/height problem', () => {
    const ps = problems({ 'preprocessing.height': 224 });
    assert.equal(ps[0].setting, 'sparsityLens.preprocessing.width');
  });
});

describe('buildAnalyzeRequest', () => {
  it('maps settings onto the core request; "use the model\'s value" settings are left out', () => {
    const s = valid({ imagesPerCategory: 20, 'controls.permutedWeights': 3, 'controls.noNonlinearity': false, decoderLayer: 'fc1', seed: 7 });
    const req = buildAnalyzeRequest(s, { datasetPath: '/d', modelPath: '/m.onnx', outputRoot: '/o', modelSource: 'file' });
    assert.equal(req.datasetPath, '/d');
    assert.equal(req.modelPath, '/m.onnx');
    assert.equal(req.outputRoot, '/o');
    assert.equal(req.modelSource, 'file');
    assert.equal(req.settings?.imagesPerCategory, 20);
    assert.equal(req.settings?.seed, 7);
    assert.equal(req.settings?.decoderLayer, 'fc1');
    assert.deepEqual(req.settings?.controls, { permutations: 3, noNonlinearity: false, permuteTarget: 'weights', keepNorms: false });
    // Issue 10's settings reach the core from VS Code too (they are extension settings of the table).
    assert.equal(req.settings?.taps, 'auto');
    assert.equal(req.settings?.tokens, 'mean');
    assert.equal(req.preprocessing, undefined);
    const d = buildAnalyzeRequest(valid(), { datasetPath: '/d', modelPath: '/m', outputRoot: '/o' });
    assert.equal('decoderLayer' in (d.settings ?? {}), false);
    assert.equal(d.settings?.concurrentPasses, 'auto', 'concurrentPasses 0 means auto');
    assert.equal(buildAnalyzeRequest(valid({ concurrentPasses: 3 }), { datasetPath: '/d', modelPath: '/m', outputRoot: '/o' }).settings?.concurrentPasses, 3);
    assert.deepEqual(problems({ concurrentPasses: -1 }).map((p) => p.setting), ['sparsityLens.concurrentPasses']);
  });

  it('sends only the preprocessing overrides that are set', () => {
    const s = valid({ 'preprocess.resize': 'shorter-crop', 'preprocess.shorterSide': 256, 'preprocess.channelOrder': 'BGR', 'preprocess.scale': 1, 'preprocess.std': [1, 1, 1] });
    const req = buildAnalyzeRequest(s, { datasetPath: '/d', modelPath: '/m', outputRoot: '/o' });
    assert.deepEqual(req.preprocessing, { resize: 'shorter-crop', shorterSide: 256, channelOrder: 'BGR', scale: 1, std: [1, 1, 1] });
    assert.ok(describeSettings(s).some((l) => l.includes('resize=shorter-crop') && l.includes('channelOrder=BGR')));
  });
});

describe('paths', () => {
  it('resolves model paths: absolute, ~, ${workspaceFolder}, relative to the workspace folder', () => {
    assert.equal(resolveUserPath('/abs/m.onnx', '/ws'), '/abs/m.onnx');
    assert.equal(resolveUserPath('models/m.onnx', '/ws'), '/ws/models/m.onnx');
    assert.equal(resolveUserPath('${workspaceFolder}/m.onnx', '/ws'), '/ws/m.onnx');
    assert.equal(resolveUserPath('~/m.onnx', '/ws', '/home/u'), '/home/u/m.onnx');
    assert.equal(resolveUserPath('../m.onnx', '/ws/a'), '/ws/m.onnx');
  });

  it('puts run folders under outputFolder in the workspace folder, else beside the dataset', () => {
    assert.equal(resolveOutputRoot('.sparsity-lens', '/ws', '/ws/data/fish'), '/ws/.sparsity-lens');
    assert.equal(resolveOutputRoot('.sparsity-lens', undefined, '/data/fish'), '/data/.sparsity-lens');
    assert.equal(resolveOutputRoot('/runs', '/ws', '/ws/data'), '/runs');
  });
});
