/**
 * The whole pipeline on a tiny ONNX model with closed-form activations: category-mean responses,
 * PSIs (against an independent numpy implementation of METHOD.md, stored in
 * test/fixtures/pipeline/pipeline_fixtures.json by its make_fixtures.py), skipped files, controls,
 * checkpoint/resume and shard merge equal to the uninterrupted run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../src/core/analyze';
import { mergeRuns } from '../../src/core/merge';
import { decodeNpy } from '../../src/core/npy';
import type { SparsityReport } from '../../src/core/report/schema';
import { CancelledError } from '../../src/core/types';
import { buildClosedFormOnnx, closedFormCategoryMeans, writeStimuli } from '../helpers/tinyModels';
import { readPipelineFixture } from '../fixtures/pipeline/inputs';
import { tempDir } from '../helpers/tempDir';

const tmp = tempDir;

async function fixture() {
  const dir = tmp('pipe-');
  const data = path.join(dir, 'data');
  await writeStimuli(data);
  fs.writeFileSync(path.join(data, 'cat_b', 'broken.jpg'), 'this is not a jpeg');
  const model = buildClosedFormOnnx(path.join(dir, 'tiny.onnx'));
  return { dir, data, model };
}

const settings = { controls: { permutations: 2, noNonlinearity: true }, accuracy: 'none' as const, batchSize: 4 };

test('pipeline: closed-form responses and PSIs match an independent numpy implementation', async () => {
  const { dir, data, model } = await fixture();
  const modelBytes = fs.readFileSync(model);
  const { report, runDir } = await analyze({ datasetPath: data, modelPath: model, outputRoot: path.join(dir, 'out'), settings, html: false });
  assert.equal(report.complete, true);
  assert.deepEqual(report.passes.map((p) => p.id), ['trained', 'permuted-1', 'permuted-2', 'norelu']);
  assert.deepEqual(report.passes[0].layers.map((l) => [l.name, l.kind, l.units]), [['conv1', 'conv', 3], ['fc1', 'fc', 4]]);
  assert.deepEqual(report.categories.map((c) => [c.name, c.images]), [['cat_a', 3], ['cat_b', 3], ['cat_c', 3], ['cat_d', 3]]);
  assert.equal(report.skipped.length, 1);
  assert.equal(path.basename(report.skipped[0].file), 'broken.jpg');
  assert.match(report.skipped[0].reason, /not an image|corrupt/);
  assert.equal(report.dataset.imagesFound, 13);
  assert.equal(report.dataset.imagesUsed, 12);
  assert.match(report.engine.backend, /onnxruntime-node/);
  assert.deepEqual(fs.readFileSync(model), modelBytes, 'the model file is never modified');

  const expected = closedFormCategoryMeans();
  for (const [li, name] of ['conv1', 'fc1'].entries()) {
    const npy = decodeNpy(fs.readFileSync(path.join(runDir, report.passes[0].layers[li].responsesFile!)));
    const exp = (expected as Record<string, number[][]>)[name];
    assert.deepEqual(npy.shape, [4, exp[0].length]);
    exp.flat().forEach((v, i) => assert.ok(Math.abs(npy.data[i] - v) < 1e-5, `${name}[${i}] ${npy.data[i]} vs ${v}`));
  }
  // numpy's PSIs and scipy's trend of exactly these closed-form means (the fixture's inputs).
  const pipelineRef = readPipelineFixture();
  assert.deepEqual(expected, pipelineRef.inputs.closedFormMeans, 'closed-form means changed: regenerate test/fixtures/pipeline (see make_fixtures.py)');
  const ref = pipelineRef.psi;
  report.passes[0].layers.forEach((l, li) => l.psi.forEach((v, c) => assert.ok(Math.abs(v - ref.psi[li][c]) < 1e-4, `${l.name} psi[${c}] ${v} vs ${ref.psi[li][c]}`)));
  assert.ok(Math.abs(report.passes[0].depthTrend.tau - ref.tau) < 1e-9);
  assert.ok(Math.abs(report.passes[0].depthTrend.p - ref.p) < 1e-9);
  // Every control ran and differs from the trained model; the norelu pass reads pre-activations.
  assert.ok(report.controls);
  assert.notDeepEqual(report.passes[1].layers[1].psi, report.passes[0].layers[1].psi);
  const noreluConv = decodeNpy(fs.readFileSync(path.join(runDir, report.passes[3].layers[0].responsesFile!)));
  assert.ok(Array.from(noreluConv.data).some((v) => v < 0), 'no-ReLU conv responses include negative pre-activations');
  // Files of a complete run.
  for (const f of ['report.sparsity.json', 'summary.csv', 'psi.csv', 'psi_controls.csv']) assert.ok(fs.existsSync(path.join(runDir, f)), f);
  const psiCsv = fs.readFileSync(path.join(runDir, 'psi.csv'), 'utf8').trim().split('\n');
  assert.equal(psiCsv[0], 'category,images,conv1,fc1');
  assert.equal(psiCsv.length, 5);
});

test('pipeline: a second run never overwrites the first; cancel leaves no run folder', async () => {
  const { dir, data, model } = await fixture();
  const out = path.join(dir, 'out');
  const a = await analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings: { ...settings, controls: { permutations: 0, noNonlinearity: false } }, html: false });
  const b = await analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings: { ...settings, controls: { permutations: 0, noNonlinearity: false } }, html: false });
  assert.notEqual(a.runDir, b.runDir);
  assert.ok(fs.existsSync(a.reportPath) && fs.existsSync(b.reportPath));
  const controller = new AbortController();
  await assert.rejects(
    analyze(
      { datasetPath: data, modelPath: model, outputRoot: out, settings: { ...settings, batchSize: 1 }, html: false },
      { signal: controller.signal, onProgress: (e) => e.phase === 'run' && e.done > 0 && controller.abort() },
    ),
    CancelledError,
  );
  assert.equal(fs.readdirSync(out).length, 2, 'the cancelled run left nothing');
  // A cancelled first run into a new output folder does not leave that folder behind either.
  const fresh = path.join(dir, 'fresh-out');
  const c2 = new AbortController();
  await assert.rejects(
    analyze({ datasetPath: data, modelPath: model, outputRoot: fresh, settings: { ...settings, batchSize: 1 }, html: false }, { signal: c2.signal, onProgress: (e) => e.phase === 'run' && c2.abort() }),
    CancelledError,
  );
  assert.ok(!fs.existsSync(fresh));
});

function stripVolatile(r: SparsityReport) {
  return { passes: r.passes, categories: r.categories, skipped: r.skipped.map((s) => path.basename(s.file)), controls: r.controls };
}

test('pipeline: a run killed mid-way resumes from its checkpoint to the same result', async () => {
  const { dir, data, model } = await fixture();
  const out = path.join(dir, 'out');
  const full = await analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings: { ...settings, batchSize: 2 }, html: false });
  let batches = 0;
  await assert.rejects(
    analyze(
      { datasetPath: data, modelPath: model, outputRoot: out, settings: { ...settings, batchSize: 2 }, html: false, checkpointSeconds: 0 },
      {
        onProgress: (e) => {
          if (e.phase === 'run' && ++batches === 3) throw new Error('simulated crash');
        },
      },
    ),
    /simulated crash/,
  );
  const crashed = fs.readdirSync(out).map((d) => path.join(out, d)).find((d) => d !== full.runDir)!;
  assert.ok(fs.existsSync(path.join(crashed, 'state', 'state.json')));
  assert.ok(!fs.existsSync(path.join(crashed, 'report.sparsity.json')));
  const state = JSON.parse(fs.readFileSync(path.join(crashed, 'state', 'state.json'), 'utf8'));
  assert.ok(state.nextImage > 0 && state.nextImage < 13, `checkpoint mid-way (nextImage ${state.nextImage})`);
  const resumed = await analyze({ datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: crashed, html: false });
  assert.equal(resumed.runDir, crashed);
  assert.deepEqual(stripVolatile(resumed.report), stripVolatile(full.report));
});

test('pipeline: shards over categories merge exactly into the unsharded result', async () => {
  const { dir, data, model } = await fixture();
  const out = path.join(dir, 'out');
  const s = { ...settings, controls: { permutations: 1, noNonlinearity: true } };
  const full = await analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings: s, html: false });
  const s1 = await analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings: { ...s, shard: '1/2' }, html: false });
  const s2 = await analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings: { ...s, shard: '2/2' }, html: false });
  assert.deepEqual(s1.report.categories.map((c) => c.name), ['cat_a', 'cat_c']);
  const merged = await mergeRuns([s2.runDir, s1.runDir], path.join(dir, 'merged'));
  assert.equal(path.basename(merged.runDir), 'data-tiny-merged-2-shards'); // <dataset>-<model>, like every run folder
  assert.deepEqual(stripVolatile(merged.report), stripVolatile(full.report));
  const a = decodeNpy(fs.readFileSync(path.join(merged.runDir, 'responses/trained/fc1.npy')));
  const b = decodeNpy(fs.readFileSync(path.join(full.runDir, 'responses/trained/fc1.npy')));
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
});

test('pipeline: passes run in memory-bounded groups give the same result, and resume across groups', async () => {
  const { dir, data, model } = await fixture();
  const out = path.join(dir, 'out');
  const s = { ...settings, batchSize: 2 };
  const together = await analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings: s, html: false });
  const grouped = await analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings: { ...s, concurrentPasses: 3 }, html: false });
  assert.deepEqual(stripVolatile(grouped.report), stripVolatile(together.report));
  assert.equal(grouped.report.skipped.length, 1, 'a bad file is listed once, not once per group');
  // Crash in the second group (passes 4..4 of 4), then resume.
  let runs = 0;
  await assert.rejects(
    analyze(
      { datasetPath: data, modelPath: model, outputRoot: out, settings: { ...s, concurrentPasses: 3 }, html: false, checkpointSeconds: 0 },
      {
        onProgress: (e) => {
          if (e.phase === 'run' && e.done > 13 * 3 && ++runs === 2) throw new Error('simulated crash');
        },
      },
    ),
    /simulated crash/,
  );
  const crashed = fs.readdirSync(out).map((d) => path.join(out, d)).find((d) => !fs.existsSync(path.join(d, 'report.sparsity.json')))!;
  const st = JSON.parse(fs.readFileSync(path.join(crashed, 'state', 'state.json'), 'utf8'));
  assert.equal(st.passGroup, 1, 'the checkpoint is in the second group');
  const resumed = await analyze({ datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: crashed, html: false });
  assert.deepEqual(stripVolatile(resumed.report), stripVolatile(together.report));
});
