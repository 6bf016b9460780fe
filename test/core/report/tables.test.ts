/**
 * Header, statistics and per-category tables of the panel and the standalone page
 * (src/core/report/tables.ts), on the hand-built report test/fixtures/report/sample.sparsity.json.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { formatDuration } from '../../../src/core/report/format';
import type { SparsityReport } from '../../../src/core/report/schema';
import { categoryColumns, categoryCsv, categoryRows, correlationTable, depthTrendTable, headerInfo, regressionTable, sortRows } from '../../../src/core/report/tables';

const report: SparsityReport = JSON.parse(fs.readFileSync(path.join(__dirname, '../../fixtures/report/sample.sparsity.json'), 'utf8'));
const LAYERS = ['conv1', 'conv2', 'conv3', 'fc1', 'fc2'];

describe('header and tables', () => {
  it('summarises the run in the header', () => {
    const h = headerInfo(report);
    assert.equal(h.model, 'alexnet-mini.onnx');
    assert.equal(h.dataset, 'fish');
    assert.equal(h.images, '137 of 140');
    assert.equal(h.categories, '7 of 8');
    assert.equal(h.skipped, 2);
    assert.equal(h.droppedCategories, 1);
    assert.equal(h.passes, 'trained + 3 permuted + no-ReLU');
    assert.equal(h.backend, 'onnxruntime-node 1.30.0 · cpu');
    assert.equal(h.duration, '40 s');
    assert.equal(headerInfo({ ...report, complete: false }).duration, '40 s so far');
    assert.equal(formatDuration(3725), '1 h 2 min');
    assert.equal(formatDuration(65), '1 min 5 s');
  });

  it('builds the statistics tables', () => {
    const depth = depthTrendTable(report);
    assert.equal(depth.rows.length, report.passes.length);
    assert.equal(depth.rows[0][0], 'trained');
    assert.equal(depth.rows[0][4], report.controls!.riseSurvives.trained ? 'yes' : 'no');
    const corr = correlationTable(report)!;
    assert.equal(corr.rows.length, LAYERS.length + 1);
    assert.equal(corr.rows[4][4], '***');
    const reg = regressionTable(report)!;
    assert.deepEqual(reg.rows.map((r) => r[0]), ['conv', 'fc']);
    assert.equal(reg.rows[1][2], report.psiAccuracy!.regressions[1].r2.toFixed(3));
    assert.equal(correlationTable({ ...report, psiAccuracy: undefined }), null);
  });

  it('sorts the category table by any column, stably, missing values last', () => {
    const cols = categoryColumns(report);
    assert.deepEqual(cols.map((c) => c.key), ['category', 'class', 'images', 'accuracy', ...LAYERS.map((l) => `psi:${l}`)]);
    const rows = categoryRows(report);
    const byAcc = sortRows(rows, 'accuracy', true).map((r) => r.accuracy as number);
    assert.deepEqual(byAcc, [...byAcc].sort((a, b) => b - a));
    const byName = sortRows(rows, 'category', false).map((r) => r.category);
    assert.equal(byName[0], 'cat\'s <eye> & "friends"');
    const withGap = rows.map((r, i) => (i === 0 ? { ...r, accuracy: null } : r));
    assert.equal(sortRows(withGap, 'accuracy', false).at(-1)!.category, rows[0].category);
    assert.equal(sortRows(withGap, 'accuracy', true).at(-1)!.category, rows[0].category);
    // ties keep the original order
    const ties = sortRows(rows, 'images', false).filter((r) => r.images === 20).map((r) => r.category);
    assert.deepEqual(ties, rows.filter((r) => r.images === 20).map((r) => r.category));
    assert.deepEqual(rows, categoryRows(report), 'input not modified');
  });

  it('writes the category table as CSV with quoting', () => {
    const csv = categoryCsv(report).trimEnd().split('\n');
    assert.equal(csv.length, report.categories.length + 1);
    assert.equal(csv[0], 'category,class,images,accuracy,PSI conv1,PSI conv2,PSI conv3,PSI fc1,PSI fc2');
    assert.ok(csv[7].startsWith('"cat\'s <eye> & ""friends""",,20,'));
  });
});

describe('header helpers', () => {
  it('names TF.js models by folder and does not repeat the runtime', async () => {
    const { modelName, engineText } = await import('../../../src/core/report/format');
    assert.equal(modelName('/m/tiny/model.json'), 'tiny/model.json');
    assert.equal(modelName('C:\\m\\alexnet.onnx'), 'alexnet.onnx');
    assert.equal(engineText({ runtime: 'tfjs', backend: 'tfjs 4.22.0 (wasm)' }), 'tfjs 4.22.0 (wasm)');
    assert.equal(engineText({ runtime: 'onnxruntime-node 1.30.0', backend: 'cpu' }), 'onnxruntime-node 1.30.0 · cpu');
  });
});
