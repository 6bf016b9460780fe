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
    // A live report says on how many categories its statistics rest (found minus dropped).
    assert.equal(h.partialOf, undefined, 'a complete report has no "n of N"');
    assert.equal(headerInfo({ ...report, complete: false }).partialOf, '7 of 7 categories');
    const live = { ...report, complete: false, dataset: { ...report.dataset, categoriesFound: 10, categoriesUsed: 2, droppedCategories: [] } };
    assert.equal(headerInfo(live).partialOf, '2 of 10 categories');
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

  it('has a class column only when the folders map to model classes (never an empty one)', () => {
    const rows = categoryRows(report);
    assert.equal(rows[1].class, 'goldfish');
    assert.equal(rows[6].class, null, 'a folder without a class shows as missing (–), not blank');
    // Decoder accuracy on folders that are not model classes: no class anywhere, so no column.
    const unmapped = { ...report, categories: report.categories.map(({ name, images }) => ({ name, images })) };
    assert.deepEqual(categoryColumns(unmapped).map((c) => c.key).slice(0, 3), ['category', 'images', 'accuracy']);
    assert.ok(categoryRows(unmapped).every((r) => !('class' in r)));
    assert.equal(categoryCsv(unmapped).split('\n')[0], 'category,images,accuracy,PSI conv1,PSI conv2,PSI conv3,PSI fc1,PSI fc2');
  });

  it('formats every p-value of the statistics tables and the CLI table the same way', async () => {
    const { formatTable } = await import('../../../src/core/report/tables');
    const cells = [...depthTrendTable(report).rows.map((r) => r[2]), ...correlationTable(report)!.rows.map((r) => r[2])];
    for (const c of cells) assert.match(c, /^(\d\.\d{3,4}|<\u00a00\.001)$/, `p cell "${c}"`);
    const text = formatTable(report);
    assert.doesNotMatch(text, /\de-\d/, 'no scientific p-values in the CLI table');
    assert.match(text, /tau = -?\d\.\d{3}, p(\u00a0=\u00a0\d\.\d{3,4}|\u00a0<\u00a00\.001), n = \d+/);
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
