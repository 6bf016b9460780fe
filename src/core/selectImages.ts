/**
 * `imagesPerCategory: N` means the first N READABLE images of a category (in name order or the
 * seeded shuffle): an unreadable file among the first N is listed as skipped and replaced by the
 * next readable one, so a category is not silently smaller than asked. Files are checked with the
 * run's own decoder (a full decode: a truncated file is only found by decoding it), a few at a time.
 */
import type { Category } from './dataset';
import { decodeImage, ImageDecodeError, type Decoding } from './decode';
import type { SkippedFile } from './report/schema';
import type { Preprocessing } from './types';

export interface Selection {
  /** New file list per category (same order as given). */
  files: string[][];
  /** Unreadable files met while selecting (each also listed in the report's skipped). */
  skipped: SkippedFile[];
  /** One sentence per category where files were replaced or too few were readable. */
  warnings: string[];
}

const CONCURRENCY = 4;

export async function selectReadable(categories: Category[], n: number, sampling: 'first' | 'random', pre: Preprocessing, decoding: Decoding | undefined, signal?: AbortSignal): Promise<Selection> {
  const files: string[][] = [];
  const skipped: SkippedFile[] = [];
  const warnings: string[] = [];
  for (const c of categories) {
    const order = c.candidates ?? c.files;
    const chosen: string[] = [];
    let bad = 0;
    let next = 0;
    while (chosen.length < n && next < order.length) {
      if (signal?.aborted) break;
      const batch = order.slice(next, next + Math.min(CONCURRENCY, n - chosen.length));
      next += batch.length;
      const results = await Promise.all(batch.map((f) => decodeImage(f, pre, decoding).then(() => undefined, (e: unknown) => e)));
      results.forEach((e, k) => {
        if (e === undefined) chosen.push(batch[k]);
        else {
          bad++;
          const reason = e instanceof ImageDecodeError ? e.message : String(e);
          skipped.push({ file: batch[k], reason, ...(e instanceof ImageDecodeError ? { kind: e.kind } : {}) });
        }
      });
    }
    // A first-N selection is already in scan order; a random sample is sorted by name, as the scan did.
    if (sampling === 'random') chosen.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    files.push(chosen);
    if (bad > 0 && chosen.length === n) warnings.push(`Category ${c.name}: ${bad} unreadable file${bad > 1 ? 's' : ''} among the images taken were replaced by the next readable ones, to use ${n} images as asked (the first ${n} readable; unreadable files are listed as skipped).`);
    if (chosen.length < n) warnings.push(`Category ${c.name} has only ${chosen.length} readable image${chosen.length === 1 ? '' : 's'} of the ${n} asked for${bad ? ` (${bad} unreadable, listed as skipped)` : ''}.`);
  }
  return { files, skipped, warnings };
}
