/** Atomic file writes: write to a temp name in the same folder, fsync, rename over the target. */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from './types';

let tmpCounter = 0;

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++tmpCounter}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    // A full disk must not also be left holding our half-written temporary file.
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Creates a new folder `<parent>/<base>` or `<base>-2`, `-3`, … ; never reuses an existing one. */
export function createUniqueDir(parent: string, base: string): string {
  fs.mkdirSync(parent, { recursive: true });
  for (let k = 1; ; k++) {
    const dir = path.join(parent, k === 1 ? base : `${base}-${k}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Errors of the output folder that the user fixes (space, permissions, a file in the way). */
const OUTPUT_ERRNO: Record<string, (dir: string) => string> = {
  ENOSPC: (d) => `The disk holding ${d} is full. Free some space (or pass another folder with --out / the outputFolder setting)`,
  EDQUOT: (d) => `The disk quota for ${d} is used up. Free some space (or pass another folder with --out / the outputFolder setting)`,
  EROFS: (d) => `${d} is on a read-only file system. Pass a writable folder with --out (CLI) or the outputFolder setting (VS Code)`,
  EACCES: (d) => `No permission to write in ${d}. Pass a folder you can write to with --out / the outputFolder setting, or fix its permissions`,
  EPERM: (d) => `Writing in ${d} is not permitted. Pass a folder you can write to with --out / the outputFolder setting, or fix its permissions`,
  EEXIST: (d) => `${d} exists and is not a folder. Pass a folder (or a new name) with --out / the outputFolder setting, or move the file away`,
  ENOTDIR: (d) => `A part of ${d} is a file, not a folder. Pass a folder with --out / the outputFolder setting`,
};

/**
 * The UserError for a file-system error while writing a run (undefined when `e` is not one):
 * names the folder from the error's own path (the deepest one affected) and the fix.
 */
export function outputFolderError(e: unknown, outDir: string, o: { resumable: boolean }): UserError | undefined {
  const err = e as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof err.code !== 'string' || !OUTPUT_ERRNO[err.code]) return undefined;
  // Only errors of the output folder (or writes on a descriptor, which carry no path): EACCES on
  // the model or an image is another problem with its own message.
  const out = path.resolve(outDir);
  const p = err.path ? path.resolve(err.path) : undefined;
  // Inside the output folder, or one of its parents (a file where a parent folder should be).
  if (p && p !== out && !p.startsWith(out + path.sep) && !out.startsWith(p + path.sep)) return undefined;
  // mkdir of an existing file reports EEXIST at the file itself; other errors name the file written.
  const where = err.path && err.code !== 'ENOSPC' && err.code !== 'EDQUOT' ? (err.code === 'EEXIST' || err.syscall === 'mkdir' ? err.path : path.dirname(err.path)) : outDir;
  const resume = o.resumable ? ` Then continue the run with: sparsity-lens analyze --resume ${outDir}` : '';
  return new UserError(`Cannot write the run's files (${err.code}). ${OUTPUT_ERRNO[err.code](where)}.${resume}`, `E_OUTPUT_${err.code}`);
}
