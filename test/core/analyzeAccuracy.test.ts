/**
 * Accuracy in the pipeline: model top-1/top-5 from logits (label file mapping), the decoder
 * path, and PSI–accuracy statistics checked against scipy on the report's own numbers (scipy's
 * values stored in test/fixtures/pipeline/pipeline_fixtures.json by its make_fixtures.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyze } from '../../src/core/analyze';
import { pearson } from '../../src/core/stats';
import { buildClosedFormOnnx, closedFormResponses, STIMULI, writeStimuli } from '../helpers/tinyModels';
import { tempDir } from '../helpers/tempDir';
import { LABELS, modelAccuracyRun, readPipelineFixture } from '../fixtures/pipeline/inputs';

test('model accuracy: top-1 per category from the logits equals the closed-form argmax', async () => {
  // The same run the fixture's inputs came from (a label file, model accuracy, no controls).
  const report = await modelAccuracyRun();
  const cats = Object.keys(STIMULI).sort();
  const expected = cats.map((c) => {
    const hits = STIMULI[c].filter((col) => {
      const z = closedFormResponses(col).fc1.slice(0, 3);
      return z.indexOf(Math.max(...z)) === LABELS[c];
    }).length;
    return hits / STIMULI[c].length;
  });
  assert.equal(report.accuracy?.method, 'model');
  assert.deepEqual(report.accuracy?.model?.top1, expected);
  assert.deepEqual(report.accuracy?.model?.top5, cats.map(() => 1), 'with 3 classes every target is in the top 5');
  assert.deepEqual(report.categories.map((c) => c.classIndex), cats.map((c) => LABELS[c]));
  // PSI-accuracy correlations against scipy on the report's own PSIs and accuracies. scipy ran on
  // the PSIs and accuracies this run gave when the fixture was made; float32 inference may differ
  // in the last bits on another CPU, hence 1e-6 for the inputs. Then (a) our pearson on the
  // fixture's exact inputs equals scipy's within 1e-9, and (b) the report's r and p are our
  // pearson of the report's own PSIs and accuracies.
  const layers = report.passes[0].layers;
  const { inputs, pearson: ref } = readPipelineFixture();
  const regenerate = 'the run changed: regenerate test/fixtures/pipeline (see make_fixtures.py)';
  assert.deepEqual(inputs.accuracy.layers, layers.map((l) => l.name), regenerate);
  assert.deepEqual(inputs.accuracy.acc, expected, regenerate);
  layers.forEach((l, i) => l.psi.forEach((v, c) => assert.ok(Math.abs(v - inputs.accuracy.psi[i][c]) < 1e-6, `${regenerate}: ${l.name} psi[${c}] ${v} vs ${inputs.accuracy.psi[i][c]}`)));
  const scipyNumber = (v: number | 'NaN'): number => (v === 'NaN' ? NaN : v);
  assert.equal(report.psiAccuracy!.perLayer.length, ref.length);
  report.psiAccuracy!.perLayer.forEach((c, i) => {
    const [r, p] = [scipyNumber(ref[i].r), scipyNumber(ref[i].p)];
    const ours = pearson(inputs.accuracy.psi[i], inputs.accuracy.acc);
    const own = pearson(layers[i].psi, expected);
    assert.equal(c.layer, ref[i].layer);
    if (Number.isNaN(r)) {
      assert.ok(Number.isNaN(ours.r) && Number.isNaN(c.r));
    } else {
      assert.ok(Math.abs(ours.r - r) < 1e-9, `r ${ours.r} vs scipy ${r}`);
      assert.ok(Math.abs(ours.p - p) < 1e-9, `p ${ours.p} vs scipy ${p}`);
      assert.ok(Math.abs(c.r - own.r) < 1e-12 && Math.abs(c.p - own.p) < 1e-12, `report r ${c.r}, p ${c.p} vs pearson of its PSIs ${own.r}, ${own.p}`);
    }
  });
});

test('decoder accuracy: the study method runs in the pipeline and is reported with its memory', async () => {
  const dir = tempDir('dec-');
  // Six images per category so each of 2 folds has 3 per category.
  const stimuli = Object.fromEntries(Object.entries(STIMULI).map(([c, cols]) => [c, [...cols, ...cols.map(([r, g, b]) => [255 - r, g, b] as [number, number, number])]]));
  await writeStimuli(path.join(dir, 'data'), stimuli);
  const model = buildClosedFormOnnx(path.join(dir, 'tiny.onnx'));
  const { report } = await analyze({
    datasetPath: path.join(dir, 'data'),
    modelPath: model,
    outputRoot: path.join(dir, 'out'),
    settings: { accuracy: 'auto', controls: { permutations: 0, noNonlinearity: false }, folds: 2 },
    html: false,
  });
  const acc = report.accuracy!;
  assert.equal(acc.method, 'decoder', 'no labels map, so auto uses the decoder');
  assert.equal(acc.decoder?.layer, 'fc1', 'default decoder layer is the last analysed layer');
  assert.equal(acc.decoder?.folds, 2);
  assert.equal(acc.perCategory.length, 4);
  for (const a of acc.perCategory) assert.ok(a >= 0 && a <= 1);
  assert.ok(acc.decoder!.featureMemoryBytes >= 24 * 4 * 4, 'feature memory covers 24 images x 4 units x 4 bytes');
  assert.equal(report.psiAccuracy?.perLayer.length, 2);
});
