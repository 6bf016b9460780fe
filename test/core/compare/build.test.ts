/**
 * buildComparison on synthetic reports with hand-known numbers: medians and depths copied from
 * the reports, seeded bootstrap intervals, settings differences, layer matching, the paired part
 * against scipy (test/fixtures/compare/make_fixtures.py), the comparison CSV and reader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { bootstrapMedianCi, buildComparison, matchLayers } from '../../../src/core/compare/build';
import { comparisonCsv } from '../../../src/core/compare/csv';
import { parseComparison, parseComparisonJson } from '../../../src/core/compare/parse';
import { formatComparisonText, trendTable } from '../../../src/core/compare/tables';
import { SeededRandom } from '../../../src/core/random';
import { relativeDepth } from '../../../src/core/report/depth';
import { parseReport } from '../../../src/core/report/parse';
import type { LayerPsi, PassResult, SparsityReport } from '../../../src/core/report/schema';
import { kendallTauB, quantile, spread } from '../../../src/core/stats';
import { UserError } from '../../../src/core/types';

const FIX = path.join(__dirname, '../../fixtures');
const base = parseReport(JSON.parse(fs.readFileSync(path.join(FIX, 'report/sample.sparsity.json'), 'utf8')), 'sample');
const scipy = JSON.parse(fs.readFileSync(path.join(FIX, 'compare/wilcoxon_fixtures.json'), 'utf8')).paired as {
  categories: string[];
  a: number[][];
  bOrder: string[];
  b: number[][];
  wilcoxon: { statistic: number; p: number }[];
  spearmanLast: { r: number; p: number };
  medianDifference: number[];
};

/** A report with the given categories and trained-pass layers (summary and depth trend as buildReport makes them). */
function synth(opts: { categories: string[]; layers: { name: string; values: number[] }[]; model?: string; seed?: number; unit?: 'channel' | 'channel-position'; controls?: boolean }): SparsityReport {
  const L = opts.layers.length;
  const layers: LayerPsi[] = opts.layers.map((l, i) => ({
    name: l.name,
    index: i + 1,
    relativeDepth: relativeDepth(i + 1, L),
    kind: l.name.startsWith('fc') ? 'fc' : 'conv',
    units: 16,
    psi: l.values,
    summary: spread(l.values),
    indices: { psi: { axis: 'category', values: l.values, summary: spread(l.values), shifted: false } },
  }));
  const trend = (ls: LayerPsi[]) => {
    const k = kendallTauB(ls.flatMap((l) => l.psi.map(() => l.index)), ls.flatMap((l) => l.psi));
    return { tau: k.tau, p: k.p, n: k.n };
  };
  const trained: PassResult = { id: 'trained', kind: 'trained', layers, depthTrend: trend(layers), trends: { psi: trend(layers) } };
  const passes: PassResult[] = [trained];
  if (opts.controls) {
    const nl: LayerPsi[] = layers.map((l) => {
      const v = l.psi.map((x) => x / 2);
      return { ...l, psi: v, summary: spread(v), indices: { psi: { axis: 'category', values: v, summary: spread(v), shifted: false } } };
    });
    passes.push({ id: 'norelu', kind: 'norelu', layers: nl, depthTrend: trend(nl), trends: { psi: trend(nl) } });
  }
  return {
    ...base,
    model: { ...base.model, path: opts.model ?? '/models/a.onnx', weights: { kind: 'random', seed: opts.seed ?? 0 } },
    settings: { ...base.settings, seed: opts.seed ?? 0, unit: opts.unit ?? 'channel' },
    categories: opts.categories.map((name) => ({ name, images: 10 })),
    passes,
    psiAccuracy: undefined,
    accuracy: undefined,
    controls: undefined,
  };
}

const CATS5 = ['a', 'b', 'c', 'd', 'e'];
const runA = () =>
  synth({
    categories: CATS5,
    layers: [
      { name: 'conv1', values: [0.1, 0.2, 0.3, 0.4, 0.5] },
      { name: 'conv2', values: [0.2, 0.2, 0.2, 0.6, 0.8] },
      { name: 'fc1', values: [0.5, 0.6, 0.7, 0.8, 0.9] },
    ],
    controls: true,
  });
const runB = () =>
  synth({
    categories: CATS5,
    layers: [
      { name: 'conv1', values: [0.15, 0.25, 0.3, 0.45, 0.5] },
      { name: 'fc1', values: [0.4, 0.45, 0.5, 0.55, 0.6] },
    ],
    model: '/models/b.onnx',
    seed: 7,
    unit: 'channel-position',
  });

test('medians, quartiles, depths and trends equal the reports; n-layer depths line up in [0, 1]', () => {
  const a = runA();
  const b = runB();
  const c = buildComparison([{ report: a, file: '/x/a.json' }, { report: b, file: '/x/b.json' }], { createdAt: 't' });
  assert.deepEqual(c.runs.map((r) => r.id), ['A', 'B']);
  const la = c.runs[0].passes[0].layers;
  assert.deepEqual(la.map((l) => l.median), [0.3, 0.2, 0.7]);
  assert.deepEqual(la.map((l) => [l.q1, l.q3]), [[0.2, 0.4], [0.2, 0.6], [0.6, 0.8]]);
  assert.deepEqual(la.map((l) => l.relativeDepth), [0, 0.5, 1]);
  assert.deepEqual(c.runs[1].passes[0].layers.map((l) => l.relativeDepth), [0, 1]);
  assert.deepEqual(c.runs[1].passes[0].layers.map((l) => l.median), [0.3, 0.5]);
  assert.deepEqual(c.runs[0].passes[0].depthTrend, a.passes[0].depthTrend);
  assert.deepEqual(c.runs[1].passes[0].depthTrend, b.passes[0].depthTrend);
  // --passes trained by default: the no-ReLU control of A only with passes 'all'.
  assert.equal(c.runs[0].passes.length, 1);
  const all = buildComparison([{ report: a, file: 'a' }, { report: b, file: 'b' }], { passes: 'all' });
  assert.deepEqual(all.runs[0].passes.map((p) => p.id), ['trained', 'norelu']);
  assert.deepEqual(all.runs[0].passes[1].layers.map((l) => l.median), [0.15, 0.1, 0.35]);
  assert.match(c.runs[0].label, /a\.onnx · random weights \(seed 0\) on fish/);
});

test('the report summary is copied, not recomputed: a report saying another median is shown as it says', () => {
  const a = runA();
  a.passes[0].layers[0].summary = { ...a.passes[0].layers[0].summary, median: 0.123 };
  const c = buildComparison([{ report: a, file: 'a' }, { report: runB(), file: 'b' }]);
  assert.equal(c.runs[0].passes[0].layers[0].median, 0.123);
});

test('bootstrap interval of the median: seeded percentile interval, analytic on two values', () => {
  // Resampling {0, 1}: the median is 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4: the 2.5% / 97.5% points are 0 and 1.
  assert.deepEqual(bootstrapMedianCi([0, 1], 2000, 0), { low: 0, high: 1 });
  assert.deepEqual(bootstrapMedianCi([0.4], 2000, 3), { low: 0.4, high: 0.4 });
  // The same procedure written out with the one seeded RNG.
  const v = [0.1, 0.2, 0.3, 0.4, 0.5];
  const rng = new SeededRandom(5);
  const meds: number[] = [];
  for (let b = 0; b < 500; b++) meds.push(quantile(Array.from({ length: v.length }, () => v[rng.int(v.length)]), 0.5));
  assert.deepEqual(bootstrapMedianCi(v, 500, 5), { low: quantile(meds, 0.025), high: quantile(meds, 0.975) });
  const c = buildComparison([{ report: runA(), file: 'a' }, { report: runB(), file: 'b' }], { resamples: 500, seed: 5 });
  const l = c.runs[0].passes[0].layers[0];
  assert.deepEqual([l.ciLow, l.ciHigh], [quantile(meds, 0.025), quantile(meds, 0.975)]);
  assert.ok(l.ciLow < l.median && l.median < l.ciHigh);
  assert.deepEqual(c.bootstrap, { resamples: 500, seed: 5, level: 0.95, method: 'percentile' });
  // Deterministic, and independent of which runs are compared with it.
  const again = buildComparison([{ report: runA(), file: 'a' }, { report: runA(), file: 'a2' }, { report: runB(), file: 'b' }], { resamples: 500, seed: 5 });
  assert.deepEqual(again.runs[0].passes[0].layers, c.runs[0].passes[0].layers);
  // With 40 values the interval is inside the range and moves with the seed.
  const many = Array.from({ length: 40 }, (_, i) => ((i * 37) % 41) / 41);
  assert.notDeepEqual(bootstrapMedianCi(many, 500, 5), bootstrapMedianCi(many, 500, 6));
  assert.deepEqual(bootstrapMedianCi(many, 500, 5), bootstrapMedianCi(many, 500, 5));
});

test('settings that differ are listed, with whether they change the numbers', () => {
  const c = buildComparison([{ report: runA(), file: 'a' }, { report: runB(), file: 'b' }]);
  const by = Object.fromEntries(c.differences.map((d) => [d.setting, d]));
  assert.deepEqual(by.unit.values, { A: 'channel', B: 'channel-position' });
  assert.equal(by.unit.changesNumbers, true);
  assert.deepEqual(by.seed.values, { A: '0', B: '7' });
  assert.equal(by.weights.values.B, 'random weights (seed 7)');
  assert.ok(by.model);
  assert.equal(by.dataset, undefined, 'same dataset: not listed');
  assert.equal(by.batchSize, undefined);
  const b2 = runB();
  b2.settings = { ...b2.settings, batchSize: 64 };
  const d2 = buildComparison([{ report: runA(), file: 'a' }, { report: b2, file: 'b' }]).differences.find((d) => d.setting === 'batchSize')!;
  assert.equal(d2.changesNumbers, false);
  assert.match(formatComparisonText(c), /^Settings that differ between the runs\n/);
});

test('layers match by name, else by nearest relative depth', () => {
  const m = matchLayers(
    [{ name: 'conv1', relativeDepth: 0 }, { name: 'conv2', relativeDepth: 0.5 }, { name: 'conv3', relativeDepth: 0.74 }, { name: 'fc1', relativeDepth: 1 }],
    [{ name: 'x', relativeDepth: 0.2 }, { name: 'conv1', relativeDepth: 0.4 }, { name: 'y', relativeDepth: 0.8 }, { name: 'z', relativeDepth: 1 }],
  );
  assert.deepEqual(m, [
    { a: 0, b: 1, by: 'name' },
    { a: 1, b: 1, by: 'depth' },
    { a: 2, b: 2, by: 'depth' },
    { a: 3, b: 3, by: 'depth' },
  ]);
});

test('paired part: categories matched by name, Wilcoxon per layer and last-layer Spearman equal scipy', () => {
  const names = ['conv1', 'conv2', 'fc1'];
  const a = synth({ categories: scipy.categories, layers: names.map((name, i) => ({ name, values: scipy.a[i] })) });
  const b = synth({ categories: scipy.bOrder, layers: names.map((name, i) => ({ name, values: scipy.b[i] })), model: '/m/b.onnx' });
  const c = buildComparison([{ report: a, file: 'a' }, { report: b, file: 'b' }]);
  assert.equal(c.paired.length, 1);
  const p = c.paired[0];
  assert.deepEqual(p.categories, scipy.categories);
  p.layers.forEach((l, i) => {
    assert.equal(l.layerA, names[i]);
    assert.equal(l.matchedBy, 'name');
    assert.equal(l.wilcoxon.method, 'exact');
    assert.equal(l.wilcoxon.statistic, scipy.wilcoxon[i].statistic);
    assert.ok(Math.abs(l.wilcoxon.p - scipy.wilcoxon[i].p) <= 1e-12 * scipy.wilcoxon[i].p, `${l.wilcoxon.p} vs ${scipy.wilcoxon[i].p}`);
    assert.ok(Math.abs(l.medianDifference - scipy.medianDifference[i]) < 1e-15);
  });
  assert.ok(Math.abs(p.lastLayer.spearman.r - scipy.spearmanLast.r) < 1e-12);
  assert.ok(Math.abs(p.lastLayer.spearman.p - scipy.spearmanLast.p) < 1e-10 * scipy.spearmanLast.p);
  assert.deepEqual(Object.keys(c.unpaired), []);
  assert.match(formatComparisonText(c), /Paired: run A vs run B over 12 categories/);
});

test('different categories: overlay kept, the paired part explained', () => {
  const b = synth({ categories: ['a', 'b', 'c', 'x', 'y'], layers: [{ name: 'conv1', values: [0.1, 0.2, 0.3, 0.4, 0.5] }] });
  const c = buildComparison([{ report: runA(), file: 'a' }, { report: b, file: 'b' }]);
  assert.equal(c.paired.length, 0);
  assert.match(c.unpaired.B, /5 categories, run A 5, 3 in common/);
  assert.equal(c.runs.length, 2);
});

test('the index is a parameter: another index reads indices[id], a missing one is an error naming the report', () => {
  const withIdx = parseReport(JSON.parse(fs.readFileSync(path.join(FIX, 'report/sample-indices.sparsity.json'), 'utf8')), 'si');
  const c = buildComparison([{ report: withIdx, file: 'si' }, { report: withIdx, file: 'si2' }], { index: 'hoyer:raw' });
  assert.equal(c.index.id, 'hoyer:raw');
  const l0 = withIdx.passes[0].layers[0] as unknown as { indices: Record<string, { summary: { median: number } }> };
  assert.equal(c.runs[0].passes[0].layers[0].median, l0.indices['hoyer:raw'].summary.median);
  const t = (withIdx.passes[0] as unknown as { trends: Record<string, unknown> }).trends['hoyer:raw'];
  assert.deepEqual(c.runs[0].passes[0].depthTrend, t);
  assert.throws(() => buildComparison([{ report: runA(), file: '/r/a.json' }, { report: runB(), file: 'b' }], { index: 'hoyer:raw' }), (e: unknown) => e instanceof UserError && /\/r\/a\.json has no values of the index "hoyer:raw"/.test(e.message));
  assert.throws(() => buildComparison([{ report: runA(), file: 'a' }, { report: runB(), file: 'b' }], { index: 'nope' }), /Unknown index "nope"/);
});

test('CSV long format, JSON round trip through the reader, trend table', () => {
  const c = buildComparison([{ report: runA(), file: 'a' }, { report: runB(), file: 'b' }], { createdAt: 't' });
  const rows = comparisonCsv(c).trim().split('\n');
  assert.equal(rows[0], 'run,model,weights,dataset,pass,layer,depth,index,median,q1,q3,ci_low,ci_high,n');
  assert.equal(rows.length, 1 + 3 + 2);
  assert.match(rows[1], /^A,a\.onnx,random:0,fish,trained,conv1,0,psi,0\.3,0\.2,0\.4,/);
  assert.deepEqual(parseComparisonJson(JSON.stringify(c), 'c'), JSON.parse(JSON.stringify(c)));
  assert.throws(() => parseComparison({ ...c, schemaVersion: 99 }, 'c.json'), /newer Sparsity Lens/);
  assert.throws(() => parseComparison(runA(), 'r.json'), /not a Sparsity Lens comparison/);
  const t = trendTable(c);
  assert.equal(t.rows.length, 2);
  assert.deepEqual(t.rows[0].slice(2, 4), ['trained', '3']);
  assert.equal(t.rows[1][7], '0.500 (fc1)');
});

test('fewer than two reports, or a partial one, is refused', () => {
  assert.throws(() => buildComparison([{ report: runA(), file: 'a' }]), /two or more/);
  const p = runB();
  p.complete = false;
  assert.throws(() => buildComparison([{ report: runA(), file: 'a' }, { report: p, file: '/p.json' }]), /\/p\.json is a partial report/);
});

test('schema version 1 and 2 reports compare side by side (the reader upgrades v1: depths from the layer index)', () => {
  const v1 = parseReport(JSON.parse(fs.readFileSync(path.join(FIX, 'report/sample-v1.sparsity.json'), 'utf8')), 'v1');
  const c = buildComparison([{ report: v1, file: 'v1' }, { report: base, file: 'v2' }], { resamples: 200 });
  [v1, base].forEach((r, i) => {
    const layers = c.runs[i].passes[0].layers;
    assert.deepEqual(layers.map((l) => l.median), r.passes[0].layers.map((l) => l.summary.median));
    assert.deepEqual(layers.map((l) => l.relativeDepth), r.passes[0].layers.map((l, k, all) => (all.length > 1 ? k / (all.length - 1) : 0)));
    assert.deepEqual(c.runs[i].passes[0].depthTrend, r.passes[0].depthTrend);
  });
});
