/**
 * Dataset scanning (METHOD §1): categories are the immediate sub-folders of the root, sorted
 * by name; images are picked by extension. Nested folders inside a category are walked too,
 * with symlink loops broken by real-path identity, so nothing hangs or counts twice.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SeededRandom } from './random';
import { imagenetClassOf, readLabelFile, type ClassLabel } from './labels';
import { UserError } from './types';
import { DECODED_EXTENSIONS, UNSUPPORTED_EXTENSIONS } from './imageFormat';
import { REPORT_FILE, type SkippedFile } from './report/schema';

/**
 * Files taken as images: those libvips decodes and those it cannot (BMP, JPEG 2000, HEIC without
 * HEVC …), which are listed as skipped with how to convert them, so a file with an image
 * extension is never silently left out (imageFormat.ts).
 */
export const IMAGE_EXTENSIONS = new Set([...DECODED_EXTENSIONS, ...UNSUPPORTED_EXTENSIONS]);

/** Marks a Sparsity Lens run folder (a finished report or a checkpoint): never scanned as images. */
export function isRunFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, REPORT_FILE)) || fs.existsSync(path.join(dir, 'state', 'state.json'));
}

/** A folder of run folders (an output folder such as sparsity-runs/): any child is a run folder. */
function holdsRuns(dir: string): boolean {
  if (isRunFolder(dir)) return true;
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory() && isRunFolder(path.join(dir, e.name)));
  } catch {
    return false;
  }
}

export interface ScanOptions {
  /** 'all' or the number of images to take per category. */
  imagesPerCategory: number | 'all';
  /** With a number: the first N by name, or a seeded random sample. */
  sampling: 'first' | 'random';
  seed: number;
  /** Categories with fewer images are dropped (and listed). */
  minImagesPerCategory: number;
  /** JSON/CSV mapping folder → class index; synset folders map without it. */
  labelFile?: string;
  /** `i/n` (1-based): keep only every n-th category starting at i, for splitting a run across machines. */
  shard?: string;
  /** Folders never taken as categories or walked (the run's own output folder). */
  excludeDirs?: string[];
}

export interface Category {
  name: string;
  dir: string;
  /** Absolute image paths in processing order. */
  files: string[];
  /**
   * With imagesPerCategory N: every image file in the order they are taken (name order, or the
   * seeded shuffle), so unreadable ones among the first N are replaced by the next readable
   * (analyze.ts selectReadable). Absent with 'all'.
   */
  candidates?: string[];
  label?: ClassLabel;
}

export interface ScanResult {
  root: string;
  categories: Category[];
  /** Categories found before shard selection and dropping. */
  categoriesFound: number;
  imagesFound: number;
  dropped: { name: string; reason: string }[];
  /** Image files found but not usable without decoding them (broken links, duplicates in a category). */
  skipped: SkippedFile[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The image files of one category folder, nested folders walked. `seen` is per category: a file
 * reached twice inside one category (a link to a file beside it) counts once and the extra path is
 * listed as skipped; two categories may share files through links (a category is its folder's files).
 */
function listImages(dir: string, seen: Set<string>, skipped: SkippedFile[], exclude: Set<string>): string[] {
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return [];
  }
  if (seen.has(real)) return []; // symlink loop or a folder reached twice
  seen.add(real);
  if (exclude.has(real) || isRunFolder(dir)) return []; // the output folder or a run folder inside the dataset
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  const subdirs: string[] = [];
  const linkedFiles = new Set<string>();
  const sorted = entries.sort((a, b) => byName(a.name, b.name)).filter((e) => !e.name.startsWith('.'));
  const isImage = (name: string) => IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
  // Regular files claim their identity first, so a link to a file is the one dropped, not the file.
  for (const e of sorted) {
    if (e.isFile() && isImage(e.name)) seen.add(fs.realpathSync(path.join(dir, e.name)));
  }
  for (const e of sorted) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) subdirs.push(p);
    else if (e.isFile() && isImage(e.name)) files.push(p);
    else if (e.isSymbolicLink()) {
      let st: fs.Stats;
      let real: string;
      try {
        st = fs.statSync(p);
        real = fs.realpathSync(p);
      } catch {
        if (isImage(e.name)) skipped.push({ file: p, reason: `broken symbolic link (its target ${safeReadlink(p)} does not exist); fix or remove the link`, kind: 'broken-link' });
        continue;
      }
      if (st.isDirectory()) subdirs.push(p);
      else if (st.isFile() && isImage(e.name)) {
        if (!seen.has(real) && !linkedFiles.has(real)) {
          linkedFiles.add(real);
          files.push(p);
        } else {
          skipped.push({ file: p, reason: `duplicate: a link to ${real}, which this category already has; counted once`, kind: 'duplicate' });
        }
      }
    }
  }
  for (const f of files) seen.add(fs.realpathSync(f));
  for (const d of subdirs) files.push(...listImages(d, seen, skipped, exclude));
  return files;
}

function safeReadlink(p: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '?';
  }
}

export function parseShard(shard: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(shard.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UserError(`Invalid shard "${shard}": use i/n with 1 <= i <= n, e.g. 2/4.`, 'E_SHARD');
  }
  return { index, count };
}

export function scanDataset(root: string, options: ScanOptions): ScanResult {
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new UserError(`Dataset folder ${root} does not exist. Pass a folder with one sub-folder per category.`, 'E_DATASET');
  }
  if (!st.isDirectory()) {
    throw new UserError(`${root} is not a folder. Pass a folder with one sub-folder per category.`, 'E_DATASET');
  }
  const labels = options.labelFile ? readLabelFile(options.labelFile) : undefined;
  const rootReal = fs.realpathSync(root);
  const exclude = new Set((options.excludeDirs ?? []).map((d) => safeRealpath(d)));
  const dropped: ScanResult['dropped'] = [];
  const skipped: SkippedFile[] = [];
  let names = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .filter((e) => e.isDirectory() || (e.isSymbolicLink() && safeIsDir(path.join(root, e.name))))
    .map((e) => e.name)
    .sort(byName)
    .filter((name) => {
      // Run output is never a category: `analyze .` inside the dataset must not read its own reports.
      const dir = path.join(root, name);
      const why = exclude.has(safeRealpath(dir)) ? "this run's output folder" : holdsRuns(dir) ? 'holds Sparsity Lens run folders (report.sparsity.json or a checkpoint)' : undefined;
      if (why) dropped.push({ name, reason: `not a category: ${why}` });
      return !why;
    });
  const categoriesFound = names.length;
  if (options.shard) {
    const { index, count } = parseShard(options.shard);
    names = names.filter((_, i) => i % count === index - 1);
  }
  const categories: Category[] = [];
  let imagesFound = 0;
  const rng = new SeededRandom(options.seed);
  for (const name of names) {
    const dir = path.join(root, name);
    let files = listImages(dir, new Set([rootReal]), skipped, exclude);
    imagesFound += files.length;
    let candidates: string[] | undefined;
    if (typeof options.imagesPerCategory === 'number') {
      // The order in which images are taken; analyze replaces unreadable ones from the rest.
      // (The generator is only drawn from when there is a choice, so samples equal earlier versions'.)
      candidates = options.sampling === 'random' && files.length > options.imagesPerCategory ? rng.shuffle(files.slice()) : files.slice();
      files = candidates.slice(0, options.imagesPerCategory);
      if (options.sampling === 'random') files.sort(byName);
    }
    if (files.length === 0) {
      dropped.push({ name, reason: 'no image files' });
      continue;
    }
    if (files.length < options.minImagesPerCategory) {
      dropped.push({ name, reason: `${files.length} images, fewer than the minimum ${options.minImagesPerCategory}` });
      continue;
    }
    const label = labels ? labels.get(name) : imagenetClassOf(name);
    categories.push({ name, dir, files, ...(candidates ? { candidates } : {}), label });
  }
  if (categories.length < 2 && !options.shard) {
    const found = categoriesFound === 0 ? 'no sub-folders' : `${categories.length} usable categor${categories.length === 1 ? 'y' : 'ies'}`;
    throw new UserError(
      `Dataset ${root} has ${found}; at least 2 categories are needed. Put each category's images in its own sub-folder` +
        (dropped.length ? ` (dropped: ${dropped.map((d) => `${d.name}: ${d.reason}`).join('; ')})` : '') +
        '.',
      'E_DATASET',
    );
  }
  return { root, categories, categoriesFound, imagesFound, dropped, skipped };
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function safeIsDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
