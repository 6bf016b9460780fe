/** Display text of report values (src/core/report/format.ts), shared by CLI, panel and standalone page. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fmtP, formatEta, formatProgress, pClause, progressPercent, stars } from '../../../src/core/report/format';

describe('progress text', () => {
  it('formats pass, percentage, speed and ETA', () => {
    const e = { phase: 'run' as const, passLabel: 'permuted 3/10', done: 420, total: 1000, imagesPerSecond: 35.24, etaSeconds: 65 };
    assert.equal(progressPercent(e), 42);
    assert.equal(formatProgress(e), 'permuted 3/10 · 42% · 35 img/s · ETA 1 min 05 s');
    assert.equal(formatProgress({ ...e, imagesPerSecond: 4.26, etaSeconds: null }), 'permuted 3/10 · 42% · 4.3 img/s · ETA …');
    assert.equal(formatProgress({ phase: 'load', done: 0, total: 0, imagesPerSecond: 0, etaSeconds: null }), 'Loading model');
    assert.equal(formatProgress({ phase: 'stats', done: 5, total: 10, imagesPerSecond: 0, etaSeconds: 3 }), 'Computing statistics · 50% · ETA 3 s');
    assert.equal(formatEta(3725), '1 h 02 min');
    assert.equal(progressPercent({ ...e, done: 2000 }), 100);
  });
});

describe('p-values', () => {
  it('formats p-values and stars', () => {
    assert.equal(stars(0.0009), '***');
    assert.equal(stars(0.009), '**');
    assert.equal(stars(0.049), '*');
    assert.equal(stars(0.05), '');
  });

  it('shows every p-value in one fixed-point format that cannot wrap', () => {
    assert.equal(fmtP(0.4194), '0.419');
    assert.equal(fmtP(0.0031), '0.003');
    assert.equal(fmtP(1), '1.000');
    assert.equal(fmtP(0.001), '0.001');
    // below 0.001: one text, with a no-break space (no scientific notation, whose "-" wraps)
    for (const p of [0, 1e-300, 0.00012, 0.000999]) assert.equal(fmtP(p), '<\u00a00.001', `p = ${p}`);
    // rounding never lands on a threshold the stars say the value is below
    assert.equal(fmtP(0.04996), '0.0499');
    assert.equal(stars(0.04996), '*');
    assert.equal(fmtP(0.009996), '0.0099');
    assert.equal(fmtP(0.0504), '0.050');
    assert.equal(fmtP(0.0104), '0.010');
    for (const bad of [NaN, Infinity, null, undefined]) assert.equal(fmtP(bad), '–');
    assert.equal(pClause(0.042), 'p\u00a0=\u00a00.042');
    assert.equal(pClause(1e-9), 'p\u00a0<\u00a00.001');
    assert.equal(pClause(NaN), 'p\u00a0=\u00a0–');
  });
});
