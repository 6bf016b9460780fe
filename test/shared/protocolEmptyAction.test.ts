/**
 * The empty panel's buttons (issue 15) in the host ↔ webview protocol: the `actions` an `empty`
 * message may carry and the `emptyAction` the webview sends back, validated like every message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_ACTIONS, isHostMessage, validateWebviewMessage } from '../../src/shared/protocol';

describe('emptyAction (webview → host)', () => {
  it('accepts each known action and returns a fresh copy', () => {
    for (const action of EMPTY_ACTIONS) {
      const raw = { type: 'emptyAction', action };
      const v = validateWebviewMessage(raw);
      assert.deepEqual(v, { ok: true, message: { type: 'emptyAction', action } });
      assert.ok(v.ok && v.message !== raw);
    }
  });
  it('rejects an unknown action, a missing one and extra fields', () => {
    assert.match(String((validateWebviewMessage({ type: 'emptyAction', action: 'runShell' }) as { error: string }).error), /action must be one of tryDemo, analyzeFolder/);
    assert.equal(validateWebviewMessage({ type: 'emptyAction' }).ok, false);
    assert.match(String((validateWebviewMessage({ type: 'emptyAction', action: 'tryDemo', command: 'x' }) as { error: string }).error), /unexpected field "command"/);
  });
});

describe('empty (host → webview) with actions', () => {
  it('takes no actions or known ones, not anything else', () => {
    assert.ok(isHostMessage({ type: 'empty', message: 'No report' }));
    assert.ok(isHostMessage({ type: 'empty', message: 'No report', actions: ['analyzeFolder', 'tryDemo'] }));
    assert.ok(!isHostMessage({ type: 'empty', message: 'No report', actions: ['rm -rf'] }));
    assert.ok(!isHostMessage({ type: 'empty', message: 'No report', actions: 'tryDemo' }));
  });
});
