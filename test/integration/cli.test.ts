/**
 * The CLI with a model exported through live Python: `--model torchvision:alexnet:random` runs
 * the shipped export with Debian's /usr/bin/python3 (python3-torch, python3-torchvision; random
 * weights, nothing downloaded) into the cache and analyses a folder. The rest of the CLI is
 * test/cli/main.test.ts.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeStimuli } from '../helpers/tinyModels';
import { tempDir } from '../helpers/tempDir';
import { PYTHON, requireIntegrationPrerequisites } from './prerequisites';

const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

before(() => requireIntegrationPrerequisites());

test('cli: --model torchvision:alexnet:random exports through Python into the cache and analyses a folder', async () => {
  const dir = tempDir('cli3-');
  try {
    await writeStimuli(path.join(dir, 'data'));
    const cache = path.join(dir, 'cache');
    const args = ['analyze', path.join(dir, 'data'), '--model', 'torchvision:alexnet:random', '--python', PYTHON, '--cache-dir', cache, '--out', path.join(dir, 'out'), '--controls', 'none', '--accuracy', 'none', '--json', '--no-html', '-q'];
    const r = run(args);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out);
    // The source is the reference as given (issue 10: a random-weights run says so), with the seed.
    assert.equal(report.model.source, 'torchvision:alexnet:random');
    assert.deepEqual(report.model.weights, { kind: 'random', seed: 0 });
    assert.equal(report.model.format, 'onnx');
    assert.ok(report.model.path.startsWith(cache), `model from the cache: ${report.model.path}`);
    assert.deepEqual(report.passes[0].layers.map((l: { name: string }) => l.name), ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc1', 'fc2']);
    assert.deepEqual(report.model.inputSize, { width: 224, height: 224 });
    const list = run(['models', 'list', '--cache-dir', cache, '--json']);
    assert.equal(list.code, 0, list.err);
    const entries = JSON.parse(list.out);
    assert.equal(entries.length, 1);
    assert.equal(entries[0].sha256, report.model.sha256, 'the report records the cached model sha256');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
