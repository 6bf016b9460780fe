/**
 * Every sparseness index and diagnostic through the whole pipeline (issue 11): the closed-form
 * ONNX model (test/helpers/tinyModels.ts) over solid-colour stimuli, so each layer's category
 * means — and, per image, which units are > 0 — are known without running a network. The
 * expected index values are the registry's measures (checked against numpy in
 * test/core/measures/) on those closed-form means; this test checks that the pipeline feeds them
 * the right matrices, counts `active` per image, and pools trends, correlations and controls by index.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import type { SparsityReport } from '../../src/core/report/schema';
import { layerDiagnostics } from '../../src/core/measures/diagnostics';
import { INDEX_IDS, indexById } from '../../src/core/measures/registry';
import { LIU2020_PREPROCESSING } from '../../src/core/types';
import { kendallTauB, pearson, spread } from '../../src/core/stats';
import { buildClosedFormOnnx, closedFormCategoryMeans, closedFormResponses, FC_W, STIMULI, writeStimuli } from '../helpers/tinyModels';
import { tempDir } from '../helpers/tempDir';

const CATS = Object.keys(STIMULI).sort();
const LABELS: Record<string, number> = { cat_a: 0, cat_b: 1, cat_c: 2, cat_d: 0 };

/** Pre-activations (the no-ReLU pass reads them at the same taps). */
function noReluResponses(colour: [number, number, number]): { conv1: number[]; fc1: number[] } {
  const p = LIU2020_PREPROCESSING;
  const x = colour.map((v, c) => Math.fround(v * (p.scale / p.std[c]) + -p.mean[c] / p.std[c]));
  return { conv1: x, fc1: [0, 1, 2, 3].map((o) => FC_W[o * 3] * x[0] + FC_W[o * 3 + 1] * x[1] + FC_W[o * 3 + 2] * x[2]) };
}

function expectedLayer(per: (c: [number, number, number]) => { conv1: number[]; fc1: number[] }, layer: 'conv1' | 'fc1') {
  const rows = CATS.map((c) => STIMULI[c].map((col) => per(col)[layer]));
  const units = rows[0][0].length;
  const r = rows.flatMap((imgs) => imgs[0].map((_, k) => imgs.reduce((s, x) => s + x[k], 0) / imgs.length));
  // Fraction of units > 0 per image, averaged over the category's images.
  const active = rows.map((imgs) => imgs.reduce((s, x) => s + x.filter((v) => v > 0).length / units, 0) / imgs.length);
  return { r, units, active };
}

const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('pipeline: every index, its trend, accuracy r and controls from closed-form responses', async () => {
  const dir = tempDir('indices-');
  const data = path.join(dir, 'data');
  await writeStimuli(data);
  const model = buildClosedFormOnnx(path.join(dir, 'tiny.onnx'));
  const labelFile = path.join(dir, 'labels.json');
  fs.writeFileSync(labelFile, JSON.stringify(LABELS));
  const { report, runDir } = await analyze({
    datasetPath: data,
    modelPath: model,
    outputRoot: path.join(dir, 'out'),
    settings: { labelFile, accuracy: 'model', controls: { permutations: 0, noNonlinearity: true }, regressionGroups: ['all'], batchSize: 5 },
    html: false,
  });
  // The helper's closed form is the one the other pipeline test relies on.
  assert.deepEqual(expectedLayer(closedFormResponses, 'fc1').r.length, closedFormCategoryMeans().fc1.flat().length);
  assert.deepEqual(report.settings.indices, INDEX_IDS);
  assert.deepEqual(report.passes.map((p) => p.id), ['trained', 'norelu']);

  for (const [pi, per] of [closedFormResponses, noReluResponses].entries()) {
    const pass = report.passes[pi];
    for (const [li, name] of (['conv1', 'fc1'] as const).entries()) {
      const l = pass.layers[li];
      const e = expectedLayer(per, name);
      assert.deepEqual(Object.keys(l.indices), INDEX_IDS, `${pass.id} ${name} has every index`);
      for (const id of INDEX_IDS) {
        const want = indexById(id)!.compute({ r: e.r, categories: CATS.length, units: e.units, active: e.active })!;
        const got = l.indices[id];
        assert.equal(got.axis, id === 'lifetime' ? 'unit' : 'category');
        assert.equal(got.values.length, id === 'lifetime' ? e.units : CATS.length, `${pass.id} ${name} ${id}`);
        got.values.forEach((v, i) => near(v, want.values[i], `${pass.id} ${name} ${id}[${i}]`));
        assert.equal(got.shifted, want.shifted, `${pass.id} ${name} ${id} shifted`);
        assert.deepEqual(got.summary, spread(got.values));
      }
      // psi is the layer's psi, exactly.
      assert.deepEqual(l.indices.psi.values, l.psi);
      assert.deepEqual(l.indices.psi.summary, l.summary);
      const d = layerDiagnostics({ r: e.r, categories: CATS.length, units: e.units });
      assert.ok(l.diagnostics);
      assert.equal(l.diagnostics.deadFraction, d.deadFraction);
      near(l.diagnostics.meanResponse, d.meanResponse, `${pass.id} ${name} mean`);
      near(l.diagnostics.participationRatio, d.participationRatio, `${pass.id} ${name} PR`);
    }
    // Depth trend per index: Kendall tau-b of layer index vs the pooled values.
    for (const id of INDEX_IDS) {
      const x = pass.layers.flatMap((l) => l.indices[id].values.map(() => l.index));
      const y = pass.layers.flatMap((l) => l.indices[id].values);
      const t = kendallTauB(x, y);
      assert.deepEqual(pass.trends[id], { tau: t.tau, p: t.p, n: t.n }, `${pass.id} trend ${id}`);
    }
    assert.deepEqual(pass.trends.psi, pass.depthTrend);
  }
  // The no-ReLU pass has negative pre-activations: every raw index is flagged, the ReLU pass not.
  assert.equal(report.passes[1].layers[0].indices['psi:raw'].shifted, true);
  assert.equal(report.passes[0].layers[0].indices['psi:raw'].shifted, false);
  assert.equal(report.passes[1].layers[0].indices.psi.shifted, false);
  // `active` is per image, not from the means: a category whose means are all > 0 can still have silent units per image.
  const activeFc = report.passes[0].layers[1].indices.active.values;
  assert.ok(activeFc.some((v) => v > 0 && v < 1), `fc1 active fractions ${activeFc}`);

  // Per-category indices against accuracy; lifetime (per unit) has none.
  assert.ok(report.accuracy && report.indexAccuracy);
  assert.deepEqual(Object.keys(report.indexAccuracy), INDEX_IDS.filter((id) => id !== 'lifetime'));
  assert.deepEqual(report.indexAccuracy.psi.perLayer, report.psiAccuracy!.perLayer);
  const acc = report.accuracy.perCategory;
  for (const [id, ia] of Object.entries(report.indexAccuracy)) {
    report.passes[0].layers.forEach((l, li) => assert.deepEqual(ia.perLayer[li], { layer: l.name, ...pearson(l.indices[id].values, acc) }, id));
  }
  // Controls by index.
  const by = report.controls!.byIndex;
  assert.deepEqual(Object.keys(by), INDEX_IDS);
  assert.deepEqual(by.psi.medians, report.controls!.medians);
  assert.deepEqual(by['gini:raw'].medians.norelu, report.passes[1].layers.map((l) => l.indices['gini:raw'].summary.median));
  assert.equal(by['hoyer:raw'].riseSurvives.trained, report.passes[0].trends['hoyer:raw'].tau > 0 && report.passes[0].trends['hoyer:raw'].p < 0.05);
  // The saved report holds the same.
  const saved = JSON.parse(fs.readFileSync(path.join(runDir, 'report.sparsity.json'), 'utf8'));
  assert.deepEqual(saved.passes[0].layers[1].indices.active.values, activeFc);
});

test('pipeline: --indices narrows what is computed (psi always)', async () => {
  const dir = tempDir('indices-');
  const data = path.join(dir, 'data');
  await writeStimuli(data);
  const model = buildClosedFormOnnx(path.join(dir, 'tiny.onnx'));
  const partials: SparsityReport[] = [];
  const { report } = await analyze(
    {
      datasetPath: data,
      modelPath: model,
      outputRoot: path.join(dir, 'out'),
      settings: { indices: ['active', 'gini:raw'], accuracy: 'none', controls: { permutations: 0, noNonlinearity: false }, batchSize: 2 },
      html: false,
    },
    { onPartial: (r) => partials.push(r) },
  );
  for (const l of report.passes[0].layers) assert.deepEqual(Object.keys(l.indices), ['psi', 'gini:raw', 'active']);
  // Live partial reports have the indices but not the (costly) diagnostics; the final one has them.
  assert.ok(partials.length > 0);
  for (const p of partials) for (const l of p.passes[0].layers) {
    assert.equal(l.diagnostics, undefined);
    assert.deepEqual(Object.keys(l.indices), ['psi', 'gini:raw', 'active']);
  }
  assert.ok(report.passes[0].layers.every((l) => l.diagnostics !== undefined));
  assert.deepEqual(Object.keys(report.passes[0].trends), ['psi', 'gini:raw', 'active']);
});
