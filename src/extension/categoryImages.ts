/**
 * The drill-down's thumbnails (issue 15): given a category INDEX from the webview (never a path),
 * the category's folder from the report (dataset path + the category's folder name) and the first
 * few image files in it by name. No `vscode` import: the panel turns the files into webview URIs
 * (reportPanel.ts, `webview.asWebviewUri`; the dataset folder is one of its localResourceRoots).
 *
 * Only the folder's own listing is read (one readdir), never the images, and only the files shown
 * are stat'ed. Files whose real path leaves the dataset folder (links out of it) are never shown.
 */
import * as fs from 'fs';
import * as path from 'path';
import { IMAGE_EXTENSIONS } from '../core/dataset';
import type { SparsityReport } from '../core/report/schema';

/** Thumbnails per category. */
export const THUMBNAIL_LIMIT = 12;

/** Formats the webview (Chromium) draws in an <img>; TIFF, HEIC, RAW … count as "not previewable". */
export const PREVIEWABLE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.avif', '.bmp', '.dib', '.ico']);

export type CategoryImageListing =
  | {
      ok: true;
      category: number;
      name: string;
      /** The category folder (absolute, as the report names it). */
      folder: string;
      /** Absolute paths of the files to show, in name order (at most the limit). */
      files: string[];
      /** Image files of the folder not shown: past the limit, not previewable, failed to decode, links out of the dataset. */
      more: number;
      note?: string;
    }
  | { ok: false; category: number; name: string; message: string };

/** Same order as the dataset scan (core/dataset.ts): by code point. */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function isInside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function realpathOrNull(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

/**
 * The first `limit` previewable image files of category `index` of `report`, or why there are none.
 * Files the report lists as skipped (they did not decode) are left out: they would be broken images.
 */
export function listCategoryImages(report: SparsityReport, index: number, limit = THUMBNAIL_LIMIT): CategoryImageListing {
  const cat = report.categories[index];
  if (!Number.isInteger(index) || !cat) {
    return { ok: false, category: index, name: '', message: `This report has no category #${index + 1} (it has ${report.categories.length}).` };
  }
  const name = cat.name;
  const refuse = (message: string): CategoryImageListing => ({ ok: false, category: index, name, message });
  // The name comes from the report file: one folder name, nothing that climbs out of the dataset.
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    return refuse(`The category name "${name}" is not a folder name inside the dataset folder; no thumbnails are shown for it.`);
  }
  const root = path.resolve(report.dataset.path);
  const rootReal = realpathOrNull(root);
  if (!rootReal || !fs.statSync(rootReal).isDirectory()) {
    return refuse(`The dataset folder ${root} does not exist on this machine (the report may come from another computer, or the images were moved), so its images cannot be shown.`);
  }
  const folder = path.join(root, name);
  const folderReal = realpathOrNull(folder);
  if (!folderReal) return refuse(`The category folder ${folder} does not exist any more, so its images cannot be shown.`);
  if (!isInside(rootReal, folderReal)) {
    return refuse(`The category folder ${folder} is a link to ${folderReal}, outside the dataset folder ${root}; thumbnails are only shown from inside the dataset folder.`);
  }
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(folder, { withFileTypes: true });
  } catch (e) {
    return refuse(`Cannot list ${folder}: ${(e as Error).message}`);
  }
  const skipped = new Set(report.skipped.map((s) => path.resolve(root, s.file)));
  const images = entries
    .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink()) && IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort(byName);
  const subfolders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).length;
  const files: string[] = [];
  for (const f of images) {
    if (files.length >= limit) break;
    const file = path.join(folder, f);
    if (!PREVIEWABLE_EXTENSIONS.has(path.extname(f).toLowerCase()) || skipped.has(file)) continue;
    const real = realpathOrNull(file);
    if (!real || !isInside(rootReal, real)) continue; // a broken link, or one out of the dataset folder
    try {
      if (!fs.statSync(real).isFile()) continue;
    } catch {
      continue;
    }
    files.push(file);
  }
  const notes: string[] = [];
  if (images.length === 0 && subfolders === 0) notes.push(`${folder} has no image files.`);
  if (subfolders > 0) notes.push(`Images in its ${subfolders} sub-folder${subfolders === 1 ? '' : 's'} are not listed here.`);
  return { ok: true, category: index, name, folder, files, more: images.length - files.length, ...(notes.length ? { note: notes.join(' ') } : {}) };
}
