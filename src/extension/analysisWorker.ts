/**
 * Entry of the analysis worker process (bundled to dist/analysisWorker.js).
 *
 * The extension host forks this file with `child_process.fork` (inside VS Code that runs the
 * Electron binary as plain Node via ELECTRON_RUN_AS_NODE=1) so that decoding images and running
 * the model (native onnxruntime / sharp / tfjs) never block the extension host and a native
 * crash cannot take it down. Jobs, progress, partial reports, logs and cancel travel over the
 * IPC channel (src/extension/workerProtocol.ts); the job logic is in workerMain.ts.
 */
import { analyze } from '../core/analyze';
import { listModelLayers } from '../core/modelInfo';
import { resolveModel } from '../core/models/resolve';
import { runWorker, type WorkerChannel } from './workerMain';

if (typeof process.send !== 'function') {
  process.stderr.write('analysisWorker: must be started with child_process.fork (needs an IPC channel)\n');
  process.exit(2);
}

// process.send is asynchronous: exiting right after a large message (the `done` result of a run
// with many passes) loses it, and the host sees "ended unexpectedly" although the report was
// written. So exit only once every message sent has been handed to the channel (or failed, when
// the parent is gone), with a bound in case a callback never comes.
let pendingSends = 0;
let exitCode: number | undefined;
const exitWhenSent = (): void => {
  if (exitCode !== undefined && pendingSends === 0) process.exit(exitCode);
};
const channel: WorkerChannel = {
  send: (m) => {
    pendingSends++;
    const sent = (): void => {
      pendingSends--;
      exitWhenSent();
    };
    try {
      process.send!(m, undefined, {}, sent);
    } catch (e) {
      sent();
      throw e;
    }
  },
  on: (event: 'message' | 'disconnect', listener: (m?: unknown) => void) => {
    process.on(event as 'message', listener as (m: unknown) => void);
  },
  exit: (code) => {
    exitCode = code;
    exitWhenSent();
    setTimeout(() => process.exit(code), 10_000).unref();
  },
};

runWorker({ analyze, listModelLayers, resolveModel }, channel, { exitAfterJob: true });
