/**
 * One writer per run folder. analyze() holds `<run>/state/writer.lock` while it writes a run (a
 * new one or a resumed one), so a second process resuming the same folder (another VS Code
 * window, a terminal, a re-queued cluster task) is refused instead of mixing two writers'
 * results in one checkpoint.
 *
 * The lock is a small JSON file (pid, hostname, start time, command, version, a random token)
 * that appears whole or not at all: it is written to a temporary file and hard-linked to its name
 * (link fails with EEXIST when the name is taken; where a file system has no hard links,
 * an exclusive create 'wx'). A lock written on this host is stale, and taken over, only when its
 * process no longer exists (process.kill(pid, 0) → ESRCH; EPERM means it exists). Another host's
 * process (a shared cluster file system) cannot be checked from here, so the holder beats: a
 * worker thread (not held up by a busy main thread) refreshes the lock's mtime every 30 s, and
 * another host's lock is stale once it has not beaten for 5 minutes (a cluster task killed by its
 * time limit or a node crash, rerun by `submit --resume` on another node). Until then it refuses,
 * and the message says which file to delete when that process is known to be gone.
 *
 * It lives in state/ (the checkpoint's folder, read only by RunState by name), so no listing of
 * the run folder's results or the merge sees it.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { UserError } from './types';
import type { HeartbeatData } from './runLockHeartbeat';
import { TOOL_VERSION } from './version';
import { workerEntry } from './workerEntry';

export const RUN_LOCK_FILE = 'writer.lock';
/** How often a holder refreshes its lock's mtime. */
export const RUN_LOCK_HEARTBEAT_MS = 30_000;
/**
 * Another host's lock (or an unreadable one) not refreshed for this long is stale: ten missed
 * beats, room for NFS attribute caching (≤ 60 s) and clock skew between nodes.
 */
export const RUN_LOCK_STALE_MS = 5 * 60_000;

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
  /** The holder's parent process and whether it was forked with an IPC channel (the extension's analysis worker). */
  ppid?: number;
  forked?: boolean;
  /**
   * Linux: which process, boot and pid namespace the pid belongs to (processIdentity), so that a
   * reused pid, a reboot, or another container with the same hostname does not look like the holder.
   */
  processStart?: string;
  bootId?: string;
  pidNamespace?: string;
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
    ppid: Number.isInteger(j.ppid) && (j.ppid as number) > 0 ? j.ppid : undefined,
    forked: j.forked === true,
    ...(typeof j.processStart === 'string' ? { processStart: j.processStart } : {}),
    ...(typeof j.bootId === 'string' ? { bootId: j.bootId } : {}),
    ...(typeof j.pidNamespace === 'string' ? { pidNamespace: j.pidNamespace } : {}),
  };
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * A process's start time in clock ticks since boot (/proc/<pid>/stat field 22), undefined where
 * /proc is not there (macOS, Windows) or the process is gone. With the boot id it tells a pid
 * reused by a later process from the one that wrote the lock.
 */
export function processStartOf(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // Field 2 (the command) is in parentheses and may itself hold spaces and ')': split after the last one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = fields[19]; // field 22; fields[0] is field 3
  return start && /^\d+$/.test(start) ? start : undefined;
}

/** This process's boot and pid namespace (Linux), recorded in the lock beside its start time. */
function processIdentity(): Pick<RunLockHolder, 'processStart' | 'bootId' | 'pidNamespace'> {
  const processStart = processStartOf(process.pid);
  const bootId = readText('/proc/sys/kernel/random/boot_id');
  let pidNamespace: string | undefined;
  try {
    pidNamespace = fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    pidNamespace = undefined;
  }
  return { ...(processStart ? { processStart } : {}), ...(bootId ? { bootId } : {}), ...(pidNamespace ? { pidNamespace } : {}) };
}

const SELF = processIdentity();

/**
 * How the holder's pid can be checked from here: 'pid' when it is this host's process list (same
 * hostname, and where recorded the same boot and pid namespace), 'beat' when not (another host, a
 * container with the same hostname, or a boot since: then only the heartbeat tells).
 */
function pidCheckable(holder: RunLockHolder): boolean {
  if (holder.hostname !== os.hostname()) return false;
  if (holder.bootId && SELF.bootId && holder.bootId !== SELF.bootId) return false;
  if (holder.pidNamespace && SELF.pidNamespace && holder.pidNamespace !== SELF.pidNamespace) return false;
  return true;
}

/** The holder is alive: its pid exists and, where its start time is recorded, is the same process (not a reused pid). */
function holderAlive(holder: RunLockHolder): boolean {
  if (!processAlive(holder.pid)) return false;
  if (!holder.processStart) return true;
  const now = processStartOf(holder.pid);
  return now === undefined || now === holder.processStart;
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

/** Milliseconds since the lock last beat (its mtime), or undefined when it is gone. */
function silentFor(lockPath: string): number | undefined {
  try {
    return Date.now() - fs.statSync(lockPath).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The lock file's state: undefined when there is none or it is stale (its writer is gone). */
function inspect(lockPath: string): RunLockStatus | undefined {
  if (!fs.existsSync(lockPath)) return undefined;
  const holder = readHolder(lockPath);
  // Same host: the pid decides (a suspended process, Ctrl-Z, does not beat but would write again when continued).
  if (holder && pidCheckable(holder)) return holderAlive(holder) ? { lockPath, holder, state: 'live' } : undefined;
  const silent = silentFor(lockPath);
  if (silent === undefined || silent > RUN_LOCK_STALE_MS) return undefined;
  return { lockPath, holder, state: holder ? 'other-host' : 'unreadable' };
}

/** What identifies the lock file seen: its token, or for an unreadable one its mtime. */
function lockIdentity(lockPath: string): string | undefined {
  const holder = readHolder(lockPath);
  if (holder) return holder.token;
  try {
    return `unreadable@${fs.statSync(lockPath).mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** Refreshes the lock's mtime while it is still ours, from a worker thread (runLockHeartbeat.ts) that does not keep the process alive. */
function startHeartbeat(lockPath: string, token: string, everyMs: number): Worker | undefined {
  const entry = workerEntry('runLockHeartbeat');
  // Without its code (a broken install) there is no beat: another host may take the lock after
  // RUN_LOCK_STALE_MS; a reader on this host checks the pid and never does.
  if (!entry) return undefined;
  try {
    const data: HeartbeatData = { lockPath, token, everyMs };
    const w = new Worker(entry.code, { eval: entry.eval, workerData: data });
    w.unref();
    w.on('error', () => undefined); // as above: no beat, never a crash
    return w;
  } catch {
    return undefined;
  }
}

/**
 * The writer holding `runDir`, when one may still be writing it: a live process on this host, or
 * a lock from another host (its pid cannot be checked) or an unreadable one refreshed within
 * RUN_LOCK_STALE_MS. undefined when the folder is free or its lock is stale (resuming takes it over).
 */
export function isRunLockedByLiveWriter(runDir: string): RunLockStatus | undefined {
  return inspect(runLockPath(runDir));
}

/**
 * A live holder that is a forked child (IPC channel) whose parent has gone: the extension's
 * analysis worker of a window that reloaded or crashed. It stops on the channel's disconnect,
 * within a batch; until then the lock is its (analyze refuses a second writer), but the UI can
 * offer Resume and wait for it (extension/resumeCommands.ts).
 */
export function isOrphanedWorker(status: RunLockStatus): boolean {
  const h = status.holder;
  return status.state === 'live' && h !== undefined && h.forked === true && h.ppid !== undefined && h.ppid > 1 && !processAlive(h.ppid);
}

/** "pid 123 on host h since 2026-…" — the holder as the UI and messages name it. */
export function describeRunLockHolder(status: RunLockStatus): string {
  const h = status.holder;
  if (!h) return `an unreadable lock ${status.lockPath}`;
  const since = h.startedAt ? ` since ${h.startedAt}` : '';
  const where =
    status.state === 'other-host'
      ? `on host ${h.hostname} (${h.hostname === os.hostname() ? 'another container, or a boot before this one, of this hostname' : 'another machine'}: whether it still runs cannot be checked from here; its lock is taken over once it has not been refreshed for ${RUN_LOCK_STALE_MS / 60_000} minutes)`
      : `on host ${h.hostname}`;
  return `pid ${h.pid} ${where}${since}${h.command ? ` (${h.command})` : ''}`;
}

function refusal(subject: string, status: RunLockStatus): UserError {
  return new UserError(
    `${subject} is being written by another process: ${describeRunLockHolder(status)}. ` +
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
  // No hard links here: exclusive create. A reader may see it empty for an instant (unreadable: held, not stale).
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
function removeStale(lockPath: string, seen: string): void {
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
    if (lockIdentity(lockPath) === seen) fs.rmSync(lockPath, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/**
 * Takes the run folder's writer lock (its state/ folder is made if missing; the run folder must
 * exist). Refuses with UserError E_RUN_LOCKED naming the holder and the lock file when another
 * writer may be alive; takes over a stale lock of this host.
 */
export function acquireRunLock(runDir: string, options: { command?: string; heartbeatMs?: number } = {}): RunLock {
  if (!fs.existsSync(runDir) || !fs.statSync(runDir).isDirectory()) {
    throw new UserError(`Run folder ${runDir} does not exist. Pass a run folder written by sparsity-lens.`, 'E_STATE');
  }
  fs.mkdirSync(path.join(runDir, 'state'), { recursive: true });
  return acquireLockFile(runLockPath(runDir), `Run folder ${runDir}`, options);
}

/**
 * The same lock at any path (its folder must exist): a cluster shard task holds one for its shard
 * (cluster/task.ts) from before its run folder exists. `subject` starts the refusal ("Run folder …").
 */
export function acquireLockFile(lockPath: string, subject: string, options: { command?: string; heartbeatMs?: number } = {}): RunLock {
  const command = options.command ?? process.argv.slice(1).join(' ');
  const holder: RunLockHolder = {
    pid: process.pid,
    hostname: os.hostname(),
    startedAt: new Date().toISOString(),
    command,
    version: TOOL_VERSION,
    token: crypto.randomBytes(12).toString('hex'),
    ppid: process.ppid,
    forked: typeof process.send === 'function',
    ...SELF,
  };
  const content = JSON.stringify(holder, null, 2) + '\n';
  for (let attempt = 0; attempt < 20; attempt++) {
    if (createExclusive(lockPath, content)) {
      const heartbeat = startHeartbeat(lockPath, holder.token, options.heartbeatMs ?? RUN_LOCK_HEARTBEAT_MS);
      return {
        lockPath,
        holder,
        release() {
          void heartbeat?.terminate();
          if (readHolder(lockPath)?.token === holder.token) fs.rmSync(lockPath, { force: true });
        },
      };
    }
    const status = inspect(lockPath);
    if (status) throw refusal(subject, status);
    const stale = lockIdentity(lockPath);
    if (stale) removeStale(lockPath, stale);
    // else it vanished meanwhile. Try again after a pause, so a taker holding the guard over a slow (network) file system can finish.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + attempt * 10);
  }
  // Only reached when others keep taking and dropping the lock as fast as this loop runs.
  throw new UserError(`${subject}: its lock ${lockPath} keeps changing (other processes are starting on it). Run one process per run folder.`, 'E_RUN_LOCKED');
}
