/**
 * Where a worker thread's code is: dist/<name>.js beside the bundle (extension, CLI, analysis
 * worker: every node bundle is in dist/), or the TypeScript source beside this file when running
 * from src/ under tsx (tests, bench). Then a one-line bootstrap registers tsx's require hook in the
 * worker first (an --import in execArgv does not reach workers here). Each worker is a source file
 * of its own, so it is typechecked and bundled like the rest (scripts/build.mjs lists them).
 */
import * as fs from 'fs';
import * as path from 'path';

/** The worker entries scripts/build.mjs bundles (src/core/<name>.ts → dist/<name>.js). */
export type WorkerName = 'shuffleWorker' | 'runLockHeartbeat';

/** Arguments for `new Worker(code, { eval })`, or null when neither the bundle nor tsx is there. */
export function workerEntry(name: WorkerName): { code: string; eval: boolean } | null {
  const js = path.join(__dirname, `${name}.js`);
  if (fs.existsSync(js)) return { code: js, eval: false };
  const ts = path.join(__dirname, `${name}.ts`);
  if (!fs.existsSync(ts)) return null;
  let tsx: string;
  try {
    tsx = require.resolve('tsx/cjs');
  } catch {
    return null;
  }
  return { code: `require(${JSON.stringify(tsx)}); require(${JSON.stringify(ts)});`, eval: true };
}
