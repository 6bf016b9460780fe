/**
 * wilcoxonSignedRank against scipy.stats.wilcoxon (scipy 1.10 defaults), fixture made by
 * test/fixtures/compare/make_fixtures.py: exact and approximate branches, zeros, ties.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { wilcoxonSignedRank } from '../../../src/core/stats';

interface Case {
  name: string;
  x: number[];
  y: number[];
  statistic: number | 'NaN';
  p: number | 'NaN';
}
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../../fixtures/compare/wilcoxon_fixtures.json'), 'utf8')) as { wilcoxon: Case[] };
const num = (v: number | 'NaN') => (v === 'NaN' ? NaN : v);

function close(actual: number, expected: number, rel: number, what: string): void {
  if (Number.isNaN(expected)) return assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), 1e-300), `${what}: ${actual} vs scipy ${expected}`);
}

test('Wilcoxon signed-rank equals scipy on every fixture case', () => {
  assert.ok(fixture.wilcoxon.length >= 15);
  for (const c of fixture.wilcoxon) {
    const r = wilcoxonSignedRank(c.x, c.y);
    close(r.statistic, num(c.statistic), 1e-12, `${c.name} statistic`);
    close(r.p, num(c.p), 1e-10, `${c.name} p`);
  }
});

test('Wilcoxon picks the branch scipy picks and says so', () => {
  const byName = (n: string) => fixture.wilcoxon.find((c) => c.name === n)!;
  assert.equal(wilcoxonSignedRank(byName('exact n=50').x, byName('exact n=50').y).method, 'exact');
  assert.equal(wilcoxonSignedRank(byName('approx n=51').x, byName('approx n=51').y).method, 'approx');
  const z = wilcoxonSignedRank(byName('zeros switch to approx').x, byName('zeros switch to approx').y);
  assert.equal(z.method, 'approx');
  assert.equal(z.nonZero, 8);
  const none = wilcoxonSignedRank([0.2, 0.3], [0.2, 0.3]);
  assert.equal(none.method, 'none');
  assert.ok(Number.isNaN(none.p));
});
