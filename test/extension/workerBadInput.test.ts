/**
 * Bad input through the extension's real worker process (src/extension/analysisWorker.ts with the
 * real core, issue 14): an output folder that cannot be written ends the job with a UserError
 * naming the folder (the host shows it as a notification; runs.ts), and bad images end in a
 * finished report that lists them; progress ends either way, nothing is left hanging.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { ProgressEvent } from '../../src/core/analyzeTypes';
import { startAnalyze, WorkerError, type WorkerSpawnOptions } from '../../src/extension/workerClient';
import { buildClosedFormOnnx, writeStimuli } from '../helpers/tinyModels';
import { tempDir } from '../helpers/tempDir';

const opts: WorkerSpawnOptions = { script: path.join(__dirname, '..', '..', 'src', 'extension', 'analysisWorker.ts'), execArgv: ['--import', 'tsx'] };
const settings = { controls: { permutations: 0, noNonlinearity: false }, accuracy: 'none' as const };

test('worker: an output folder that is a file → UserError naming it and the fix; no run folder, the job ends', async () => {
  const root = tempDir('sl-wbad-');
  const model = buildClosedFormOnnx(path.join(root, 'tiny.onnx'));
  await writeStimuli(path.join(root, 'data'));
  const out = path.join(root, 'taken');
  fs.writeFileSync(out, 'a file of the user');
  const progress: ProgressEvent[] = [];
  const job = startAnalyze(opts, { datasetPath: path.join(root, 'data'), modelPath: model, outputRoot: out, settings, html: false }, { onProgress: (e) => progress.push(e) });
  await assert.rejects(job.done, (e: unknown) => e instanceof WorkerError && e.isUserError && e.code === 'E_OUTPUT_EEXIST' && e.message.includes(out) && /outputFolder setting/.test(e.message));
  assert.equal(fs.readFileSync(out, 'utf8'), 'a file of the user');
});

test('worker: corrupt and unsupported images are listed as skipped in the finished report', async () => {
  const root = tempDir('sl-wbad2-');
  const model = buildClosedFormOnnx(path.join(root, 'tiny.onnx'));
  await writeStimuli(path.join(root, 'data'));
  fs.copyFileSync(path.join(__dirname, '..', 'fixtures', 'decode', 'truncated.jpg'), path.join(root, 'data', 'cat_b', 'cut.jpg'));
  fs.writeFileSync(path.join(root, 'data', 'cat_c', 'old.bmp'), Buffer.concat([Buffer.from('BM'), Buffer.alloc(64)]));
  const logs: string[] = [];
  const job = startAnalyze(opts, { datasetPath: path.join(root, 'data'), modelPath: model, outputRoot: path.join(root, 'out'), settings, html: false }, { onLog: (l) => logs.push(l) });
  const result = await job.done;
  assert.deepEqual(result.report.skipped.map((s) => [path.basename(s.file), s.kind]).sort(), [['cut.jpg', 'truncated'], ['old.bmp', 'unsupported']]);
  assert.equal(result.report.dataset.imagesUsed, 12);
  assert.ok(fs.existsSync(result.reportPath));
});
