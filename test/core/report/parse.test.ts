/**
 * The one report reader (src/core/report/parse.ts, reader.ts): schema id and version checks with
 * messages naming the file and the fix, and the chain of version upgrades.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { OLDEST_REPORT_VERSION, parseReport, parseReportJson, upgradeReport, UPGRADES } from '../../../src/core/report/parse';
import { readReport } from '../../../src/core/report/reader';
import { REPORT_SCHEMA_VERSION } from '../../../src/core/report/schema';
import { UserError } from '../../../src/core/types';
import { tempDir } from '../../helpers/tempDir';

const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'report', 'sample.sparsity.json');
const sample = (): Record<string, unknown> => JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));

/** A UserError (code E_REPORT) whose message names `source` and matches every pattern. */
function reportError(source: string, ...patterns: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof UserError, `a UserError, not ${String(e)}`);
    assert.equal(e.code, 'E_REPORT');
    assert.ok(e.message.includes(source), `names ${source}: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

describe('report reader', () => {
  it('reads a current-version report unchanged', () => {
    const r = parseReport(sample(), 'sample');
    assert.deepEqual(r, sample());
    assert.equal(r.schemaVersion, REPORT_SCHEMA_VERSION);
  });

  it('has an upgrade step from every older supported version', () => {
    assert.ok(OLDEST_REPORT_VERSION >= 1 && OLDEST_REPORT_VERSION <= REPORT_SCHEMA_VERSION);
    for (let v = OLDEST_REPORT_VERSION; v < REPORT_SCHEMA_VERSION; v++) assert.equal(typeof UPGRADES[v], 'function', `UPGRADES[${v}] (version ${v} → ${v + 1})`);
    for (const k of Object.keys(UPGRADES)) assert.ok(Number(k) >= OLDEST_REPORT_VERSION && Number(k) < REPORT_SCHEMA_VERSION, `UPGRADES[${k}] is for a supported older version`);
  });

  it('upgrades one version at a time, and refuses a chain with a gap', () => {
    const steps = {
      1: (r: { schemaVersion: number } & Record<string, unknown>) => ({ ...r, schemaVersion: 2, added: 'in 2' }),
      2: (r: { schemaVersion: number } & Record<string, unknown>) => ({ ...r, schemaVersion: 3, seen: r.added }),
    };
    assert.deepEqual(upgradeReport({ schemaVersion: 1, kept: true }, steps, 3), { schemaVersion: 3, kept: true, added: 'in 2', seen: 'in 2' });
    assert.deepEqual(upgradeReport({ schemaVersion: 2, added: 'x' }, steps, 3), { schemaVersion: 3, added: 'x', seen: 'x' });
    assert.deepEqual(upgradeReport({ schemaVersion: 3 }, steps, 3), { schemaVersion: 3 });
    assert.throws(() => upgradeReport({ schemaVersion: 1 }, { 1: steps[1] }, 3), /no upgrade of report schema version 2 to 3/);
    assert.throws(() => upgradeReport({ schemaVersion: 1 }, { 1: (r) => ({ ...r }) }, 2), /set schemaVersion 1, not 2/);
  });

  it('says a report from a newer Sparsity Lens needs an update', () => {
    const newer = { ...sample(), schemaVersion: REPORT_SCHEMA_VERSION + 1 };
    assert.throws(() => parseReport(newer, '/runs/a/report.sparsity.json'), reportError('/runs/a/report.sparsity.json', /newer Sparsity Lens/, /Update/));
  });

  it('rejects what is not a report, or not a valid version of one', () => {
    assert.throws(() => parseReport({ ...sample(), schema: 'other/thing' }, 'x.json'), reportError('x.json', /is not a Sparsity Lens report/));
    assert.throws(() => parseReport([1, 2], 'x.json'), reportError('x.json', /is not a Sparsity Lens report/));
    assert.throws(() => parseReport(null, 'x.json'), reportError('x.json', /is not a Sparsity Lens report/));
    for (const schemaVersion of ['1', 0, 1.5, undefined]) {
      assert.throws(() => parseReport({ ...sample(), schemaVersion }, 'x.json'), reportError('x.json', /invalid report schema version/));
    }
    const { passes: _passes, ...noPasses } = sample();
    assert.throws(() => parseReport(noPasses, 'x.json'), reportError('x.json', /is incomplete/));
    assert.throws(() => parseReportJson('{"schema": ', 'x.json'), reportError('x.json', /not valid JSON/));
  });

  it('reads a file, naming it when it cannot', () => {
    const dir = tempDir('sl-report-');
    const file = path.join(dir, 'report.sparsity.json');
    fs.copyFileSync(FIXTURE, file);
    assert.deepEqual(readReport(file), sample());
    const missing = path.join(dir, 'missing.sparsity.json');
    assert.throws(() => readReport(missing), reportError(missing, /Cannot read the report/));
    fs.writeFileSync(file, 'not json');
    assert.throws(() => readReport(file), reportError(file, /not valid JSON/));
  });
});
