/**
 * Interrupted runs on disk and "Run again" (src/extension/resume.ts, issue 15): a run killed
 * mid-way is found (checkpoint, no report) with how far it got, finished runs and other folders
 * are not; resuming it gives the report a fresh run gives; Run again on a report repeats the
 * report's settings exactly (a real second run, settings compared), whatever the defaults are.
 * A run whose writer lock (core/runLock.ts) a live process holds is running elsewhere, not
 * interrupted: never offered; a stale lock (its process gone) is offered and resuming takes it over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyze } from '../../src/core/analyze';
import { parseReportJson } from '../../src/core/report/parse';
import { runLockPath } from '../../src/core/runLock';
import { describeInterruptedRun, describeRunInProgress, describeRunInProgressItem, readRunFolder, runAgainPlan, runAgainProblems, scanRunFolders, settingsNotRecorded, type RunFolderState } from '../../src/extension/resume';

/** One folder read alone (readRunFolder), as each list of the scan sees it. */
const readInterruptedRun = (dir: string) => {
  const f = readRunFolder(dir);
  return f?.kind === 'interrupted' ? f.run : undefined;
};
const readRunInProgress = (dir: string) => {
  const f = readRunFolder(dir);
  return f?.kind === 'in-progress' ? f.run : undefined;
};
import { REPORT_FILE } from '../../src/core/report/schema';
import { buildClosedFormOnnx, writeStimuli } from '../helpers/tinyModels';
import { killedRun } from '../helpers/killedRun';
import { tempDir } from '../helpers/tempDir';

const settings = { batchSize: 2, accuracy: 'none' as const, concurrentPasses: 1, seed: 7, controls: { permutations: 1, noNonlinearity: false } };

test('a killed run is found as interrupted with its progress; a finished run and a folder without a checkpoint are not; it resumes to the fresh result', async () => {
  const { root, model, data, out, runDir: killed } = await killedRun('resume-find-', settings, 3);
  const finished = await analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings, html: false });
  fs.mkdirSync(path.join(out, 'not-a-run'));

  const scan = scanRunFolders([out, path.join(root, 'missing-root')]);
  const found = scan.interrupted;
  assert.deepEqual(found.map((r) => r.runDir), [killed], 'only the killed run');
  assert.deepEqual(scan.inProgress, [], 'no writer holds it');
  const run = found[0];
  assert.equal(run.datasetPath, data);
  assert.equal(run.modelPath, model);
  assert.ok(run.total > 0 && run.done > 0 && run.done < run.total, `progress between 0 and total: ${run.done}/${run.total}`);
  assert.ok(!Number.isNaN(Date.parse(run.startedAt)));
  const line = describeInterruptedRun(run);
  assert.equal(line.label, 'data');
  assert.match(line.description, /^tiny\.onnx · \d+(\.\d+)?% done \(\d+ of \d+ image-passes\)$/);
  assert.match(line.detail, new RegExp(`; ${killed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  assert.equal(readInterruptedRun(finished.runDir), undefined, 'a run with a report is not interrupted');

  const resumed = await analyze({ datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: killed, html: false });
  assert.deepEqual(resumed.report.passes.map((p) => p.layers.map((l) => l.psi)), finished.report.passes.map((p) => p.layers.map((l) => l.psi)));
  assert.deepEqual(scanRunFolders([out]), { interrupted: [], inProgress: [] }, 'once resumed to a report it is no longer offered');
});

test('Run again: a second run from the plan has exactly the report\'s settings, even where they differ from the defaults', async () => {
  const root = tempDir('resume-again-');
  const model = buildClosedFormOnnx(path.join(root, 'tiny.onnx'));
  const data = path.join(root, 'data');
  await writeStimuli(data);
  const out = path.join(root, 'out');
  const first = await analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings, preprocessing: { mean: [0.1, 0.2, 0.3], std: [0.5, 0.5, 0.5] }, html: false });
  const plan = runAgainPlan(first.report, first.reportPath, '/unused');
  assert.equal(plan.request.outputRoot, out, 'the rerun writes beside the report');
  assert.deepEqual(plan.notRecorded, []);
  assert.deepEqual(runAgainProblems(first.report, first.report.model.sha256), { blocking: [], warnings: [] });
  const again = await analyze({ ...plan.request, html: false });
  assert.notEqual(again.runDir, first.runDir);
  assert.deepEqual(again.report.settings, first.report.settings);
  assert.deepEqual(again.report.settings.preprocessing.mean, [0.1, 0.2, 0.3]);
  assert.equal(again.report.settings.seed, 7);
  assert.equal(again.report.model.sha256, first.report.model.sha256);
});

test('Run again says what it cannot repeat: a changed model file, a missing dataset, settings an old report lacks', () => {
  const fixture = path.join(__dirname, '..', 'fixtures', 'report', 'sample-v1.sparsity.json');
  const old = parseReportJson(fs.readFileSync(fixture, 'utf8'), fixture);
  // Not recorded by a schema-1 report: the rerun takes today's default, and says so.
  assert.deepEqual(settingsNotRecorded(old.settings), ['taps', 'tokens', 'decoding', 'controls.keepNorms']);
  const p = runAgainProblems(old, undefined);
  assert.match(p.blocking.join(' '), /dataset folder \/data\/.* no longer exists/);
  const root = tempDir('resume-changed-');
  const model = buildClosedFormOnnx(path.join(root, 'tiny.onnx'));
  const withModel = { ...old, dataset: { ...old.dataset, path: root }, model: { ...old.model, path: model } };
  const changed = runAgainProblems(withModel, 'f'.repeat(64));
  assert.deepEqual(changed.blocking, []);
  assert.match(changed.warnings[0], /changed since this report \(sha256 ffffffffffff… now, 000000000000… in the report\)/);
});

/** A writer lock as another process leaves it (core/runLock.ts's format). */
function writeLock(runDir: string, pid: number, token: string, more: { ppid?: number; forked?: boolean; hostname?: string } = {}): void {
  fs.writeFileSync(runLockPath(runDir), JSON.stringify({ pid, hostname: os.hostname(), startedAt: '2026-01-02T03:04:05.000Z', command: 'sparsity-lens analyze', version: '0', token, ...more }));
}

test('a run a live writer holds is running elsewhere, not offered for Resume; once its writer is gone (stale lock) it is offered and resuming takes the lock over', async () => {
  const { out, runDir } = await killedRun('resume-locked-', settings, 3);
  assert.deepEqual(scanRunFolders([out]).interrupted.map((r) => r.runDir), [runDir], 'offered while no one holds it');

  // Held by a live process: this test's own pid stands for another window's analysis worker.
  writeLock(runDir, process.pid, 'live-writer');
  const held = scanRunFolders([out]);
  assert.deepEqual(held.interrupted, [], 'not offered while its writer lives');
  assert.equal(readInterruptedRun(runDir), undefined);
  const elsewhere = held.inProgress;
  assert.deepEqual(elsewhere.map((r) => [r.runDir, r.lock.holder?.pid]), [[runDir, process.pid]]);
  assert.deepEqual(readRunInProgress(runDir), elsewhere[0], 'the one folder read alone says the same');
  assert.equal(
    describeRunInProgress(elsewhere[0]),
    `${runDir} is running in another window or process (pid ${process.pid} on host ${os.hostname()} since 2026-01-02T03:04:05.000Z (sparsity-lens analyze)); wait for it to finish, or stop it there.`,
  );
  const item = describeRunInProgressItem(elsewhere[0]);
  assert.equal(item.label, 'data');
  assert.match(item.description, new RegExp(`^running in another window or process: pid ${process.pid} on host `));
  assert.match(item.detail, new RegExp(`^tiny\\.onnx · \\d+(\\.\\d+)?% done \\(\\d+ of \\d+ image-passes\\) at its last checkpoint; ${runDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  // And the core refuses a resume that gets past the list (the lock was taken between list and click).
  await assert.rejects(analyze({ datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: runDir, html: false }), /is being written by another process: pid \d+/);

  const gone = spawnSync(process.execPath, ['-e', '']);
  assert.equal(gone.status, 0);
  // The analysis worker of a window that reloaded, still finishing its batch: its parent (the old
  // extension host) is gone, so it is about to stop; offered (Resume waits for it), not "running elsewhere".
  writeLock(runDir, process.pid, 'orphaned-worker', { forked: true, ppid: gone.pid as number });
  assert.deepEqual(scanRunFolders([out]).interrupted.map((r) => r.runDir), [runDir]);
  assert.deepEqual(scanRunFolders([out]).inProgress, []);
  assert.equal(readRunInProgress(runDir), undefined);
  // The same worker while its window lives is running elsewhere.
  writeLock(runDir, process.pid, 'live-worker', { forked: true, ppid: process.pid });
  assert.deepEqual(scanRunFolders([out]).interrupted, []);
  assert.equal(readRunInProgress(runDir)?.lock.holder?.token, 'live-worker');

  // The writer died (a closed window kills its worker): a pid that has exited.
  writeLock(runDir, gone.pid as number, 'dead-writer');
  assert.deepEqual(scanRunFolders([out]).interrupted.map((r) => r.runDir), [runDir], 'a stale lock does not hide it');
  assert.deepEqual(scanRunFolders([out]).inProgress, []);
  assert.equal(readRunInProgress(runDir), undefined);
  const resumed = await analyze({ datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: runDir, html: false });
  assert.equal(resumed.runDir, runDir);
  assert.equal(fs.existsSync(runLockPath(runDir)), false, 'the resumed run took the stale lock over and released it at the end');
  assert.deepEqual(scanRunFolders([out]), { interrupted: [], inProgress: [] }, 'finished');
});

test('one pass over the output roots sorts every run folder, read once, into interrupted (newest checkpoint first) or in progress elsewhere, as the single-folder readers do', async () => {
  const { root, runDir: killed } = await killedRun('resume-scan-', settings, 3);
  const gone = spawnSync(process.execPath, ['-e', '']);
  assert.equal(gone.status, 0);
  const rootA = path.join(root, 'roots', 'a');
  const rootB = path.join(root, 'roots', 'b');
  // Whole seconds: the checkpoint times below are then exact on file systems with coarse mtimes too.
  const now = Math.floor(Date.now() / 1000) * 1000;
  /** A copy of the killed run (no writer lock) whose checkpoint was last written `ageS` seconds ago. */
  const copy = (outRoot: string, name: string, ageS: number): string => {
    const dir = path.join(outRoot, name);
    fs.cpSync(killed, dir, { recursive: true });
    fs.rmSync(runLockPath(dir), { force: true });
    const when = new Date(now - ageS * 1000);
    fs.utimesSync(path.join(dir, 'state', 'state.json'), when, when);
    return dir;
  };
  const otherHostName = `not-${os.hostname()}`;
  const free = copy(rootA, 'free', 300);
  const stale = copy(rootA, 'stale-lock', 100);
  writeLock(stale, gone.pid as number, 'dead');
  const orphan = copy(rootA, 'orphaned-worker', 500);
  writeLock(orphan, process.pid, 'orphan', { forked: true, ppid: gone.pid as number });
  const live = copy(rootA, 'live-writer', 50);
  writeLock(live, process.pid, 'live');
  const otherHost = copy(rootA, 'other-host', 10);
  writeLock(otherHost, 4242, 'far', { hostname: otherHostName });
  const otherHostSilent = copy(rootB, 'other-host-silent', 200);
  writeLock(otherHostSilent, 4242, 'far-gone', { hostname: otherHostName });
  // It has not beaten for longer than the stale limit: taken over on resume, so interrupted.
  const longAgo = new Date(now - 10 * 60_000);
  fs.utimesSync(runLockPath(otherHostSilent), longAgo, longAgo);
  const liveB = copy(rootB, 'live-b', 20);
  writeLock(liveB, process.pid, 'live-b');
  const finished = copy(rootB, 'finished', 1);
  fs.writeFileSync(path.join(finished, REPORT_FILE), '{}');
  fs.mkdirSync(path.join(rootB, 'not-a-run'));
  fs.writeFileSync(path.join(rootB, 'a-file.txt'), 'not a folder');
  const folders = [free, stale, orphan, live, otherHost, otherHostSilent, liveB, finished, path.join(rootB, 'not-a-run')];

  const reads = new Map<string, number>();
  const counted = (dir: string): RunFolderState => {
    reads.set(dir, (reads.get(dir) ?? 0) + 1);
    return readRunFolder(dir);
  };
  // rootA twice and a root that does not exist: each folder still once.
  const scan = scanRunFolders([rootA, path.join(root, 'roots', 'missing'), rootB, rootA], counted);
  assert.deepEqual([...reads.keys()].sort(), [...folders].sort(), 'every sub-folder of the roots is looked at, no file');
  assert.deepEqual([...reads.values()], folders.map(() => 1), 'each run folder is read once');

  assert.deepEqual(scan.interrupted.map((r) => r.runDir), [stale, otherHostSilent, free, orphan], 'resumable ones, newest checkpoint first');
  assert.deepEqual(scan.interrupted.map((r) => r.checkpointAt), [100, 200, 300, 500].map((s) => now - s * 1000));
  assert.deepEqual(
    scan.inProgress.map((r) => [r.runDir, r.lock.state, r.lock.holder?.token]),
    [
      [live, 'live', 'live'],
      [otherHost, 'other-host', 'far'],
      [liveB, 'live', 'live-b'],
    ],
    'held ones in the roots\' order, each root as listed',
  );
  // The scan and the single-folder readers agree, folder by folder.
  for (const dir of folders) {
    const inScan = scan.interrupted.find((r) => r.runDir === dir) ?? scan.inProgress.find((r) => r.runDir === dir);
    assert.deepEqual(readInterruptedRun(dir) ?? readRunInProgress(dir), inScan, dir);
  }
  assert.deepEqual(scanRunFolders([rootA, rootB]), scan, 'the default reader gives the same lists');
});
