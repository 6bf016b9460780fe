/**
 * What the analysis needs to know about a model beyond its graph: its preprocessing (preset <
 * cache/catalog entry < sidecar < explicit overrides, resolved in models/preprocessing.ts) and
 * the sidecar's optional list of output class names, which lets category folders named after
 * those classes be scored with the model's own output (model accuracy).
 */
import { resolvePreprocessing } from './models/preprocessing';
import type { ModelWeights } from './report/schema';
import type { Preprocessing } from './types';

export function resolveModelPreprocessing(
  modelPath: string,
  preset: string,
  overrides?: Partial<Preprocessing>,
): { preprocessing: Preprocessing; labels: string[] | null; sources: string[]; warnings: string[]; weights: ModelWeights | null } {
  const r = resolvePreprocessing({ preset, modelPath, overrides });
  // The sidecar's weights (pretrained which / random seed) go into the report's model section.
  return { preprocessing: { ...r.preprocessing }, labels: r.labels ?? null, sources: r.sources, warnings: r.warnings, weights: r.weights ?? null };
}
