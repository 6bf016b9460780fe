/**
 * One writer per run folder (src/core/runLock.ts): the lock is exclusive, a second taker is told
 * who holds it and which file to delete, a lock left by a dead process of this host is taken
 * over (a real child killed with SIGKILL), another host's lock refuses, release removes only our
 * own lock; and analyze() itself: two resumes of one folder cannot both run.
 */
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import fsModule from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyze } from '../../src/core/analyze';
import { acquireRunLock, isOrphanedWorker, isRunLockedByLiveWriter, processStartOf, RUN_LOCK_STALE_MS, runLockPath, type RunLockHolder } from '../../src/core/runLock';
import { UserError } from '../../src/core/types';
import { killedRun } from '../helpers/killedRun';
import { tempDir } from '../helpers/tempDir';

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function runFolder(): string {
  const dir = path.join(tempDir('runlock-'), 'run');
  fs.mkdirSync(dir);
  return dir;
}

function writeLock(runDir: string, holder: Partial<RunLockHolder>): void {
  fs.mkdirSync(path.join(runDir, 'state'), { recursive: true });
  fs.writeFileSync(runLockPath(runDir), JSON.stringify({ hostname: os.hostname(), startedAt: '2026-01-02T03:04:05.000Z', command: 'test', version: '0', token: 'theirs', ...holder }));
}

/** The pid of a process that has exited (and so is not alive). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.equal(r.status, 0);
  return r.pid as number;
}

test('the lock is exclusive: a second acquire refuses naming the holder (pid, host, since) and the lock file; release frees it', () => {
  const dir = runFolder();
  const lock = acquireRunLock(dir, { command: 'first writer' });
  assert.equal(lock.lockPath, path.join(dir, 'state', 'writer.lock'));
  const onDisk = JSON.parse(fs.readFileSync(lock.lockPath, 'utf8')) as RunLockHolder;
  assert.equal(onDisk.pid, process.pid);
  assert.equal(onDisk.hostname, os.hostname());
  assert.equal(onDisk.command, 'first writer');
  assert.ok(!Number.isNaN(Date.parse(onDisk.startedAt)));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'state')), ['writer.lock'], 'no temporary file left beside it');

  assert.throws(
    () => acquireRunLock(dir),
    (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.code, 'E_RUN_LOCKED');
      assert.match(e.message, new RegExp(`^Run folder ${esc(dir)} is being written by another process: pid ${process.pid} on host ${esc(os.hostname())} since ${esc(onDisk.startedAt)} \\(first writer\\)`));
      assert.match(e.message, new RegExp(`Wait for it to finish or stop it; if that process is gone, delete ${esc(lock.lockPath)} and try again\\.$`));
      return true;
    },
  );
  const status = isRunLockedByLiveWriter(dir);
  assert.equal(status?.state, 'live');
  assert.equal(status?.holder?.pid, process.pid);

  lock.release();
  assert.equal(fs.existsSync(lock.lockPath), false);
  assert.equal(isRunLockedByLiveWriter(dir), undefined);
  acquireRunLock(dir).release(); // free again
});

test('a lock left by a writer killed with SIGKILL is stale and taken over', async () => {
  const dir = runFolder();
  const src = path.join(__dirname, '..', '..', 'src', 'core', 'runLock.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `require(${JSON.stringify(src)}).acquireRunLock(${JSON.stringify(dir)}, { command: 'child' }); console.log('locked'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => { if (b.toString().includes('locked')) resolve(); });
    child.on('exit', (code) => reject(new Error(`child exited ${code} before locking`)));
  });
  assert.equal(isRunLockedByLiveWriter(dir)?.holder?.pid, child.pid, 'held while the child lives');
  assert.throws(() => acquireRunLock(dir), /E_RUN_LOCKED|being written by another process: pid \d+/);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  assert.ok(fs.existsSync(runLockPath(dir)), 'a killed writer leaves its lock behind');
  assert.equal(isRunLockedByLiveWriter(dir), undefined, 'stale: its pid is gone');
  const lock = acquireRunLock(dir);
  assert.equal((JSON.parse(fs.readFileSync(lock.lockPath, 'utf8')) as RunLockHolder).pid, process.pid, 'taken over');
  lock.release();
});

test('a stale lock of a pid that exited is taken over; another host\'s lock and an unreadable lock refuse', () => {
  const stale = runFolder();
  writeLock(stale, { pid: deadPid() });
  acquireRunLock(stale).release();

  const other = runFolder();
  writeLock(other, { pid: process.pid, hostname: `${os.hostname()}-other-node` });
  assert.throws(() => acquireRunLock(other), new RegExp(`pid ${process.pid} on host ${esc(os.hostname())}-other-node \\(another machine: whether it still runs cannot be checked from here; its lock is taken over once it has not been refreshed for 5 minutes\\) since 2026-01-02T03:04:05.000Z.*delete ${esc(runLockPath(other))}`));
  assert.equal(isRunLockedByLiveWriter(other)?.state, 'other-host');
  // Even with a pid that is not alive here: it is another machine's pid.
  writeLock(other, { pid: deadPid(), hostname: 'node-17' });
  assert.throws(() => acquireRunLock(other), /on host node-17 \(another machine/);

  const garbled = runFolder();
  fs.mkdirSync(path.join(garbled, 'state'));
  fs.writeFileSync(runLockPath(garbled), '{"pid":');
  assert.throws(() => acquireRunLock(garbled), new RegExp(`an unreadable lock ${esc(runLockPath(garbled))}.*delete ${esc(runLockPath(garbled))}`));
  assert.equal(isRunLockedByLiveWriter(garbled)?.state, 'unreadable');
});

test('a lock records which process, boot and pid namespace hold it; a pid reused by a later process, or a holder in another container or boot of this hostname, is not taken for the holder', () => {
  // Linux (the product's /proc facts): CI and this machine have them.
  assert.ok(fs.existsSync(`/proc/${process.pid}/stat`), 'needs /proc (Linux)');
  const dir = runFolder();
  const lock = acquireRunLock(dir);
  const mine = JSON.parse(fs.readFileSync(lock.lockPath, 'utf8')) as RunLockHolder;
  assert.equal(mine.processStart, processStartOf(process.pid));
  assert.match(mine.processStart ?? '', /^\d+$/);
  assert.equal(mine.bootId, fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  assert.equal(mine.pidNamespace, fs.readlinkSync('/proc/self/ns/pid'));
  lock.release();

  // This pid is alive, but it started at another time than the lock's writer: a reused pid, stale.
  const reused = runFolder();
  writeLock(reused, { pid: process.pid, processStart: String(Number(mine.processStart) + 12345), bootId: mine.bootId, pidNamespace: mine.pidNamespace });
  assert.equal(isRunLockedByLiveWriter(reused), undefined, 'a reused pid is not the holder');
  acquireRunLock(reused).release();
  // The same pid with its own start time is the holder.
  const same = runFolder();
  writeLock(same, { pid: process.pid, processStart: mine.processStart, bootId: mine.bootId, pidNamespace: mine.pidNamespace });
  assert.equal(isRunLockedByLiveWriter(same)?.state, 'live');
  // A lock without these fields (written before they existed) is judged by its pid, as before.
  const older = runFolder();
  writeLock(older, { pid: process.pid });
  assert.equal(isRunLockedByLiveWriter(older)?.state, 'live');

  // Another pid namespace (a container) or another boot with this hostname: its pid cannot be
  // checked here (a dead pid here proves nothing), so the heartbeat decides, as for another host.
  for (const other of [{ pidNamespace: 'pid:[1]' }, { bootId: '00000000-0000-0000-0000-000000000000' }]) {
    const d = runFolder();
    writeLock(d, { pid: deadPid(), processStart: '1', bootId: mine.bootId, pidNamespace: mine.pidNamespace, ...other });
    assert.equal(isRunLockedByLiveWriter(d)?.state, 'other-host', JSON.stringify(other));
    assert.throws(() => acquireRunLock(d), new RegExp(`on host ${esc(os.hostname())} \\(another container, or a boot before this one, of this hostname`));
    const old = new Date(Date.now() - RUN_LOCK_STALE_MS - 60_000);
    fs.utimesSync(runLockPath(d), old, old);
    acquireRunLock(d).release(); // silent for over 5 minutes: stale, taken over
  }
});

test('another host\'s lock (and an unreadable one) that has not beaten for 5 minutes is stale and taken over; a holder\'s heartbeat keeps its lock fresh', async () => {
  const silentSince = (ms: number) => new Date(Date.now() - ms);
  const other = runFolder();
  writeLock(other, { pid: process.pid, hostname: 'node-17' });
  fs.utimesSync(runLockPath(other), silentSince(RUN_LOCK_STALE_MS - 30_000), silentSince(RUN_LOCK_STALE_MS - 30_000));
  assert.throws(() => acquireRunLock(other), /on host node-17/, 'still within 5 minutes of its last beat');
  fs.utimesSync(runLockPath(other), silentSince(RUN_LOCK_STALE_MS + 1000), silentSince(RUN_LOCK_STALE_MS + 1000));
  assert.equal(isRunLockedByLiveWriter(other), undefined);
  acquireRunLock(other).release();

  const garbled = runFolder();
  fs.mkdirSync(path.join(garbled, 'state'));
  fs.writeFileSync(runLockPath(garbled), '');
  fs.utimesSync(runLockPath(garbled), silentSince(RUN_LOCK_STALE_MS + 1000), silentSince(RUN_LOCK_STALE_MS + 1000));
  acquireRunLock(garbled).release();

  // The holder's worker thread refreshes the mtime (every 30 s; 50 ms here), so another host never sees it stale.
  const held = runFolder();
  const lock = acquireRunLock(held, { heartbeatMs: 50 });
  const old = silentSince(RUN_LOCK_STALE_MS + 60_000);
  fs.utimesSync(lock.lockPath, old, old);
  const deadline = Date.now() + 10_000;
  while (fs.statSync(lock.lockPath).mtimeMs <= old.getTime() + 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(Date.now() - fs.statSync(lock.lockPath).mtimeMs < 10_000, 'refreshed by the heartbeat');
  lock.release();
  // Released: the heartbeat stops touching a lock that is no longer ours (another writer's, here).
  writeLock(held, { pid: process.pid, token: 'next-writer' });
  fs.utimesSync(runLockPath(held), old, old);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(Math.round(fs.statSync(runLockPath(held)).mtimeMs / 1000), Math.round(old.getTime() / 1000), 'not touched after release');
});

test('three processes taking over one stale lock at the same instant: exactly one gets it, the others are told who has it', async () => {
  const dir = runFolder();
  writeLock(dir, { pid: deadPid() });
  const src = path.join(__dirname, '..', '..', 'src', 'core', 'runLock.ts');
  const startAt = Date.now() + 4000; // every child loaded and sleeping, then all at once
  // Each stays alive (so its lock, if it got it, is live) until the test closes its stdin.
  const script = `
    const { acquireRunLock } = require(${JSON.stringify(src)});
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, ${startAt} - Date.now()));
    try { acquireRunLock(${JSON.stringify(dir)}); console.log('got'); }
    catch (e) { console.log('refused ' + e.message); }
    process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
  const children = [0, 1, 2].map(() => spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const exits = children.map((c) => new Promise((resolve) => c.on('exit', resolve)));
  const outcomes = await Promise.all(
    children.map(
      (c) =>
        new Promise<string>((resolve, reject) => {
          let out = '';
          c.stdout.on('data', (b: Buffer) => {
            out += b.toString();
            if (out.includes('\n')) resolve(out.trim());
          });
          c.on('exit', (code) => reject(new Error(`child exited ${code} before answering: ${out}`)));
        }),
    ),
  );
  for (const c of children) c.stdin.end();
  await Promise.all(exits);
  assert.equal(outcomes.filter((o) => o === 'got').length, 1, outcomes.join('\n'));
  for (const o of outcomes.filter((x) => x !== 'got')) assert.match(o, /^refused Run folder .* is being written by another process: pid \d+ on host/);
});

test('a forked worker whose parent died (a reloaded window\'s analysis worker) is recognised as orphaned; with its parent alive it is not', async () => {
  const dir = runFolder();
  const src = path.join(__dirname, '..', '..', 'src', 'core', 'runLock.ts');
  // parent (spawned) → worker (forked with IPC, as the extension forks analysisWorker) that takes the lock and keeps running.
  const workerJs = path.join(path.dirname(dir), 'worker.js');
  fs.writeFileSync(workerJs, `require(${JSON.stringify(src)}).acquireRunLock(${JSON.stringify(dir)}, { command: 'worker' }); process.send('locked'); process.on('disconnect', () => {}); setInterval(() => {}, 1000);`);
  const parentJs = path.join(path.dirname(dir), 'parent.js');
  fs.writeFileSync(parentJs, `const w = require('child_process').fork(${JSON.stringify(workerJs)}, { execArgv: ['--import', 'tsx'] }); w.on('message', () => console.log('worker ' + w.pid)); setInterval(() => {}, 1000);`);
  const parent = spawn(process.execPath, [parentJs], { stdio: ['ignore', 'pipe', 'inherit'] });
  const workerPid = await new Promise<number>((resolve, reject) => {
    parent.stdout.on('data', (b: Buffer) => { const m = /worker (\d+)/.exec(b.toString()); if (m) resolve(Number(m[1])); });
    parent.on('exit', (code) => reject(new Error(`parent exited ${code}`)));
  });
  try {
    const held = isRunLockedByLiveWriter(dir);
    assert.equal(held?.holder?.pid, workerPid);
    assert.equal(held?.holder?.forked, true);
    assert.equal(held?.holder?.ppid, parent.pid);
    assert.equal(isOrphanedWorker(held!), false, 'its parent lives');
    const parentGone = new Promise((r) => parent.on('exit', r));
    parent.kill('SIGKILL');
    await parentGone;
    const orphaned = isRunLockedByLiveWriter(dir);
    assert.equal(orphaned?.state, 'live', 'the worker still holds it');
    assert.equal(isOrphanedWorker(orphaned!), true);
    assert.throws(() => acquireRunLock(dir), /being written by another process/, 'analyze still refuses while it lives');
  } finally {
    try { process.kill(workerPid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const end = Date.now() + 5000; isRunLockedByLiveWriter(dir) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
  acquireRunLock(dir).release(); // stale once it is gone
  // A process that is not a forked child (a terminal's CLI) is never taken for an orphaned worker.
  const cli = runFolder();
  writeLock(cli, { pid: process.pid, ppid: deadPid(), forked: false });
  assert.equal(isOrphanedWorker(isRunLockedByLiveWriter(cli)!), false);
});

test('release removes the lock only while it is ours', () => {
  const dir = runFolder();
  const lock = acquireRunLock(dir);
  // The user deleted it (the message says to when a writer is gone) and another writer took it.
  fs.rmSync(lock.lockPath);
  writeLock(dir, { pid: process.pid, token: 'someone-else' });
  lock.release();
  assert.ok(fs.existsSync(lock.lockPath), 'the other writer\'s lock stays');
  assert.equal((JSON.parse(fs.readFileSync(lock.lockPath, 'utf8')) as RunLockHolder).token, 'someone-else');
});

test('a run folder that does not exist is named, not created', () => {
  const missing = path.join(tempDir('runlock-missing-'), 'nope');
  assert.throws(() => acquireRunLock(missing), new RegExp(`Run folder ${esc(missing)} does not exist`));
  assert.equal(fs.existsSync(missing), false);
});

test('analyze(): two resumes of one run folder cannot both run; the second is refused, the first finishes to the fresh result and frees the folder', async () => {
  const settings = { batchSize: 2, accuracy: 'none' as const, concurrentPasses: 1, seed: 7, controls: { permutations: 1, noNonlinearity: false } };
  const { model, data, out, runDir } = await killedRun('runlock-analyze-', settings, 2);
  assert.equal(fs.existsSync(runLockPath(runDir)), false, 'the failed run released its lock');
  // analyze() takes the lock before its first await, so the first resume holds it from here on.
  const first = analyze({ datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: runDir, html: false });
  await assert.rejects(
    analyze({ datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: runDir, html: false }),
    (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.equal(e.code, 'E_RUN_LOCKED');
      assert.match(e.message, new RegExp(`${esc(runDir)} is being written by another process: pid ${process.pid} on host`));
      assert.match(e.message, new RegExp(`delete ${esc(runLockPath(runDir))}`));
      return true;
    },
  );
  const resumed = await first;
  assert.equal(fs.existsSync(runLockPath(runDir)), false, 'released when the run ends');
  const fresh = await analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings, html: false });
  assert.equal(fs.existsSync(runLockPath(fresh.runDir)), false, 'a new run releases its lock too');
  assert.deepEqual(resumed.report.passes.map((p) => p.layers.map((l) => l.psi)), fresh.report.passes.map((p) => p.layers.map((l) => l.psi)));
  // Resuming the finished folder now says it is complete (the lock is free, the report is there).
  await assert.rejects(analyze({ datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: runDir, html: false }), /already complete/);
  assert.equal(fs.existsSync(runLockPath(runDir)), false, 'a refused resume releases the lock it took');
});

test('analyze(): a resume whose run folder cannot be written (the lock is its first write) says so with the fix, and leaves no lock', async () => {
  const settings = { batchSize: 2, accuracy: 'none' as const, concurrentPasses: 1, seed: 7, controls: { permutations: 0, noNonlinearity: false } };
  const { runDir } = await killedRun('runlock-readonly-', settings, 1);
  const real = fsModule.writeFileSync;
  // The module object analyze() requires (a namespace import cannot be patched).
  const m = mock.method(fsModule, 'writeFileSync', (...args: Parameters<typeof fs.writeFileSync>) => {
    if (String(args[0]).startsWith(runDir)) throw Object.assign(new Error(`EROFS: read-only file system, open '${String(args[0])}'`), { code: 'EROFS', syscall: 'open', path: String(args[0]) });
    return real(...args);
  });
  try {
    await assert.rejects(
      analyze({ datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: runDir, html: false }),
      new RegExp(`^UserError: Cannot write the run's files \\(EROFS\\)\\. .*read-only file system.*--resume ${esc(runDir)}$`),
    );
  } finally {
    m.mock.restore();
  }
  assert.equal(fs.existsSync(runLockPath(runDir)), false);
});
