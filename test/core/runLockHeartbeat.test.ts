import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beat } from '../../src/core/runLockHeartbeat';
import { workerEntry } from '../../src/core/workerEntry';

function lockFile(token: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-beat-'));
  const f = path.join(dir, 'writer.lock');
  fs.writeFileSync(f, JSON.stringify({ pid: 1, hostname: 'h', token }));
  const old = new Date(Date.now() - 600_000);
  fs.utimesSync(f, old, old);
  return f;
}

test('a beat refreshes the lock only while it holds our token', () => {
  const f = lockFile('ours');
  const before = fs.statSync(f).mtimeMs;
  assert.equal(beat(f, 'theirs'), false);
  assert.equal(fs.statSync(f).mtimeMs, before, "another writer's lock is left alone");
  assert.equal(beat(f, 'ours'), true);
  assert.ok(fs.statSync(f).mtimeMs > before + 500_000, 'mtime moved to now');
});

test('a beat on a lock that is gone or unreadable says so and does not throw', () => {
  const f = lockFile('ours');
  fs.writeFileSync(f, '{ half written');
  assert.equal(beat(f, 'ours'), false);
  fs.rmSync(f);
  assert.equal(beat(f, 'ours'), false);
});

test('the heartbeat worker is found as source under tsx (tests) and runs from its own file', () => {
  const e = workerEntry('runLockHeartbeat');
  assert.ok(e, 'entry found');
  // Under tsx from src/ there is no dist/ beside this file: the source is loaded through tsx.
  assert.equal(e.eval, true);
  assert.match(e.code, /runLockHeartbeat\.ts/);
});
