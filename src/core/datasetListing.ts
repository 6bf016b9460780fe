/**
 * The dataset as a run found it: per category, every image file with its size and mtime, saved
 * once in the run's checkpoint (`state/dataset.json`). `--resume` scans again and compares, so a
 * run never finishes with some categories computed on the old images and the rest on new ones:
 * it refuses, naming the files that changed, unless asked to restart the changed categories.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ScanResult } from './dataset';
import { writeFileAtomic } from './fsAtomic';
import type { RunState } from './runState';
import { UserError } from './types';

export const LISTING_FILE = 'dataset.json';

export interface ListedFile {
  /** Path relative to the dataset root. */
  file: string;
  size: number;
  mtimeMs: number;
}

export interface DatasetListing {
  root: string;
  categories: { name: string; files: ListedFile[] }[];
}

/** Every image file the scan found per category (before the N-per-category selection). */
export function listingOf(scan: ScanResult): DatasetListing {
  return {
    root: scan.root,
    categories: scan.categories.map((c) => ({
      name: c.name,
      files: (c.candidates ?? c.files).map((f) => {
        let size = -1;
        let mtimeMs = -1;
        try {
          const st = fs.statSync(f);
          size = st.size;
          mtimeMs = st.mtimeMs;
        } catch {
          /* gone already: recorded as missing, so it differs from anything found later */
        }
        return { file: path.relative(scan.root, f), size, mtimeMs };
      }).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
    })),
  };
}

export function writeListing(stateDir: string, listing: DatasetListing): void {
  writeFileAtomic(path.join(stateDir, LISTING_FILE), JSON.stringify(listing));
}

/** The listing saved with the checkpoint, or undefined for runs started before it existed. */
export function readListing(stateDir: string): DatasetListing | undefined {
  const file = path.join(stateDir, LISTING_FILE);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as DatasetListing;
  } catch (e) {
    throw new UserError(`The dataset listing ${file} of this run cannot be read (${(e as Error).message}); start a new run.`, 'E_STATE');
  }
}

export interface DatasetChanges {
  /** Categories in the run that are gone, and categories that are new. */
  removedCategories: string[];
  addedCategories: string[];
  /** Per category present in both: the files added, removed or changed (size or mtime). */
  changed: { name: string; added: string[]; removed: string[]; modified: string[] }[];
}

export function compareListings(before: DatasetListing, now: DatasetListing): DatasetChanges {
  const nowBy = new Map(now.categories.map((c) => [c.name, c]));
  const beforeNames = new Set(before.categories.map((c) => c.name));
  const out: DatasetChanges = {
    removedCategories: before.categories.filter((c) => !nowBy.has(c.name)).map((c) => c.name),
    addedCategories: now.categories.filter((c) => !beforeNames.has(c.name)).map((c) => c.name),
    changed: [],
  };
  for (const b of before.categories) {
    const n = nowBy.get(b.name);
    if (!n) continue;
    const nf = new Map(n.files.map((f) => [f.file, f]));
    const bf = new Map(b.files.map((f) => [f.file, f]));
    const added = n.files.filter((f) => !bf.has(f.file)).map((f) => f.file);
    const removed = b.files.filter((f) => !nf.has(f.file)).map((f) => f.file);
    const modified = b.files.filter((f) => {
      const x = nf.get(f.file);
      return x !== undefined && (x.size !== f.size || x.mtimeMs !== f.mtimeMs);
    }).map((f) => f.file);
    if (added.length || removed.length || modified.length) out.changed.push({ name: b.name, added, removed, modified });
  }
  return out;
}

export function hasChanges(c: DatasetChanges): boolean {
  return c.removedCategories.length > 0 || c.addedCategories.length > 0 || c.changed.length > 0;
}

/** "cat_a: changed img1.png; removed img2.png; added new.png" — at most `max` files per list. */
export function describeChanges(c: DatasetChanges, max = 5): string {
  const list = (verb: string, files: string[]) => (files.length ? `${verb} ${files.slice(0, max).join(', ')}${files.length > max ? ` and ${files.length - max} more` : ''}` : '');
  const parts: string[] = [];
  if (c.removedCategories.length) parts.push(`categories gone: ${c.removedCategories.join(', ')}`);
  if (c.addedCategories.length) parts.push(`new categories: ${c.addedCategories.join(', ')}`);
  for (const x of c.changed) parts.push(`${x.name}: ${[list('changed', x.modified), list('removed', x.removed), list('added', x.added)].filter(Boolean).join('; ')}`);
  return parts.join(' | ');
}

/**
 * Makes the run redo the changed categories: categories are processed in order, so everything from
 * the first changed category on is recomputed (pass group 0 from there; later pass groups from the
 * start). Earlier categories keep their sums. `files` gives the new file list of each category.
 * Returns the names of the categories that will be recomputed.
 */
export function restartFrom(state: RunState, firstChanged: number, files: string[][]): string[] {
  const groupSize = state.meta.passGroupSize;
  let offset = 0;
  for (let c = 0; c < firstChanged; c++) offset += state.categories[c].files.length;
  state.passes.forEach((_, pi) => {
    // Pass group 0 keeps the categories before the first changed one; later groups start again.
    const from = pi < groupSize ? firstChanged : 0;
    state.taps.forEach((t, ti) => {
      state.sums[pi][ti].fill(0, from * t.units);
      state.active?.[pi][ti].fill(0, from);
    });
  });
  const redone = new Set<string>();
  for (let c = firstChanged; c < state.categories.length; c++) {
    const cat = state.categories[c];
    for (const f of cat.files) redone.add(f);
    cat.files = files[c];
    cat.images = 0;
    cat.top1 = 0;
    cat.top5 = 0;
  }
  // Features are appended in category order: the rows of recomputed categories are a suffix.
  let keep = 0;
  while (keep < state.featureRows && state.featureLabels[keep] < firstChanged) keep++;
  state.featureRows = keep;
  const names = new Set(state.categories.slice(firstChanged).map((c) => c.name));
  const dirs = state.categories.slice(firstChanged).map((c) => path.join(state.meta.datasetPath, c.name) + path.sep);
  state.skipped = state.skipped.filter((s) => !redone.has(s.file) && !dirs.some((d) => s.file.startsWith(d)));
  state.passGroup = 0;
  state.nextImage = offset;
  return [...names];
}
