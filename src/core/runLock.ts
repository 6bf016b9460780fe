/**
 * One writer per run folder. analyze() holds `<run>/state/writer.lock` while it writes a run (a
 * new one or a resumed one), so a second process resuming the same folder (another VS Code
 * window, a terminal, a re-queued cluster task) is refused instead of mixing two writers'
 * results in one checkpoint.
 *
 * The lock is a small JSON file (pid, hostname, start time, command, version, a random token)
 * that appears whole or not at all: it is written to a temporary file and hard-linked to its name
 * (link fails with EEXIST when the name is taken; where a file system has no hard links,
 * an exclusive create 'wx'). A lock is stale, and taken over, only when it was written on this
 * host by a process that no longer exists (process.kill(pid, 0) → ESRCH). A lock from another
 * host (a shared cluster file system) cannot be checked from here, so it refuses; the message
 * says which file to delete when that process is known to be gone.
 *
 * It lives in state/ (the checkpoint's folder, read only by RunState by name), so no listing of
 * the run folder's results or the merge sees it.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from './types';
import { TOOL_VERSION } from './version';

export const RUN_LOCK_FILE = 'writer.lock';

/** Who holds a run folder: the content of its lock file. */
export interface RunLockHolder {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** The holder's command line (process.argv), to recognise it in a process list. */
  command: string;
  version: string;
  /** Random per acquisition: release removes the lock only when it still carries this. */
  token: string;
}

/** A lock that is not stale: held by a live process on this host, by another host, or unreadable. */
export interface RunLockStatus {
  lockPath: string;
  /** undefined when the file cannot be read as a lock (the message says to delete it). */
  holder: RunLockHolder | undefined;
  state: 'live' | 'other-host' | 'unreadable';
}

export interface RunLock {
  readonly lockPath: string;
  readonly holder: RunLockHolder;
  /** Removes the lock if it is still ours (a user may have deleted it and another run taken it). */
  release(): void;
}

export function runLockPath(runDir: string): string {
  return path.join(runDir, 'state', RUN_LOCK_FILE);
}

function readHolder(lockPath: string): RunLockHolder | undefined {
  let j: Partial<RunLockHolder>;
  try {
    j = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as Partial<RunLockHolder>;
  } catch {
    return undefined;
  }
  if (!j || typeof j !== 'object' || !Number.isInteger(j.pid) || (j.pid as number) <= 0 || typeof j.hostname !== 'string' || typeof j.token !== 'string') return undefined;
  return {
    pid: j.pid as number,
    hostname: j.hostname,
    startedAt: typeof j.startedAt === 'string' ? j.startedAt : '',
    command: typeof j.command === 'string' ? j.command : '',
    version: typeof j.version === 'string' ? j.version : '',
    token: j.token,
  };
}

/** True when a process with this pid exists on this host (EPERM: it exists, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock file's state: undefined when there is none or it is stale (its writer is gone). */
function inspect(lockPath: string): RunLockStatus | undefined {
  if (!fs.existsSync(lockPath)) return undefined;
  const holder = readHolder(lockPath);
  if (!holder) return fs.existsSync(lockPath) ? { lockPath, holder, state: 'unreadable' } : undefined;
  if (holder.hostname !== os.hostname()) return { lockPath, holder, state: 'other-host' };
  return processAlive(holder.pid) ? { lockPath, holder, state: 'live' } : undefined;
}

/**
 * The writer holding `runDir`, when one may still be writing it: a live process on this host,
 * a process on another host (it cannot be checked), or an unreadable lock. undefined when the
 * folder is free or its lock is stale (resuming it takes the lock over).
 */
export function isRunLockedByLiveWriter(runDir: string): RunLockStatus | undefined {
  return inspect(runLockPath(runDir));
}

/** "pid 123 on host h since 2026-…" — the holder as the UI and messages name it. */
export function describeRunLockHolder(status: RunLockStatus): string {
  const h = status.holder;
  if (!h) return `an unreadable lock ${status.lockPath}`;
  const since = h.startedAt ? ` since ${h.startedAt}` : '';
  const where = status.state === 'other-host' ? `on host ${h.hostname} (another machine: whether it still runs cannot be checked from here)` : `on host ${h.hostname}`;
  return `pid ${h.pid} ${where}${since}${h.command ? ` (${h.command})` : ''}`;
}

function refusal(runDir: string, status: RunLockStatus): UserError {
  return new UserError(
    `Run folder ${runDir} is being written by another process: ${describeRunLockHolder(status)}. ` +
      `A second writer would mix its results into the same checkpoint. Wait for it to finish or stop it; ` +
      `if that process is gone, delete ${status.lockPath} and try again.`,
    'E_RUN_LOCKED',
  );
}

/** Creates `lockPath` with `content` whole, or returns false when it exists. */
function createExclusive(lockPath: string, content: string): boolean {
  const tmp = `${lockPath}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, content);
  try {
    fs.linkSync(tmp, lockPath);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  // No hard links here: exclusive create. A reader may briefly see it empty (reported as unreadable, never stale).
  try {
    fs.writeFileSync(lockPath, content, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * Removes a stale lock, one taker at a time: without the guard, two processes that both saw the
 * same stale lock could each delete it and the second would delete the first's new lock. The
 * guard is held for microseconds; one older than 10 s was left by a taker that died in between.
 */
function removeStale(lockPath: string, seen: RunLockHolder): void {
  const guard = `${lockPath}.takeover`;
  try {
    fs.writeFileSync(guard, String(process.pid), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > 10_000) fs.rmSync(guard, { force: true });
    } catch {
      /* gone meanwhile */
    }
    return; // the caller looks again
  }
  try {
    if (readHolder(lockPath)?.token === seen.token) fs.rmSync(lockPath, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/**
 * Takes the run folder's writer lock (its state/ folder is made if missing; the run folder must
 * exist). Refuses with UserError E_RUN_LOCKED naming the holder and the lock file when another
 * writer may be alive; takes over a stale lock of this host.
 */
export function acquireRunLock(runDir: string, command: string = process.argv.slice(1).join(' ')): RunLock {
  if (!fs.existsSync(runDir) || !fs.statSync(runDir).isDirectory()) {
    throw new UserError(`Run folder ${runDir} does not exist. Pass a run folder written by sparsity-lens.`, 'E_STATE');
  }
  fs.mkdirSync(path.join(runDir, 'state'), { recursive: true });
  const lockPath = runLockPath(runDir);
  const holder: RunLockHolder = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString(), command, version: TOOL_VERSION, token: crypto.randomBytes(12).toString('hex') };
  const content = JSON.stringify(holder, null, 2) + '\n';
  for (let attempt = 0; attempt < 20; attempt++) {
    if (createExclusive(lockPath, content)) {
      return {
        lockPath,
        holder,
        release() {
          if (readHolder(lockPath)?.token === holder.token) fs.rmSync(lockPath, { force: true });
        },
      };
    }
    const status = inspect(lockPath);
    if (status) throw refusal(runDir, status);
    const stale = readHolder(lockPath);
    if (stale) removeStale(lockPath, stale);
    // else it vanished meanwhile: try again
  }
  // Only reached when others keep taking and dropping the lock as fast as this loop runs.
  throw new UserError(`Run folder ${runDir}: its lock ${lockPath} keeps changing (other processes are starting on it). Run one process per run folder.`, 'E_RUN_LOCKED');
}
