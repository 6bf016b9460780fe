/**
 * The CLI as a user runs it: exit codes, messages, --json, --help, layers. A torchvision model
 * exported through Python is test/integration/cli.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildClosedFormOnnx, writeStimuli } from '../helpers/tinyModels';
import { tempDir } from '../helpers/tempDir';

const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('cli: --help lists the commands and options; exit 0', () => {
  const r = run(['--help']);
  assert.equal(r.code, 0);
  for (const s of ['analyze', 'layers', 'merge']) assert.ok(r.out.includes(s), s);
  const a = run(['analyze', '--help']);
  assert.equal(a.code, 0);
  for (const s of ['--model', '--images-per-category', '--layers', '--seed', '--batch-size', '--preset', '--json', '--accuracy', '--controls', '--permutations', '--folds', '--decoder-layer', '--regression-groups']) assert.ok(a.out.includes(s), s);
});

test('cli: bad input exits 2 with a message naming the problem', () => {
  const dir = tempDir('cli-');
  const model = buildClosedFormOnnx(path.join(dir, 'tiny.onnx'));
  let r = run(['analyze', path.join(dir, 'missing'), '--model', model, '--out', path.join(dir, 'out')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /missing.*does not exist/);
  r = run(['analyze', dir, '--model', path.join(dir, 'nope.onnx')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /nope\.onnx does not exist/);
  const notModel = path.join(dir, 'fake.onnx');
  fs.writeFileSync(notModel, 'not a model');
  fs.mkdirSync(path.join(dir, 'data'));
  r = run(['analyze', path.join(dir, 'data'), '--model', notModel, '--out', path.join(dir, 'out')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /fake\.onnx/);
  r = run(['analyze', dir, '--model', model, '--batch-size', '0']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--batch-size must be a positive integer/);
  r = run(['analyze', dir, '--model', model, '--accuracy', 'maybe']);
  assert.equal(r.code, 2);
  assert.match(r.err, /maybe/);
  assert.ok(!fs.existsSync(path.join(dir, 'out')), 'no run folder for a failed start');
});

test('cli: analyze --json prints the report; layers lists default taps', async () => {
  const dir = tempDir('cli2-');
  const model = buildClosedFormOnnx(path.join(dir, 'tiny.onnx'));
  await writeStimuli(path.join(dir, 'data'));
  const r = run(['analyze', path.join(dir, 'data'), '--model', model, '--out', path.join(dir, 'out'), '--controls', 'none', '--accuracy', 'none', '--json', '--no-html']);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  assert.equal(report.schema, 'sparsity-lens/report');
  assert.deepEqual(report.passes[0].layers.map((l: { name: string }) => l.name), ['conv1', 'fc1']);
  assert.equal(report.dataset.imagesUsed, 12);
  const t = run(['analyze', path.join(dir, 'data'), '--model', model, '--out', path.join(dir, 'out'), '--controls', 'none', '--accuracy', 'none', '--layers', 'fc1', '--no-html']);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /^layer\s+units\s+depth\s+median PSI/m);
  assert.match(t.out, /^fc1\s+4\s/m);
  assert.match(t.out, /Report: .*report\.sparsity\.json/);
  const l = run(['layers', '--model', model]);
  assert.equal(l.code, 0, l.err);
  assert.match(l.out, /\* conv1/);
  assert.match(l.out, /\* fc1/);
  const bad = run(['analyze', path.join(dir, 'data'), '--model', model, '--layers', 'conv9']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /Layer "conv9" is not in model.*Available: .*conv1/);
});

test('cli: the table has one column per control (permuted models summarised) and a cell under every header', async () => {
  const { formatTable } = await import('../../src/core/report/tables');
  const report = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'report', 'sample.sparsity.json'), 'utf8'));
  const lines = formatTable(report).split('\n');
  const header = lines[0].trim().split(/\s{2,}/);
  // The sample's names (conv1..fc2) say no stage/block: no such column.
  assert.deepEqual(header, ['layer', 'units', 'depth', 'median PSI', 'IQR', 'permuted (median of medians)', 'norelu', 'r(PSI,acc)', 'p']);
  const first = lines[2].trim().split(/\s{2,}/);
  assert.equal(first.length, header.length);
  assert.equal(first[0], report.passes[0].layers[0].name);
  assert.equal(first[2], '0.00');
  assert.equal(Number(first[5]), Number(report.controls.permutedSpread.median[0].toFixed(4)));
});
