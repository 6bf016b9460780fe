/** The one CSV builder (src/core/report/csv.ts): the run folder's tables, the panel's and the standalone page's exports. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CSV_TABLES, csvFor, csvTables, psiCsv } from '../../../src/core/report/csv';
import type { SparsityReport } from '../../../src/core/report/schema';

const report: SparsityReport = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'report', 'sample.sparsity.json'), 'utf8'));

describe('report CSV', () => {
  it('offers the controls table only when the report has control passes', () => {
    // The sample has psi only and no diagnostics (as an upgraded version-1 report): no diagnostics table.
    assert.deepEqual(csvTables(report), ['psi', 'summary', 'controls', 'indices', 'indexSummary']);
    assert.deepEqual(csvTables({ ...report, passes: report.passes.slice(0, 1) }), ['psi', 'summary', 'indices', 'indexSummary']);
    assert.deepEqual(Object.values(CSV_TABLES).map((t) => t.file), ['psi.csv', 'summary.csv', 'psi_controls.csv', 'indices.csv', 'index_summary.csv', 'diagnostics.csv']);
  });

  it('psi.csv: one row per category, one column per trained layer, raw numbers; a non-finite PSI is an empty cell', () => {
    const trained = report.passes[0];
    const lines = csvFor(report, 'psi').trimEnd().split('\n');
    assert.equal(lines[0], ['category', 'images', 'accuracy', ...trained.layers.map((l) => l.name)].join(','));
    assert.equal(lines.length, report.categories.length + 1);
    const gap = structuredClone(report);
    gap.passes[0].layers[0].psi[0] = NaN;
    const row = psiCsv(gap).split('\n')[1].split(',');
    assert.equal(row[3], '', 'NaN is written as an empty cell');
    assert.equal(Number(row[4]), trained.layers[1].psi[0]);
  });

  it('the controls table has one row per control pass, layer and category', () => {
    const controls = report.passes.slice(1);
    const rows = csvFor(report, 'controls').trimEnd().split('\n');
    assert.equal(rows[0], 'pass,category,layer,psi');
    assert.equal(rows.length - 1, controls.reduce((n, p) => n + p.layers.length * report.categories.length, 0));
  });
});
