/**
 * buildReport (src/core/buildReport.ts), the statistics stage, on hand-built RunStates whose PSIs
 * are known in closed form: per layer PSIs and their spread, depth trends, the control
 * comparison, model accuracy and the PSI–accuracy statistics, dropped categories, partial reports.
 *
 * Closed form: if every unit (column) of a [categories x units] mean-response matrix takes only a
 * low and a high value, with the same number of "high" categories in every column, z-scoring maps
 * every high to one value and every low to another, so after min-max each category row is 1 on its
 * k high units and 0 elsewhere, and the Vinje–Gallant PSI over n units is (n - k) / (n - 1)
 * (0 < k < n). The low/high values differ per column, so the z-scoring is exercised.
 * Other statistics are checked against src/core/stats.ts (itself checked against scipy and
 * statsmodels in test/core/stats.test.ts) on the report's own PSIs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport } from '../../src/core/buildReport';
import { RunState, type CategoryState, type PassSpec, type RunMeta, type TapSpec } from '../../src/core/runState';
import { resolveSettings } from '../../src/core/settings';
import { kendallTauB, pearson, regressionResult, spearman, spread } from '../../src/core/stats';
import type { AnalyzeRequest } from '../../src/core/analyzeTypes';

const UNITS = 4;
/** Per category (4), the units (of 4) where it responds high; every column has the same number of highs. */
const PATTERNS = {
  // k = 1, 2, 3, 2 → PSI 1, 2/3, 1/3, 2/3 (two highs per column)
  A: [[2], [0, 3], [0, 1, 2], [1, 3]],
  // The complement of A: k = 3, 2, 1, 2 → PSI 1/3, 2/3, 1, 2/3 (= 4/3 - PSI_A)
  B: [[0, 1, 3], [1, 2], [3], [0, 2]],
  // k = 2, 3, 1, 2 → PSI 2/3, 1/3, 1, 2/3 (not affine in A)
  D: [[0, 3], [0, 1, 2], [1], [2, 3]],
  // Identity: k = 1 → PSI 1 for every category
  I: [[0], [1], [2], [3]],
  // All but one: k = 3 → PSI 1/3 for every category
  C: [[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]],
} as const;
type Pattern = keyof typeof PATTERNS;
const closedFormPsi = (p: Pattern): number[] => PATTERNS[p].map((highs) => (UNITS - highs.length) / (UNITS - 1));

/**
 * Category-mean responses for a pattern: column u is u low and u + 2^u high. Integers, and the
 * columns differ by a power-of-two scale and an integer offset, so every column z-scores to
 * bitwise the same two values: the PSIs of equal-k rows are exactly equal (ties, as in the
 * closed form, matter to Kendall's tau).
 */
function meansOf(p: Pattern): number[][] {
  return PATTERNS[p].map((highs) => Array.from({ length: UNITS }, (_, u) => u + ((highs as readonly number[]).includes(u) ? 2 ** u : 0)));
}

interface Cat {
  name: string;
  images: number;
  /** Files found (decoded + undecodable); defaults to images. */
  files?: number;
  top1?: number;
  top5?: number;
  classIndex?: number;
}

/**
 * A finished run: the used categories (images > 0) get the pattern rows in order; sums are
 * means x images, as analyze.ts accumulates them. Categories without images get zero sums.
 */
function runState(cats: Cat[], taps: TapSpec[], passes: { spec: PassSpec; patterns: Pattern[] }[], settings: AnalyzeRequest['settings']): RunState {
  const meta: RunMeta = {
    datasetPath: '/data/set', categoriesFound: cats.length + 1, imagesFound: cats.reduce((s, c) => s + (c.files ?? c.images), 0),
    droppedCategories: [{ name: 'empty_folder', reason: 'no images' }], modelPath: '/models/m.onnx', modelSha256: 'abc123',
    modelFormat: 'onnx', modelSource: 'torchvision:alexnet', runtime: 'onnxruntime-node 1.0', backend: 'cpu', inputSize: { width: 224, height: 224 },
    settings: resolveSettings(settings), startedAt: '2026-01-01T00:00:00.000Z', modelAccuracy: cats.every((c) => c.classIndex !== undefined), passGroupSize: passes.length,
  };
  const categories: CategoryState[] = cats.map((c) => ({
    name: c.name,
    files: Array.from({ length: c.files ?? c.images }, (_, i) => `/data/set/${c.name}/${i}.png`),
    images: c.images,
    top1: c.top1 ?? 0,
    top5: c.top5 ?? 0,
    ...(c.classIndex !== undefined ? { label: { index: c.classIndex, name: `class ${c.classIndex}` } } : {}),
  }));
  const s = new RunState(meta, categories, passes.map((p) => p.spec), taps, -1);
  passes.forEach((p, pi) =>
    p.patterns.forEach((pattern, ti) => {
      const rows = meansOf(pattern);
      let row = 0;
      cats.forEach((c, ci) => {
        if (c.images === 0) return;
        rows[row++].forEach((v, u) => (s.sums[pi][ti][ci * UNITS + u] = v * c.images));
      });
      assert.equal(row, 4, 'four used categories');
    }),
  );
  s.nextImage = s.totalImages;
  s.elapsedBefore = 13;
  s.decodeSeconds = 2;
  s.inferenceSeconds = 9;
  s.skipped = [{ file: '/data/set/cat_broken/0.png', reason: 'not an image' }];
  return s;
}

function close(actual: number[], expected: number[], what: string, tol = 1e-12): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tol, `${what}[${i}]: ${v} vs ${expected[i]}`));
}

const TAPS: TapSpec[] = [{ name: 'conv1', kind: 'conv', units: UNITS }, { name: 'fc/1', kind: 'fc', units: UNITS }];
// Accuracy = PSI_A - 1/3: top1 / images = 2/3, 2/6, 0/1, 1/3.
const CATS: Cat[] = [
  { name: 'cat_a', images: 3, top1: 2, top5: 3, classIndex: 7 },
  { name: 'cat_b', images: 6, top1: 2, top5: 6, classIndex: 3 },
  { name: 'cat_broken', images: 0, files: 1, top1: 0, top5: 0, classIndex: 1 },
  { name: 'cat_c', images: 1, top1: 0, top5: 1, classIndex: 0 },
  { name: 'cat_d', images: 3, top1: 1, top5: 2, classIndex: 9 },
];
const PASSES: { spec: PassSpec; patterns: Pattern[] }[] = [
  { spec: { id: 'trained', kind: 'trained', label: 'trained' }, patterns: ['A', 'B'] },
  { spec: { id: 'permuted-1', kind: 'permuted', label: 'permuted 1', seed: 11 }, patterns: ['C', 'I'] },
  { spec: { id: 'permuted-2', kind: 'permuted', label: 'permuted 2', seed: 12 }, patterns: ['I', 'C'] },
  { spec: { id: 'norelu', kind: 'norelu', label: 'no ReLU' }, patterns: ['A', 'A'] },
];
const SETTINGS: AnalyzeRequest['settings'] = { accuracy: 'model', regressionGroups: ['conv'] };

test('buildReport: per layer PSIs, spread and depth trend of every pass, in closed form', async () => {
  const r = await buildReport(runState(CATS, TAPS, PASSES, SETTINGS), { partial: false, runDir: '/runs/x' });
  assert.deepEqual(r.passes.map((p) => p.id), ['trained', 'permuted-1', 'permuted-2', 'norelu']);
  PASSES.forEach((p, pi) => {
    const pass = r.passes[pi];
    assert.equal(pass.kind, p.spec.kind);
    pass.layers.forEach((l, li) => {
      assert.equal(l.name, TAPS[li].name);
      assert.equal(l.index, li + 1);
      assert.equal(l.kind, TAPS[li].kind);
      assert.equal(l.units, UNITS);
      close(l.psi, closedFormPsi(p.patterns[li]), `${p.spec.id} ${l.name} psi`);
      assert.deepEqual(l.summary, spread(l.psi));
      // The file name of a tap is made safe ("fc/1" has a slash).
      assert.equal(l.responsesFile, `responses/${p.spec.id}/${li === 0 ? 'conv1' : 'fc_1'}.npy`);
    });
    // Depth trend: Kendall tau-b of layer index vs the pooled category PSIs.
    const x = pass.layers.flatMap((l) => l.psi.map(() => l.index));
    const y = pass.layers.flatMap((l) => l.psi);
    assert.deepEqual(pass.depthTrend, kendallTauB(x, y));
    assert.equal(pass.depthTrend.n, 8);
  });
  // Closed-form trends: A then B (= 4/3 - A) is symmetric, tau 0; C (1/3) then I (1) rises, tau 1.
  assert.ok(Math.abs(r.passes[0].depthTrend.tau) < 1e-12);
  assert.ok(Math.abs(r.passes[1].depthTrend.tau - 1) < 1e-12);
  assert.ok(Math.abs(r.passes[2].depthTrend.tau + 1) < 1e-12);
  assert.ok(Math.abs(r.passes[3].depthTrend.tau) < 1e-12);
  // Permuted passes carry their seed and what was permuted; the others do not.
  assert.deepEqual([r.passes[1].seed, r.passes[1].permuteTarget, r.passes[2].seed], [11, 'weights', 12]);
  assert.equal(r.passes[0].seed, undefined);
  assert.equal(r.passes[3].permuteTarget, undefined);
});

test('buildReport: control comparison (medians, trends, whether the rise survives, permuted spread)', async () => {
  const r = await buildReport(runState(CATS, TAPS, PASSES, SETTINGS), { partial: false, runDir: '/runs/x' });
  const c = r.controls!;
  assert.deepEqual(c.layers, ['conv1', 'fc/1']);
  close(c.medians.trained, [2 / 3, 2 / 3], 'trained medians');
  close(c.medians['permuted-1'], [1 / 3, 1], 'permuted-1 medians');
  close(c.medians['permuted-2'], [1, 1 / 3], 'permuted-2 medians');
  close(c.medians.norelu, [2 / 3, 2 / 3], 'norelu medians');
  for (const p of r.passes) assert.deepEqual(c.trends[p.id], p.depthTrend);
  // Only a significant positive trend survives: permuted-1 rises (tau 1, p below 0.05).
  assert.ok(r.passes[1].depthTrend.p < 0.05, `p ${r.passes[1].depthTrend.p}`);
  assert.deepEqual(c.riseSurvives, { trained: false, 'permuted-1': true, 'permuted-2': false, norelu: false });
  // Per layer over the permuted passes: median, min, max of their medians (1/3 and 1).
  close(c.permutedSpread!.median, [2 / 3, 2 / 3], 'permuted median');
  close(c.permutedSpread!.min, [1 / 3, 1 / 3], 'permuted min');
  close(c.permutedSpread!.max, [1, 1], 'permuted max');
});

test('buildReport: model accuracy, PSI-accuracy correlations and their trend, regression', async () => {
  const r = await buildReport(runState(CATS, TAPS, PASSES, SETTINGS), { partial: false, runDir: '/runs/x' });
  const acc = r.accuracy!;
  assert.equal(acc.method, 'model');
  close(acc.perCategory, [2 / 3, 1 / 3, 0, 1 / 3], 'accuracy');
  assert.deepEqual(acc.model!.top1, acc.perCategory);
  close(acc.model!.top5, [1, 1, 1, 2 / 3], 'top5');
  // Overall accuracy is over images, not a mean of categories: (2+2+0+1)/13, (3+6+1+2)/13.
  assert.equal(acc.model!.top1Overall, 5 / 13);
  assert.equal(acc.model!.top5Overall, 12 / 13);
  assert.equal(acc.overall, 5 / 13);
  assert.equal(acc.decoder, undefined, 'accuracy "model" trains no decoder');
  // Accuracy = PSI_A - 1/3, so r(conv1) = 1; fc/1 has PSI 4/3 - PSI_A, so r = -1.
  const pa = r.psiAccuracy!;
  assert.equal(pa.method, 'pearson');
  assert.deepEqual(pa.perLayer.map((l) => l.layer), ['conv1', 'fc/1']);
  close(pa.perLayer.map((l) => l.r), [1, -1], 'r');
  for (const l of pa.perLayer) assert.ok(l.p < 1e-9 && l.n === 4, JSON.stringify(l));
  // The trend of r with depth: falls from 1 to -1.
  assert.equal(pa.trend.tau, -1);
  assert.equal(pa.trend.n, 2);
  // Regression of accuracy on the conv group (conv1 alone): an exact linear fit.
  assert.deepEqual(pa.regressions.map((g) => [g.group, g.layers]), [['conv', ['conv1']]]);
  assert.ok(Math.abs(pa.regressions[0].r2 - 1) < 1e-9, `R² ${pa.regressions[0].r2}`);
  assert.equal(pa.regressions[0].n, 4);
});

test('buildReport: regression groups (conv, fc, all, a named list) and the categories-per-predictor rule', async () => {
  const taps: TapSpec[] = [{ name: 'conv1', kind: 'conv', units: UNITS }, { name: 'conv2', kind: 'conv', units: UNITS }, { name: 'fc1', kind: 'fc', units: UNITS }];
  // Accuracy 1/3, 1/3, 1, 2/3: not a linear function of any layer's PSIs.
  const cats = CATS.map((c, i) => ({ ...c, top1: [1, 2, 0, 1, 2][i] }));
  const passes = [{ spec: PASSES[0].spec, patterns: ['A', 'D', 'B'] as Pattern[] }];
  const r = await buildReport(runState(cats, taps, passes, { accuracy: 'model', regressionGroups: ['conv', 'fc', 'all', 'fc1+conv2', 'nosuch'] }), { partial: false, runDir: '/runs/x' });
  const acc = r.accuracy!.perCategory;
  close(acc, [1 / 3, 1 / 3, 1, 2 / 3], 'accuracy');
  const psi = Object.fromEntries(r.passes[0].layers.map((l) => [l.name, l.psi]));
  // 'all' has 3 predictors and only 4 categories (OLS needs n > predictors + 1): left out; so is
  // a group naming no layer of the model.
  const expected = [
    ['conv', ['conv1', 'conv2']],
    ['fc', ['fc1']],
    ['fc1+conv2', ['fc1', 'conv2']],
  ] as const;
  assert.deepEqual(r.psiAccuracy!.regressions, expected.map(([g, layers]) => regressionResult(g, acc, layers.map((l) => psi[l]), [...layers])));
  assert.ok(r.psiAccuracy!.regressions.every((g) => g.r2 > 0 && g.r2 < 1), 'no exact fits here');
  // Three layers: the r trend is a Kendall tau-b over three points.
  const rs = r.psiAccuracy!.perLayer.map((l) => l.r);
  close(rs, ['conv1', 'conv2', 'fc1'].map((l) => pearson(psi[l], acc).r), 'r');
  assert.deepEqual(r.psiAccuracy!.trend, kendallTauB([1, 2, 3], rs));
});

test('buildReport: the spearman setting correlates ranks', async () => {
  const r = await buildReport(runState(CATS, TAPS, PASSES, { ...SETTINGS, correlation: 'spearman' }), { partial: false, runDir: '/runs/x' });
  const pa = r.psiAccuracy!;
  assert.equal(pa.method, 'spearman');
  const psi = r.passes[0].layers.map((l) => l.psi);
  assert.deepEqual(pa.perLayer.map(({ r: rr, p, n }) => ({ r: rr, p, n })), psi.map((p) => spearman(p, r.accuracy!.perCategory)));
  // Monotone in PSI (exactly): rank correlations of 1 and -1.
  close(pa.perLayer.map((l) => l.r), [1, -1], 'rho');
});

test('buildReport: run metadata, categories, dropped categories, skipped files, timings, files', async () => {
  const r = await buildReport(runState(CATS, TAPS, PASSES, SETTINGS), { partial: false, runDir: '/runs/x' });
  assert.equal(r.complete, true);
  assert.deepEqual(r.model, { path: '/models/m.onnx', sha256: 'abc123', format: 'onnx', source: 'torchvision:alexnet', inputSize: { width: 224, height: 224 } });
  assert.deepEqual(r.engine, { runtime: 'onnxruntime-node 1.0', backend: 'cpu' });
  // The category with no decoded image is left out everywhere and listed after the scan's drops.
  assert.deepEqual(r.categories, [
    { name: 'cat_a', images: 3, classIndex: 7, className: 'class 7' },
    { name: 'cat_b', images: 6, classIndex: 3, className: 'class 3' },
    { name: 'cat_c', images: 1, classIndex: 0, className: 'class 0' },
    { name: 'cat_d', images: 3, classIndex: 9, className: 'class 9' },
  ]);
  assert.deepEqual(r.dataset, {
    path: '/data/set',
    categoriesFound: 6,
    categoriesUsed: 4,
    imagesFound: 14,
    imagesUsed: 13,
    droppedCategories: [{ name: 'empty_folder', reason: 'no images' }, { name: 'cat_broken', reason: 'no image could be decoded' }],
  });
  assert.deepEqual(r.skipped, [{ file: '/data/set/cat_broken/0.png', reason: 'not an image' }]);
  assert.equal(r.reference.psi, 0.36);
  assert.deepEqual(r.settings.regressionGroups, ['conv']);
  assert.equal(r.timings.seconds, 13);
  assert.equal(r.timings.imagesPerSecond, 1, '13 images in 13 s');
  assert.deepEqual([r.timings.decodeSeconds, r.timings.inferenceSeconds, r.timings.startedAt], [2, 9, '2026-01-01T00:00:00.000Z']);
  assert.deepEqual(r.files, { summaryCsv: 'summary.csv', psiCsv: 'psi.csv', responses: { conv1: 'responses/trained/conv1.npy', 'fc/1': 'responses/trained/fc_1.npy' } });
});

test('buildReport: categories below the minimum are dropped with the reason; accuracy needs 3 categories', async () => {
  // minImagesPerCategory 3 drops cat_c (1 image): 3 categories are left, enough for accuracy.
  const r = await buildReport(runState(CATS, TAPS, PASSES, { ...SETTINGS, minImagesPerCategory: 3 }), { partial: false, runDir: '/runs/x' });
  assert.deepEqual(r.categories.map((c) => c.name), ['cat_a', 'cat_b', 'cat_d']);
  assert.deepEqual(r.dataset.droppedCategories.slice(1), [
    { name: 'cat_broken', reason: 'no image could be decoded' },
    { name: 'cat_c', reason: 'only 1 images decoded, fewer than the minimum 3' },
  ]);
  assert.equal(r.accuracy?.perCategory.length, 3);
  // One category left (cat_b, 6 images): no accuracy, no PSI-accuracy statistics.
  const two = await buildReport(runState(CATS, TAPS, PASSES, { ...SETTINGS, minImagesPerCategory: 4 }), { partial: false, runDir: '/runs/x' });
  assert.deepEqual(two.categories.map((c) => c.name), ['cat_b']);
  assert.equal(two.accuracy, undefined);
  assert.equal(two.psiAccuracy, undefined);
});

test('buildReport: a partial report has only the finished categories and passes, no accuracy', async () => {
  const s = runState(CATS, TAPS, PASSES, SETTINGS);
  // Files in order: cat_a 3, cat_b 6, cat_broken 1, cat_c 1, cat_d 3. After 10, cat_a and cat_b
  // are finished (cat_broken too, but it has no image); cat_c is not.
  s.nextImage = 10;
  const r = await buildReport(s, { partial: true, runDir: '/runs/x', passCount: 2 });
  assert.equal(r.complete, false);
  assert.deepEqual(r.categories.map((c) => c.name), ['cat_a', 'cat_b']);
  assert.deepEqual(r.passes.map((p) => p.id), ['trained', 'permuted-1']);
  // Pattern A on two categories: rows [2] and [0, 3] z-score over 2 rows to ±1 (unit 1 is
  // constant: 0), min-max [0, .5, 1, 0] and [1, .5, 0, 1]: PSI 11/15 and 11/27.
  close(r.passes[0].layers[0].psi, [11 / 15, 11 / 27], 'partial conv1 psi');
  assert.equal(r.accuracy, undefined);
  assert.equal(r.psiAccuracy, undefined);
  assert.deepEqual(r.dataset.droppedCategories, [{ name: 'empty_folder', reason: 'no images' }], 'no drops decided before the end');
  assert.deepEqual(Object.keys(r.controls!.medians), ['trained', 'permuted-1']);
});

test('buildReport: a partial report\'s duration is the run\'s so far (time before a resume plus this session), the final one the passes\' total', async () => {
  const s = runState(CATS, TAPS, PASSES, SETTINGS); // elapsedBefore 13
  s.nextImage = 10;
  s.sessionStart = performance.now() - 5_000;
  const r = await buildReport(s, { partial: true, runDir: '/runs/x', passCount: 2 });
  assert.ok(r.timings.seconds >= 18 && r.timings.seconds < 30, `13 s before + 5 s now, got ${r.timings.seconds}`);
  s.nextImage = s.totalImages;
  assert.equal((await buildReport(s, { partial: false, runDir: '/runs/x' })).timings.seconds, 13, 'the final report: elapsedBefore (the passes\' total, set by analyze)');
});
