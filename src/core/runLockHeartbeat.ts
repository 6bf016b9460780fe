/**
 * The run lock's heartbeat (runLock.ts), in a worker thread so that a main thread held by
 * onnxruntime (a model load or a batch blocks it for up to seconds) still beats on time: every
 * `everyMs` it refreshes the lock file's mtime, as long as the lock is still ours (its token).
 * Another host's reader treats a lock that has not beaten for RUN_LOCK_STALE_MS as stale.
 */
import * as fs from 'fs';
import { workerData } from 'worker_threads';

export interface HeartbeatData {
  lockPath: string;
  token: string;
  everyMs: number;
}

/** Refreshes the lock's mtime when it still holds `token`; false when it is gone or another writer's. */
export function beat(lockPath: string, token: string, now = new Date()): boolean {
  try {
    if ((JSON.parse(fs.readFileSync(lockPath, 'utf8')) as { token?: unknown }).token !== token) return false;
    fs.utimesSync(lockPath, now, now);
    return true;
  } catch {
    // Unreadable for a moment (being replaced) or gone: the next beat tries again.
    return false;
  }
}

const data = workerData as HeartbeatData | null;
if (data && typeof data.lockPath === 'string') {
  setInterval(() => beat(data.lockPath, data.token), data.everyMs);
}
