/**
 * A panel whose page never sends its first message is set again, at most `attempts` pages in
 * all, then reported; only visible time counts (src/extension/panelStart.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchPanelStart, type PanelStartTarget } from '../../src/extension/panelStart';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fakePanel(visible = true) {
  const listeners = new Set<() => void>();
  const events: string[] = [];
  const state = { visible };
  const target: PanelStartTarget = {
    visible: () => state.visible,
    onVisibilityChange(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    reload: () => events.push('reload'),
    giveUp: (n) => events.push(`giveUp ${n}`),
    log: (m) => events.push(`log ${m}`),
  };
  return {
    target,
    events,
    listeners,
    setVisible(v: boolean) {
      state.visible = v;
      for (const l of [...listeners]) l();
    },
  };
}

const FAST = { timeoutMs: 40, attempts: 3 };

test('a page that starts in time is left alone', async () => {
  const p = fakePanel();
  const w = watchPanelStart(p.target, FAST);
  await sleep(10);
  w.started();
  await sleep(150);
  assert.deepEqual(p.events, []);
  assert.equal(p.listeners.size, 0, 'stops listening once started');
});

test('a page that never starts is set again, then reported once, after the last attempt', async () => {
  const p = fakePanel();
  watchPanelStart(p.target, FAST);
  await sleep(400);
  assert.deepEqual(
    p.events.filter((e) => !e.startsWith('log')),
    ['reload', 'reload', 'giveUp 3'],
  );
  assert.match(p.events.find((e) => e.startsWith('log'))!, /did not start within 0 s; loading it again \(attempt 2 of 3\)/);
  assert.equal(p.listeners.size, 0);
});

test('a page that starts on the second attempt: one reload, a log line, no report', async () => {
  const p = fakePanel();
  const w = watchPanelStart(p.target, FAST);
  await sleep(60); // first timeout passed: one reload
  assert.deepEqual(p.events.filter((e) => e === 'reload'), ['reload']);
  w.started();
  await sleep(200);
  assert.deepEqual(p.events.filter((e) => !e.startsWith('log')), ['reload']);
  assert.ok(p.events.includes("log The panel's page started on attempt 2."));
});

test('hidden time does not count: nothing happens until the panel is shown', async () => {
  const p = fakePanel(false);
  const w = watchPanelStart(p.target, FAST);
  await sleep(150);
  assert.deepEqual(p.events, [], 'a hidden webview is not loaded by VS Code: no reload while hidden');
  p.setVisible(true);
  await sleep(20);
  assert.deepEqual(p.events, [], 'the timeout starts when the panel is shown');
  await sleep(40);
  assert.deepEqual(p.events.filter((e) => e === 'reload'), ['reload']);
  p.setVisible(false);
  await sleep(150);
  assert.deepEqual((p.events as string[]).filter((e) => !e.startsWith('log')), ['reload'], 'hidden again: the clock stops');
  w.dispose();
});

test('dispose stops the watch', async () => {
  const p = fakePanel();
  const w = watchPanelStart(p.target, FAST);
  w.dispose();
  await sleep(150);
  assert.deepEqual(p.events, []);
  assert.equal(p.listeners.size, 0);
});
