/**
 * What the analysis needs to know about a model beyond its graph: preprocessing (preset <
 * cache/catalog entry < sidecar < explicit overrides, resolved in models/preprocessing.ts) and
 * an optional list of class names from the sidecar, which lets category folders named after
 * those classes be scored with the model's own output (model accuracy).
 */
import * as fs from 'fs';
import { resolvePreprocessing, sidecarPathFor } from './models/preprocessing';
import type { Preprocessing } from './types';

export function resolveModelPreprocessing(
  modelPath: string,
  preset: string,
  overrides?: Partial<Preprocessing>,
): { preprocessing: Preprocessing; labels: string[] | null; sources: string[] } {
  const { preprocessing, sources } = resolvePreprocessing({ preset, modelPath, overrides });
  let labels: string[] | null = null;
  const sidecar = sidecarPathFor(modelPath);
  if (sidecar && fs.existsSync(sidecar)) {
    try {
      const j = JSON.parse(fs.readFileSync(sidecar, 'utf8')) as { classes?: unknown };
      if (Array.isArray(j.classes) && j.classes.every((c) => typeof c === 'string')) labels = j.classes as string[];
    } catch {
      // resolvePreprocessing already reported an unreadable sidecar.
    }
  }
  return { preprocessing: { ...preprocessing }, labels, sources };
}
