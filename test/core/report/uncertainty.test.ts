/**
 * core/report/uncertainty.ts: the per-layer median bootstrap interval of the report panel is the
 * comparison's (core/compare/build.ts) number for number, and behaves as a percentile bootstrap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { buildComparison, DEFAULT_BOOTSTRAP_SEED, DEFAULT_RESAMPLES } from '../../../src/core/compare/build';
import { indexView } from '../../../src/core/report/indexView';
import { parseReport } from '../../../src/core/report/parse';
import { BOOTSTRAP_LEVEL, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, bootstrapMedianCi, layerMedianIntervals } from '../../../src/core/report/uncertainty';
import { SeededRandom } from '../../../src/core/random';
import { quantile } from '../../../src/core/stats';

const FIX = path.join(__dirname, '../../fixtures/report');
const report = parseReport(JSON.parse(fs.readFileSync(path.join(FIX, 'sample.sparsity.json'), 'utf8')), 'sample');
const indices = parseReport(JSON.parse(fs.readFileSync(path.join(FIX, 'sample-indices.sparsity.json'), 'utf8')), 'sample-indices');

test('compare uses the same resamples, seed and level', () => {
  assert.equal(DEFAULT_RESAMPLES, BOOTSTRAP_RESAMPLES);
  assert.equal(DEFAULT_BOOTSTRAP_SEED, BOOTSTRAP_SEED);
  const c = buildComparison([{ report, file: 'a' }, { report, file: 'b' }], { createdAt: 'x' });
  assert.deepEqual(c.bootstrap, { resamples: BOOTSTRAP_RESAMPLES, seed: BOOTSTRAP_SEED, level: BOOTSTRAP_LEVEL, method: 'percentile' });
});

test('every pass: the interval and median are exactly the comparison\'s for the same report', () => {
  const c = buildComparison([{ report, file: 'a' }, { report, file: 'b' }], { passes: 'all', createdAt: 'x' });
  const run = c.runs[0];
  assert.equal(run.passes.length, report.passes.length);
  for (const p of run.passes) {
    const mine = layerMedianIntervals(report, p.id);
    assert.equal(mine.length, p.layers.length, p.id);
    mine.forEach((m, i) => {
      const theirs = p.layers[i];
      assert.equal(m.layer, theirs.name);
      assert.equal(m.median, theirs.median);
      assert.equal(m.low, theirs.ciLow, `${p.id} ${m.layer} low`);
      assert.equal(m.high, theirs.ciHigh, `${p.id} ${m.layer} high`);
      assert.equal(m.n, theirs.n);
      assert.ok(m.low <= m.median && m.median <= m.high, `${p.id} ${m.layer}: ${m.low} ≤ ${m.median} ≤ ${m.high}`);
      assert.ok(m.high > m.low, 'seven different category values give a real interval');
    });
  }
});

test('another index: the index view of the report gives the comparison\'s interval of that index', () => {
  const c = buildComparison([{ report: indices, file: 'a' }, { report: indices, file: 'b' }], { index: 'hoyer:raw', createdAt: 'x' });
  const viaId = layerMedianIntervals(indices, 'trained', 'hoyer:raw');
  const viaView = layerMedianIntervals(indexView(indices, 'hoyer:raw'), 'trained');
  assert.deepEqual(viaView, viaId);
  viaId.forEach((m, i) => {
    assert.equal(m.low, c.runs[0].passes[0].layers[i].ciLow);
    assert.equal(m.high, c.runs[0].passes[0].layers[i].ciHigh);
  });
  assert.notDeepEqual(viaId.map((m) => m.low), layerMedianIntervals(indices, 'trained').map((m) => m.low), 'differs from PSI');
});

test('is the percentile bootstrap with a fresh generator per layer', () => {
  const v = report.passes[0].layers[2].psi;
  const rng = new SeededRandom(BOOTSTRAP_SEED);
  const meds: number[] = [];
  for (let b = 0; b < BOOTSTRAP_RESAMPLES; b++) meds.push(quantile(v.map(() => v[rng.int(v.length)]), 0.5));
  const got = layerMedianIntervals(report, 'trained')[2];
  assert.equal(got.low, quantile(meds, 0.025));
  assert.equal(got.high, quantile(meds, 0.975));
  assert.deepEqual(bootstrapMedianCi(v, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED), { low: got.low, high: got.high });
  // A layer's interval does not depend on the others.
  const alone = { ...report, passes: [{ ...report.passes[0], layers: [report.passes[0].layers[2]] }] };
  assert.deepEqual(layerMedianIntervals(alone, 'trained')[0], got);
});

test('a NaN value gives a NaN interval (never a silently narrower one); unknown pass: none', () => {
  const l = report.passes[0].layers[0];
  const broken = { ...report, passes: [{ ...report.passes[0], layers: [{ ...l, psi: [...l.psi.slice(1), NaN] }] }] };
  const [m] = layerMedianIntervals(broken, 'trained');
  assert.ok(Number.isNaN(m.low) && Number.isNaN(m.high));
  assert.deepEqual(layerMedianIntervals(report, 'nope'), []);
});

test('the selection median is quantile(·, 0.5) bit for bit (odd, even, ties, negatives)', async () => {
  const { medianInPlace } = await import('../../../src/core/report/uncertainty');
  const rng = new SeededRandom(7);
  for (let trial = 0; trial < 400; trial++) {
    const n = 1 + rng.int(60);
    const ties = trial % 3 === 0;
    const v = Float64Array.from({ length: n }, () => (ties ? rng.int(5) / 7 : rng.next() * 2 - 1));
    const want = quantile(v, 0.5);
    assert.equal(medianInPlace(Float64Array.from(v)), want, `n=${n} ${Array.from(v).join(',')}`);
  }
  assert.ok(Number.isNaN(medianInPlace(new Float64Array(0))));
});
