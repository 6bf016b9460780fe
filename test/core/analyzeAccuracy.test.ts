/**
 * Accuracy in the pipeline: model top-1/top-5 from logits (label file mapping), the decoder
 * path, and PSI–accuracy statistics checked against scipy on the report's own numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../src/core/analyze';
import { buildClosedFormOnnx, closedFormResponses, STIMULI, writeStimuli } from '../helpers/tinyModels';
import { tempDir } from '../helpers/tempDir';

const LABELS: Record<string, number> = { cat_a: 0, cat_b: 1, cat_c: 2, cat_d: 0 };

test('model accuracy: top-1 per category from the logits equals the closed-form argmax', async () => {
  const dir = tempDir('acc-');
  await writeStimuli(path.join(dir, 'data'));
  const model = buildClosedFormOnnx(path.join(dir, 'tiny.onnx'));
  const labelFile = path.join(dir, 'labels.json');
  fs.writeFileSync(labelFile, JSON.stringify(LABELS));
  const { report } = await analyze({
    datasetPath: path.join(dir, 'data'),
    modelPath: model,
    outputRoot: path.join(dir, 'out'),
    settings: { labelFile, accuracy: 'model', controls: { permutations: 0, noNonlinearity: false }, regressionGroups: ['all'] },
    html: false,
  });
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
  // PSI-accuracy correlations against scipy on the report's own PSIs and accuracies.
  const layers = report.passes[0].layers;
  const py = `import json,sys; from scipy import stats; d=json.load(sys.stdin); print(json.dumps([list(stats.pearsonr(p, d['acc'])) for p in d['psi']]))`;
  const ref = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { input: JSON.stringify({ psi: layers.map((l) => l.psi), acc: expected }) }).toString());
  report.psiAccuracy!.perLayer.forEach((c, i) => {
    if (Number.isNaN(ref[i][0])) assert.ok(Number.isNaN(c.r));
    else {
      assert.ok(Math.abs(c.r - ref[i][0]) < 1e-9, `r ${c.r} vs ${ref[i][0]}`);
      assert.ok(Math.abs(c.p - ref[i][1]) < 1e-9, `p ${c.p} vs ${ref[i][1]}`);
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
