/**
 * Temporary folders for tests, all removed when the test process exits (pass or fail).
 * SPARSITY_LENS_KEEP_TEMP=1 keeps them for a look after a failure.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const made: string[] = [];
let cleanupRegistered = false;

/** A new empty folder under the OS temp dir; `alsoRemove` names siblings a test may create (e.g. `-moved`). */
export function tempDir(prefix: string, alsoRemove: string[] = []): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir, ...alsoRemove.map((suffix) => dir + suffix));
  if (!cleanupRegistered && process.env.SPARSITY_LENS_KEEP_TEMP !== '1') {
    cleanupRegistered = true;
    process.on('exit', () => {
      for (const d of made) fs.rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}
