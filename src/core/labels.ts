/**
 * Mapping category folders to model output classes (METHOD §1): ImageNet synset folder
 * names map to the standard 1000-class order; a label file (JSON or CSV) maps any other set.
 */
import * as fs from 'fs';
import * as path from 'path';
import imagenet from './data/imagenet_classes.json';
import { UserError } from './types';

export interface ClassLabel {
  index: number;
  name: string;
}

const SYNSET_INDEX: Map<string, number> = new Map(imagenet.synsets.map((s, i) => [s, i]));

export const IMAGENET_CLASS_NAMES: readonly string[] = imagenet.names;

/** `n01440764` → {index 0, name 'tench'}; undefined for any other folder name. */
export function imagenetClassOf(folderName: string): ClassLabel | undefined {
  const index = SYNSET_INDEX.get(folderName);
  return index === undefined ? undefined : { index, name: imagenet.names[index] };
}

/**
 * Reads a label file: JSON `{ "folder": index, ... }` (or `{ "folder": {"index": i, "name": n} }`),
 * or CSV/TSV lines `folder,index[,name]` (a header line is allowed).
 */
export function readLabelFile(file: string): Map<string, ClassLabel> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`Cannot read label file ${file}: ${(e as Error).message}. Check the path.`, 'E_LABELS');
  }
  const out = new Map<string, ClassLabel>();
  const bad = (what: string): never => {
    throw new UserError(
      `Label file ${file}: ${what}. Expected JSON {"folder": classIndex} or CSV lines "folder,classIndex[,name]".`,
      'E_LABELS',
    );
  };
  if (path.extname(file).toLowerCase() === '.json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      return bad(`not valid JSON (${(e as Error).message})`);
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) return bad('the top level must be an object');
    for (const [folder, v] of Object.entries(data as Record<string, unknown>)) {
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0) out.set(folder, { index: v, name: folder });
      else if (v && typeof v === 'object' && Number.isInteger((v as { index?: unknown }).index)) {
        const o = v as { index: number; name?: unknown };
        out.set(folder, { index: o.index, name: typeof o.name === 'string' ? o.name : folder });
      } else bad(`entry "${folder}" is not a non-negative integer class index`);
    }
  } else {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    lines.forEach((line, i) => {
      const cells = line.split(/[,\t]/).map((c) => c.trim());
      const index = Number(cells[1]);
      if (i === 0 && !Number.isInteger(index)) return; // header
      if (cells.length < 2 || !Number.isInteger(index) || index < 0) bad(`line ${i + 1} ("${line}") has no integer class index`);
      out.set(cells[0], { index, name: cells[2] || cells[0] });
    });
  }
  if (out.size === 0) bad('no entries');
  return out;
}
