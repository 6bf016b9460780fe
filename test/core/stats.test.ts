/**
 * src/core/stats.ts against numpy / scipy 1.10 / statsmodels answers stored by
 * test/fixtures/stats/make_fixtures.py, plus hand-worked cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import {
  forwardStepwise,
  kendallExactP,
  kendallTauB,
  ols,
  pearson,
  quantile,
  rankAverage,
  regressionResult,
  spearman,
  spread,
  tTwoSidedP,
  normalTwoSidedP,
} from '../../src/core/stats';

type Enc = number | string;
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/stats/stats_fixtures.json'), 'utf8'));

function dec(v: Enc): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw new Error(`bad encoded number ${v}`);
}
const decA = (a: Enc[]): number[] => a.map(dec);

/** Statistic (r, tau, beta, R²): within 1e-6 relative, or 1e-9 absolute near zero. */
function closeStat(actual: number, expected: number, what: string): void {
  if (Number.isNaN(expected)) {
    assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
    return;
  }
  const diff = Math.abs(actual - expected);
  assert.ok(diff <= 1e-6 * Math.abs(expected) || diff <= 1e-9, `${what}: got ${actual}, expected ${expected} (diff ${diff})`);
}

/** p-value: within 1e-6 relative, however tiny; an exact 0 (underflow) must match an underflowed value. */
function closeP(actual: number, expected: number, what: string): void {
  if (Number.isNaN(expected)) {
    assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
    return;
  }
  if (expected === 0) {
    assert.ok(actual >= 0 && actual < 1e-300, `${what}: expected 0 (underflow), got ${actual}`);
    return;
  }
  const rel = Math.abs(actual - expected) / expected;
  assert.ok(rel <= 1e-6, `${what}: got ${actual}, expected ${expected} (relative diff ${rel})`);
}

// ------------------------------------------------------------------ fixtures

test('quantile and spread match numpy (linear interpolation)', () => {
  for (const c of fixture.quantiles) {
    const v = decA(c.values);
    c.q.forEach((q: number, i: number) => closeStat(quantile(v, q), dec(c.expected[i]), `${c.name} q=${q}`));
    const sorted = [...v].sort((a, b) => a - b);
    c.q.forEach((q: number, i: number) => closeStat(quantile(sorted, q, true), dec(c.expected[i]), `${c.name} sorted q=${q}`));
    const s = spread(v);
    for (const k of ['median', 'q1', 'q3', 'mean', 'min', 'max'] as const) closeStat(s[k], dec(c.spread[k]), `${c.name} ${k}`);
  }
});

test('kendallTauB matches scipy.stats.kendalltau (exact, asymptotic, ties, pooled, degenerate)', () => {
  assert.ok(fixture.correlations.length >= 20);
  for (const c of fixture.correlations) {
    const res = kendallTauB(decA(c.x), decA(c.y));
    assert.equal(res.n, c.x.length);
    closeStat(res.tau, dec(c.kendall.tau), `${c.name} tau`);
    closeP(res.p, dec(c.kendall.p), `${c.name} p`);
  }
  for (const c of fixture.kendallEdge) {
    const res = kendallTauB(c.x, c.y);
    assert.ok(Number.isNaN(res.tau) && Number.isNaN(res.p), c.name);
  }
});

test('pearson matches scipy.stats.pearsonr', () => {
  for (const c of fixture.correlations) {
    const res = pearson(decA(c.x), decA(c.y));
    if (c.pearson.error) {
      // scipy raises on NaN input; we return NaN instead of throwing.
      assert.ok(Number.isNaN(res.r) && Number.isNaN(res.p), `${c.name}: NaN input gives NaN`);
      continue;
    }
    closeStat(res.r, dec(c.pearson.r), `${c.name} r`);
    closeP(res.p, dec(c.pearson.p), `${c.name} p`);
  }
});

test('spearman matches scipy.stats.spearmanr', () => {
  for (const c of fixture.correlations) {
    const res = spearman(decA(c.x), decA(c.y));
    closeStat(res.r, dec(c.spearman.r), `${c.name} rho`);
    closeP(res.p, dec(c.spearman.p), `${c.name} p`);
  }
});

test('ols matches statsmodels OLS on z-scored variables', () => {
  for (const c of fixture.regressions) {
    const fit = ols(decA(c.y), c.columns.map(decA), c.names, { zscore: true });
    assert.equal(fit.singular, false, c.name);
    assert.equal(fit.n, c.n, `${c.name} n`);
    closeStat(fit.r2, dec(c.r2), `${c.name} r2`);
    closeStat(fit.adjR2, dec(c.adjR2), `${c.name} adjR2`);
    closeStat(fit.intercept, dec(c.intercept), `${c.name} intercept`);
    assert.equal(fit.coefficients.length, c.coefficients.length);
    c.coefficients.forEach((e: { layer: string; beta: Enc; se: Enc; t: Enc; p: Enc }, j: number) => {
      const a = fit.coefficients[j];
      assert.equal(a.layer, e.layer);
      closeStat(a.beta, dec(e.beta), `${c.name} ${e.layer} beta`);
      closeStat(a.se, dec(e.se), `${c.name} ${e.layer} se`);
      closeStat(a.t, dec(e.t), `${c.name} ${e.layer} t`);
      closeP(a.p, dec(e.p), `${c.name} ${e.layer} p`);
    });
  }
});

test('forwardStepwise matches the statsmodels forward-selection recipe', () => {
  let checked = 0;
  for (const c of fixture.regressions) {
    if (!c.stepwise) continue;
    const res = forwardStepwise(decA(c.y), c.columns.map(decA), c.names);
    assert.deepEqual(res.selected, c.stepwise.selected, c.name);
    assert.equal(res.steps.length, c.stepwise.steps.length);
    res.steps.forEach((s, i) => {
      assert.equal(s.added, c.stepwise.steps[i].added);
      closeStat(s.adjR2, dec(c.stepwise.steps[i].adjR2), `${c.name} step ${i}`);
    });
    checked++;
  }
  assert.ok(checked >= 5);
});

test('regressionResult has the report shape and agrees with ols + forwardStepwise', () => {
  const c = fixture.regressions.find((r: { name: string }) => r.name === 'fc_pair_n1000');
  const rr = regressionResult('fc', decA(c.y), c.columns.map(decA), c.names);
  assert.equal(rr.group, 'fc');
  assert.deepEqual(rr.layers, ['fc1', 'fc2']);
  assert.equal(rr.n, 1000);
  closeStat(rr.r2, dec(c.r2), 'r2');
  closeStat(rr.adjR2, dec(c.adjR2), 'adjR2');
  assert.deepEqual(rr.stepwise.selected, c.stepwise.selected);
  assert.deepEqual(Object.keys(rr.coefficients[0]).sort(), ['beta', 'layer', 'p', 'se', 't']);
  assert.doesNotThrow(() => JSON.stringify(rr));
});

test('degenerate regressions give NaN statistics, never throw', () => {
  for (const c of fixture.degenerateRegressions) {
    const y = decA(c.y);
    const cols = c.columns.map(decA);
    const fit = ols(y, cols, c.names);
    assert.ok(Number.isNaN(fit.r2) || Number.isNaN(fit.adjR2), `${c.name}: r2 ${fit.r2} adjR2 ${fit.adjR2}`);
    for (const co of fit.coefficients) assert.ok(Number.isNaN(co.beta) && Number.isNaN(co.p), `${c.name} ${co.layer}`);
    const rr = regressionResult('g', y, cols, c.names);
    assert.equal(rr.coefficients.length, c.names.length);
  }
  // Duplicate and constant predictors are flagged singular; stepwise still works on the good one.
  const dup = fixture.degenerateRegressions[0];
  assert.equal(ols(decA(dup.y), dup.columns.map(decA), dup.names).singular, true);
  const flat = fixture.degenerateRegressions[1];
  const sw = forwardStepwise(decA(flat.y), flat.columns.map(decA), flat.names);
  assert.ok(!sw.selected.includes('flat'));
});

// ------------------------------------------------------------------ hand-worked cases

test('quantile: hand-worked values', () => {
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantile([4, 3, 2, 1], 0.25), 1.75);
  assert.equal(quantile([4, 3, 2, 1], 0.75), 3.25);
  assert.equal(quantile([7], 0.3), 7);
  assert.ok(Number.isNaN(quantile([], 0.5)));
  assert.ok(Number.isNaN(quantile([1, NaN], 0.5)));
  assert.throws(() => quantile([1], 1.5));
  const s = spread([0.1, 0.4, 0.2, 0.3]);
  assert.deepEqual(
    Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Math.round(v * 1e12) / 1e12])),
    { median: 0.25, q1: 0.175, q3: 0.325, mean: 0.25, min: 0.1, max: 0.4 },
  );
  assert.ok(Number.isNaN(spread([]).median));
});

test('kendallTauB: hand-worked values', () => {
  // 1 discordant of 3 pairs: tau = (2-1)/3; exact p with c = min(2, 1) = 1 -> 2/2! = 1.
  const a = kendallTauB([1, 2, 3], [1, 3, 2]);
  assert.ok(Math.abs(a.tau - 1 / 3) < 1e-15);
  assert.equal(a.p, 1);
  // Perfect order n = 4: exact p = 2/4! = 1/12.
  const b = kendallTauB([1, 2, 3, 4], [10, 20, 30, 40]);
  assert.equal(b.tau, 1);
  assert.ok(Math.abs(b.p - 1 / 12) < 1e-15);
  // Balanced 2x2 ties: tau = 0.
  const c = kendallTauB([1, 1, 2, 2], [1, 2, 1, 2]);
  assert.equal(c.tau, 0);
  assert.ok(c.p > 0.99);
  // Reversal.
  // (scipy also gives -0.9999999999999999: 10 / sqrt(10) / sqrt(10)).
  assert.ok(Math.abs(kendallTauB([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]).tau + 1) < 1e-15);
  // Exact null distribution sums: n = 4 has 24 permutations with inversion counts 1,3,5,6,5,3,1.
  assert.ok(Math.abs(kendallExactP(4, 1) - (2 * (1 + 3)) / 24) < 1e-15);
  assert.ok(Math.abs(kendallExactP(4, 2) - (2 * (1 + 3 + 5)) / 24) < 1e-15);
  assert.throws(() => kendallTauB([1, 2], [1]));
});

test('kendallTauB: tau-b tie formula on a small tied example', () => {
  // x ties: {1,1}, y ties: {b,b}. Pairs (i<j) of x=[1,1,2,3], y=[1,2,2,3]:
  // (0,1) x-tie; (0,2) C; (0,3) C; (1,2) y-tie; (1,3) C; (2,3) C -> C=4, D=0, tot=6, xtie=1, ytie=1.
  const r = kendallTauB([1, 1, 2, 3], [1, 2, 2, 3]);
  assert.ok(Math.abs(r.tau - 4 / Math.sqrt(5 * 5)) < 1e-15);
});

test('pearson / spearman: hand-worked values', () => {
  const p = pearson([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);
  assert.equal(p.r, 1);
  assert.equal(p.p, 0);
  const q = pearson([1, 2, 3], [1, 3, 2]);
  assert.ok(Math.abs(q.r - 0.5) < 1e-15);
  // n = 3: p = 2 * I_{(1-r)/2}(1/2, 1/2) = 1 - (2/pi) asin(r)... = 2/3 for r = 0.5
  assert.ok(Math.abs(q.p - 2 / 3) < 1e-12);
  assert.throws(() => pearson([1], [2]));
  const s = spearman([1, 2, 3, 4], [1, 4, 9, 16]);
  assert.equal(s.r, 1);
  assert.equal(s.p, 0);
  assert.deepEqual(Array.from(rankAverage([10, 20, 10, 30])), [1.5, 3, 1.5, 4]);
  assert.ok(Number.isNaN(spearman([1], [1]).r));
});

test('distribution helpers: known values', () => {
  // 2 * sf of N(0,1) at 1.959963984540054 is 0.05.
  assert.ok(Math.abs(normalTwoSidedP(1.959963984540054) - 0.05) < 1e-15);
  assert.equal(normalTwoSidedP(0), 1);
  // t with 1 df is Cauchy: 2*sf(1) = 0.5.
  assert.ok(Math.abs(tTwoSidedP(1, 1) - 0.5) < 1e-15);
  assert.ok(Math.abs(tTwoSidedP(-1, 1) - 0.5) < 1e-15);
  // t with 2 df: 2*sf(t) = 1 - t/sqrt(t²+2).
  assert.ok(Math.abs(tTwoSidedP(3, 2) - (1 - 3 / Math.sqrt(11))) < 1e-14);
  assert.equal(tTwoSidedP(Infinity, 5), 0);
  assert.ok(Number.isNaN(tTwoSidedP(1, 0)));
});

test('ols: hand-worked values', () => {
  // y exactly linear in x: R² = 1, standardised beta = 1.
  const x = [1, 2, 3, 4, 5, 6];
  const y = x.map((v) => 3 * v + 2);
  const fit = ols(y, [x], ['x']);
  assert.ok(Math.abs(fit.r2 - 1) < 1e-12);
  assert.ok(Math.abs(fit.coefficients[0].beta - 1) < 1e-12);
  // One predictor: standardised beta = Pearson r, R² = r².
  const x2 = [0.3, 0.1, 0.7, 0.4, 0.9, 0.2, 0.5];
  const y2 = [1.0, 0.4, 1.1, 0.8, 1.9, 0.9, 0.7];
  const r = pearson(x2, y2);
  const f2 = ols(y2, [x2], ['x']);
  assert.ok(Math.abs(f2.coefficients[0].beta - r.r) < 1e-12);
  assert.ok(Math.abs(f2.r2 - r.r * r.r) < 1e-12);
  // Same p as Pearson's (t test of a slope).
  assert.ok(Math.abs(f2.coefficients[0].p - r.p) / r.p < 1e-9);
  // Unscaled fit recovers the raw slope and intercept.
  const raw = ols(y, [x], ['x'], { zscore: false });
  assert.ok(Math.abs(raw.coefficients[0].beta - 3) < 1e-12);
  assert.ok(Math.abs(raw.intercept - 2) < 1e-12);
  // Rows with NaN are dropped.
  const withNaN = ols([...y2, NaN], [[...x2, 0.5]], ['x']);
  assert.equal(withNaN.n, 7);
  assert.ok(Math.abs(withNaN.r2 - f2.r2) < 1e-12);
  assert.throws(() => ols([1, 2, 3], [[1, 2]], ['x']));
});

test('forwardStepwise: picks the informative predictor first and stops', () => {
  const n = 200;
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const a = Array.from({ length: n }, rnd);
  const b = Array.from({ length: n }, rnd);
  const noise = Array.from({ length: n }, rnd);
  const y = a.map((v, i) => 2 * v + 0.1 * noise[i]);
  const res = forwardStepwise(y, [b, a], ['b', 'a']);
  assert.equal(res.selected[0], 'a');
  assert.ok(res.steps[0].adjR2 > 0.9);
  for (let i = 1; i < res.steps.length; i++) assert.ok(res.steps[i].adjR2 > res.steps[i - 1].adjR2);
  // Nothing to add when predictors are pure noise against y (adjusted R² never exceeds 0 by much).
  const empty = forwardStepwise(y, [], []);
  assert.deepEqual(empty, { selected: [], steps: [] });
});

test('stats stage for 1000 categories x 10 layers is fast (no O(n²) path)', () => {
  const L = 10;
  const C = 1000;
  let s = 7;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const psi: number[][] = Array.from({ length: L }, (_, l) => Array.from({ length: C }, () => 0.2 + 0.01 * l + 0.1 * rnd()));
  const acc = Array.from({ length: C }, () => rnd());
  const t0 = performance.now();
  const layerIdx: number[] = [];
  const pooled: number[] = [];
  psi.forEach((row, l) => row.forEach((v) => (layerIdx.push(l + 1), pooled.push(v))));
  const trend = kendallTauB(layerIdx, pooled);
  const rs = psi.map((row) => pearson(row, acc).r);
  kendallTauB(rs.map((_, i) => i + 1), rs);
  psi.forEach((row) => spread(row));
  regressionResult('all', acc, psi, psi.map((_, i) => `l${i + 1}`));
  regressionResult('fc', acc, psi.slice(8), ['l9', 'l10']);
  const ms = performance.now() - t0;
  assert.ok(trend.tau > 0.1);
  // Typically ~30-60 ms; the bound only catches an accidental quadratic algorithm on a busy machine.
  assert.ok(ms < 3000, `stats stage took ${ms.toFixed(0)} ms`);
  // Kendall on 50,000 pooled pairs with massive ties in x.
  const big = Array.from({ length: 50000 }, (_, i) => Math.floor(i / 1000) + 1);
  const bigY = big.map((v) => v * 0.001 + rnd());
  const t1 = performance.now();
  kendallTauB(big, bigY);
  assert.ok(performance.now() - t1 < 3000);
});
