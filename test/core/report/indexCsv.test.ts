/** The index CSV tables (issue 11): long values, summary per index, diagnostics, on the every-index sample. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { csvFor, csvTables } from '../../../src/core/report/csv';
import type { SparsityReport } from '../../../src/core/report/schema';

const read = (name: string): SparsityReport => JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'report', name), 'utf8'));
const full = read('sample-indices.sparsity.json');
const lines = (t: Parameters<typeof csvFor>[1]) => csvFor(full, t).trimEnd().split('\n');

describe('index CSV tables', () => {
  it('a report with diagnostics offers every index table', () => {
    assert.deepEqual(csvTables(full).slice(-3), ['indices', 'indexSummary', 'diagnostics']);
  });

  it('indices.csv: one row per value, category name or unit number by the index axis', () => {
    const rows = lines('indices');
    assert.equal(rows[0], 'pass,layer,index,axis,category,unit,value');
    const C = full.categories.length;
    const perPass = full.passes[0].layers.reduce((a, l) => a + Object.values(l.indices).reduce((b, ix) => b + ix.values.length, 0), 0);
    assert.equal(rows.length - 1, perPass * full.passes.length);
    const gini = full.passes[0].layers[2].indices['gini:raw'].values;
    assert.equal(rows.filter((r) => r.startsWith('trained,conv3,gini:raw,category,')).length, C);
    assert.equal(rows.find((r) => r.startsWith('trained,conv3,gini:raw,category,n01443537,'))!, `trained,conv3,gini:raw,category,n01443537,,${gini[1]}`);
    // A category name with a comma and quotes is quoted.
    assert.ok(rows.some((r) => r.startsWith('trained,conv1,psi,category,"cat\'s <eye> & ""friends""",,')));
    const life = full.passes[4].layers[0].indices.lifetime.values;
    assert.equal(rows.find((r) => r.startsWith('norelu,conv1,lifetime,unit,,5,')), `norelu,conv1,lifetime,unit,,5,${life[5]}`);
  });

  it('index_summary.csv: the summary, shifted flag, accuracy r (trained only) and trend of each index', () => {
    const rows = lines('indexSummary');
    const h = rows[0].split(',');
    assert.deepEqual(h.slice(0, 7), ['pass', 'layer', 'layer_index', 'index', 'axis', 'shifted', 'n']);
    const at = (pass: string, layer: string, id: string) => rows.find((r) => r.startsWith(`${pass},${layer},`) && r.split(',')[3] === id)!.split(',');
    const l = full.passes[0].layers[3];
    const row = at('trained', 'fc1', 'hoyer:raw');
    assert.equal(Number(row[h.indexOf('median')]), l.indices['hoyer:raw'].summary.median);
    assert.equal(Number(row[h.indexOf('r_accuracy')]), full.indexAccuracy!['hoyer:raw'].perLayer[3].r);
    assert.equal(Number(row[h.indexOf('trend_tau')]), full.passes[0].trends['hoyer:raw'].tau);
    assert.equal(at('norelu', 'fc1', 'psi:raw')[h.indexOf('shifted')], 'true');
    assert.equal(at('norelu', 'fc1', 'psi:raw')[h.indexOf('r_accuracy')], '', 'no accuracy r for a control');
    assert.equal(at('trained', 'fc1', 'lifetime')[h.indexOf('r_accuracy')], '', 'no accuracy r for a per-unit index');
  });

  it('diagnostics.csv: one row per pass and layer', () => {
    const rows = lines('diagnostics');
    assert.equal(rows[0], 'pass,layer,layer_index,units,dead_fraction,mean_response,participation_ratio');
    assert.equal(rows.length - 1, full.passes.length * full.passes[0].layers.length);
    const d = full.passes[0].layers[1].diagnostics!;
    assert.equal(rows[2], `trained,conv2,2,192,${d.deadFraction},${d.meanResponse},${d.participationRatio}`);
  });
});
