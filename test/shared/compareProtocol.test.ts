/** The comparison panel's messages: every webview message validated, chart data as strictly as the report panel's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHostComparisonMessage, validateComparisonMessage } from '../../src/shared/compareProtocol';
import { PROTOCOL_VERSION } from '../../src/shared/protocol';

test('comparison messages: valid ones pass as fresh copies, anything else is rejected', () => {
  assert.deepEqual(validateComparisonMessage({ type: 'ready', protocol: PROTOCOL_VERSION }), { ok: true, message: { type: 'ready', protocol: PROTOCOL_VERSION } });
  assert.deepEqual(validateComparisonMessage({ type: 'exportComparison', format: 'csv' }), { ok: true, message: { type: 'exportComparison', format: 'csv' } });
  assert.equal(validateComparisonMessage({ type: 'exportComparison', format: 'exe' }).ok, false);
  assert.equal(validateComparisonMessage({ type: 'exportComparison', format: 'json', path: '/etc/passwd' }).ok, false);
  assert.deepEqual(validateComparisonMessage({ type: 'compareIndex', index: 'hoyer:raw' }), { ok: true, message: { type: 'compareIndex', index: 'hoyer:raw' } });
  assert.equal(validateComparisonMessage({ type: 'compareIndex', index: 'nonesuch' }).ok, false, 'only registry indices');
  assert.equal(validateComparisonMessage({ type: 'compareIndex', index: 'psi', file: '/x' }).ok, false);
  const svg = { type: 'exportChart', chart: 'compare-paired-scatter-0', format: 'svg', data: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' };
  assert.deepEqual(validateComparisonMessage(svg), { ok: true, message: svg });
  assert.equal(validateComparisonMessage({ ...svg, chart: 'psi-by-layer' }).ok, false, 'report chart ids are not comparison charts');
  assert.equal(validateComparisonMessage({ ...svg, chart: 'compare-depth/../x' }).ok, false);
  assert.equal(validateComparisonMessage({ ...svg, data: '<script>alert(1)</script>' }).ok, false);
  assert.equal(validateComparisonMessage({ ...svg, format: 'png', data: 'data:image/png;base64,@@@' }).ok, false);
  assert.equal(validateComparisonMessage({ type: 'cancelRun', runId: 'x' }).ok, false, 'report-panel-only message');
  assert.equal(validateComparisonMessage('ready').ok, false);
  const log = validateComparisonMessage({ type: 'log', level: 'info', message: 'x'.repeat(10_000) });
  assert.ok(log.ok && log.message.type === 'log' && log.message.message.length === 4000);
  assert.equal(isHostComparisonMessage({ type: 'comparison', comparison: { runs: [] } }), true);
  assert.equal(isHostComparisonMessage({ type: 'report', report: {} }), false);
});
