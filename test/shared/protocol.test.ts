import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHART_IDS, isHostMessage, LIMITS, PROTOCOL_VERSION, sanitizePersistedState, validateWebviewMessage } from '../../src/shared/protocol';

const PNG_1PX =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function ok(m: unknown) {
  const r = validateWebviewMessage(m);
  assert.equal(r.ok, true, r.ok ? '' : r.error);
  return (r as { ok: true; message: unknown }).message;
}
function bad(m: unknown, re: RegExp) {
  const r = validateWebviewMessage(m);
  assert.equal(r.ok, false, `accepted ${JSON.stringify(m).slice(0, 80)}`);
  assert.match((r as { error: string }).error, re);
}

describe('validateWebviewMessage', () => {
  it('accepts every well-formed webview → host message and returns a clean copy', () => {
    assert.deepEqual(ok({ type: 'ready', protocol: PROTOCOL_VERSION }), { type: 'ready', protocol: PROTOCOL_VERSION });
    for (const format of ['json', 'csv', 'html']) assert.deepEqual(ok({ type: 'exportReport', format }), { type: 'exportReport', format });
    for (const chart of CHART_IDS) {
      ok({ type: 'exportChart', chart, format: 'svg', data: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' });
      ok({ type: 'exportChart', chart, format: 'png', data: PNG_1PX });
    }
    ok({ type: 'exportChart', chart: 'psi-by-layer', format: 'svg', data: '<?xml version="1.0"?><svg></svg>' });
    assert.deepEqual(ok({ type: 'cancelRun', runId: 'run-1' }), { type: 'cancelRun', runId: 'run-1' });
    assert.deepEqual(ok({ type: 'revealSkipped', index: 0 }), { type: 'revealSkipped', index: 0 });
    assert.deepEqual(ok({ type: 'log', level: 'warn', message: 'x' }), { type: 'log', level: 'warn', message: 'x' });
  });

  it('rejects non-objects, unknown types and unexpected fields', () => {
    bad(null, /not an object/);
    bad('ready', /not an object/);
    bad([{ type: 'ready' }], /not an object/);
    bad({}, /missing "type"/);
    bad({ type: 'openFile', path: '/etc/passwd' }, /unknown message type/);
    bad({ type: 'ready', protocol: PROTOCOL_VERSION, extra: 1 }, /unexpected field "extra"/);
    bad({ type: 'exportReport', format: 'json', path: '/tmp/x' }, /unexpected field "path"/);
    bad({ type: 'ready', protocol: 99 }, /protocol/);
  });

  it('checks enums and value types', () => {
    bad({ type: 'exportReport', format: 'exe' }, /format/);
    bad({ type: 'exportChart', chart: 'other', format: 'svg', data: '<svg/>' }, /unknown chart/);
    bad({ type: 'exportChart', chart: 'psi-by-layer', format: 'pdf', data: '<svg/>' }, /format/);
    bad({ type: 'exportChart', chart: 'psi-by-layer', format: 'svg', data: 42 }, /string/);
    bad({ type: 'cancelRun', runId: '' }, /runId/);
    bad({ type: 'cancelRun', runId: 'x'.repeat(LIMITS.idChars + 1) }, /runId/);
    bad({ type: 'revealSkipped', index: -1 }, /index/);
    bad({ type: 'revealSkipped', index: 1.5 }, /index/);
    bad({ type: 'revealSkipped', index: '0' }, /index/);
    bad({ type: 'log', level: 'debug', message: 'x' }, /level/);
  });

  it('checks exported chart payloads: SVG documents and base64 PNG data URLs only, bounded size', () => {
    bad({ type: 'exportChart', chart: 'psi-by-layer', format: 'svg', data: '<script>alert(1)</script>' }, /not an SVG/);
    bad({ type: 'exportChart', chart: 'psi-by-layer', format: 'png', data: 'data:text/html;base64,PGI+' }, /not a PNG/);
    bad({ type: 'exportChart', chart: 'psi-by-layer', format: 'png', data: 'data:image/png;base64,' }, /base64/);
    bad({ type: 'exportChart', chart: 'psi-by-layer', format: 'png', data: 'data:image/png;base64,ab$d' }, /base64/);
    bad({ type: 'exportChart', chart: 'psi-by-layer', format: 'png', data: 'data:image/png;base64,abc' }, /base64/);
    const huge = '<svg>' + ' '.repeat(LIMITS.svgChars);
    bad({ type: 'exportChart', chart: 'psi-by-layer', format: 'svg', data: huge }, /too large/);
  });

  it('truncates long log lines', () => {
    const m = ok({ type: 'log', level: 'info', message: 'y'.repeat(LIMITS.logChars * 2) }) as { message: string };
    assert.equal(m.message.length, LIMITS.logChars);
  });
});

describe('isHostMessage (webview side)', () => {
  it('accepts host messages and rejects strays', () => {
    assert.equal(isHostMessage({ type: 'report', report: { passes: [] }, source: { kind: 'file' } }), true);
    assert.equal(isHostMessage({ type: 'progress', runId: 'r', progress: { phase: 'run' } }), true);
    assert.equal(isHostMessage({ type: 'runStatus', runId: 'r', status: 'cancelled' }), true);
    assert.equal(isHostMessage({ type: 'empty', message: 'm' }), true);
    assert.equal(isHostMessage({ type: 'exportResult', ok: true, message: 'm' }), true);
    assert.equal(isHostMessage({ type: 'report', report: {}, source: {} }), false);
    assert.equal(isHostMessage({ type: 'runStatus', runId: 'r', status: 'exploded' }), false);
    assert.equal(isHostMessage({ type: 'eval', code: '1' }), false);
    assert.equal(isHostMessage(null), false);
  });
});

describe('sanitizePersistedState', () => {
  it('keeps only known, well-typed fields', () => {
    assert.deepEqual(
      sanitizePersistedState({
        source: { kind: 'file', reportPath: '/r/report.sparsity.json', runId: 'run-1', evil: 1 },
        selectedLayer: 'fc2',
        sort: { column: 'accuracy', descending: true },
        other: 1,
      }),
      { source: { kind: 'file', reportPath: '/r/report.sparsity.json', runId: 'run-1' }, selectedLayer: 'fc2', sort: { column: 'accuracy', descending: true } },
    );
    assert.deepEqual(sanitizePersistedState({ source: { kind: 'remote', reportPath: 1 }, sort: { column: 1 } }), {});
    assert.deepEqual(sanitizePersistedState('x'), {});
    assert.deepEqual(sanitizePersistedState(undefined), {});
  });
});

describe('drill-down messages (issue 15)', () => {
  it('listCategoryImages carries a category index only, never a path', () => {
    assert.deepEqual(ok({ type: 'listCategoryImages', category: 3 }), { type: 'listCategoryImages', category: 3 });
    bad({ type: 'listCategoryImages', category: -1 }, /non-negative integer/);
    bad({ type: 'listCategoryImages', category: 1.5 }, /non-negative integer/);
    bad({ type: 'listCategoryImages', category: '2' }, /non-negative integer/);
    bad({ type: 'listCategoryImages', category: LIMITS.categoryIndex + 1 }, /non-negative integer/);
    bad({ type: 'listCategoryImages', category: 0, folder: '/etc' }, /unexpected field "folder"/);
  });

  it('the webview takes a categoryImages answer only when it is well formed', () => {
    assert.ok(isHostMessage({ type: 'categoryImages', category: 0, name: 'cat', images: [{ file: 'a.jpg', uri: 'https://x/a.jpg' }], more: 3 }));
    assert.ok(isHostMessage({ type: 'categoryImages', category: 0, name: 'cat', images: [], more: 0, error: 'gone' }));
    assert.ok(!isHostMessage({ type: 'categoryImages', category: 0, name: 'cat', images: [{ file: 'a.jpg' }], more: 0 }));
    assert.ok(!isHostMessage({ type: 'categoryImages', category: '0', name: 'cat', images: [], more: 0 }));
    assert.ok(!isHostMessage({ type: 'categoryImages', category: 0, name: 'cat', images: [], more: 0, error: 1 }));
  });
});
