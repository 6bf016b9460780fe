/** The CLI table's index section (issue 11): PSI only by default, the chosen indices' medians with --indices. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addSettingOptions, settingsFromOptions } from '../../../src/cli/settingOptions';
import { formatTable, indexMedianLines } from '../../../src/core/report/tables';
import type { SparsityReport } from '../../../src/core/report/schema';

const full: SparsityReport = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'report', 'sample-indices.sparsity.json'), 'utf8'));

describe('CLI table of indices', () => {
  it('without --indices the table is the PSI table alone', () => {
    assert.equal(formatTable(full), formatTable(full, { indices: undefined }));
    assert.ok(!formatTable(full).includes('median hoyer:raw'));
    assert.deepEqual(indexMedianLines(full, ['psi']), []);
  });

  it('with --indices: one median column per chosen index, its trend, and what the report lacks', () => {
    const lines = indexMedianLines(full, ['psi', 'hoyer:raw', 'lifetime', 'nope']);
    assert.deepEqual(lines[1].trim().split(/\s{2,}/), ['layer', 'median psi', 'median hoyer:raw', 'median lifetime']);
    const l = full.passes[0].layers[3];
    assert.deepEqual(lines[3 + 3].trim().split(/\s{2,}/), ['fc1', l.summary.median.toFixed(4), l.indices['hoyer:raw'].summary.median.toFixed(4), l.indices.lifetime.summary.median.toFixed(4)]);
    assert.ok(lines.some((x) => x.startsWith('Depth trend of hoyer:raw: tau = ')));
    assert.ok(lines.some((x) => x.startsWith('Depth trend of hoyer:raw') && x.includes('trend of r(hoyer:raw, accuracy)')));
    assert.ok(!lines.some((x) => x.startsWith('Depth trend of lifetime') && x.includes('accuracy')), 'no accuracy r for a per-unit index');
    assert.equal(lines.at(-1), 'Not in this report: nope');
    assert.ok(formatTable(full, { indices: ['hoyer:raw'] }).includes('median hoyer:raw'));
  });

  it('--indices is a CLI flag from the settings table, checked against the registry', () => {
    const cmd = addSettingOptions(new Command().exitOverride());
    cmd.parse(['--indices', 'psi,gini:raw'], { from: 'user' });
    assert.deepEqual(settingsFromOptions(cmd.opts()).settings.indices, ['psi', 'gini:raw']);
    const none = addSettingOptions(new Command().exitOverride());
    none.parse([], { from: 'user' });
    assert.equal(none.opts().indices, undefined, 'no flag: the preset supplies every index, the table shows psi');
  });
});
