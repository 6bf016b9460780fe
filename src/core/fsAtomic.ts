/** Atomic file writes: write to a temp name in the same folder, fsync, rename over the target. */
import * as fs from 'fs';
import * as path from 'path';

let tmpCounter = 0;

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++tmpCounter}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
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
