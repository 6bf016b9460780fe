/**
 * Analysis settings: the `liu2020` preset (METHOD.md, the default) and the merge of a
 * caller's partial settings over it. One place for defaults; CLI, extension and tests use it.
 */
import type { AnalysisSettings } from './report/schema';
import { LIU2020_PREPROCESSING, UserError } from './types';
import type { AnalyzeRequest } from './analyzeTypes';

export const PRESETS = ['liu2020'] as const;

export function presetDefaults(preset: string): AnalysisSettings {
  if (preset !== 'liu2020') {
    throw new UserError(`Unknown preset "${preset}". Available presets: ${PRESETS.join(', ')}.`, 'E_SETTINGS');
  }
  return {
    preset: 'liu2020',
    imagesPerCategory: 'all',
    sampling: 'first',
    minImagesPerCategory: 1,
    seed: 0,
    batchSize: 8,
    layers: [],
    unit: 'channel',
    preprocessing: { ...LIU2020_PREPROCESSING },
    accuracy: 'auto',
    folds: 2,
    correlation: 'pearson',
    controls: { permutations: 10, permuteTarget: 'weights', noNonlinearity: true },
    regressionGroups: ['conv', 'fc', 'all'],
    concurrentPasses: 'auto',
    referencePSI: 0.36,
  };
}

function check(cond: boolean, name: string, what: string): void {
  if (!cond) throw new UserError(`Setting ${name}: ${what}.`, 'E_SETTINGS');
}

/** Preset defaults overlaid with the request's settings, validated. Preprocessing is resolved elsewhere. */
export function resolveSettings(given: AnalyzeRequest['settings'] = {}): AnalysisSettings {
  const base = presetDefaults(given.preset ?? 'liu2020');
  const defined = <T extends object>(o: T): Partial<T> =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const s: AnalysisSettings = {
    ...base,
    ...defined({ ...given, controls: undefined }),
    controls: { ...base.controls, ...defined(given.controls ?? {}) },
    preprocessing: base.preprocessing,
  };
  const ipc = s.imagesPerCategory;
  check(ipc === 'all' || (Number.isInteger(ipc) && ipc > 0), 'imagesPerCategory', 'use "all" or a positive integer');
  check(s.sampling === 'first' || s.sampling === 'random', 'sampling', 'use "first" or "random"');
  check(Number.isInteger(s.minImagesPerCategory) && s.minImagesPerCategory >= 1, 'minImagesPerCategory', 'use a positive integer');
  check(Number.isInteger(s.seed) && s.seed >= 0, 'seed', 'use a non-negative integer');
  check(Number.isInteger(s.batchSize) && s.batchSize >= 1 && s.batchSize <= 1024, 'batchSize', 'use an integer from 1 to 1024');
  check(s.unit === 'channel' || s.unit === 'channel-position', 'unit', 'use "channel" or "channel-position"');
  check(['auto', 'model', 'decoder', 'none'].includes(s.accuracy), 'accuracy', 'use auto, model, decoder or none');
  check(Number.isInteger(s.folds) && s.folds >= 2 && s.folds <= 20, 'folds', 'use an integer from 2 to 20');
  check(s.correlation === 'pearson' || s.correlation === 'spearman', 'correlation', 'use pearson or spearman');
  check(Number.isInteger(s.controls.permutations) && s.controls.permutations >= 0, 'controls.permutations', 'use a non-negative integer');
  check(s.controls.permuteTarget === 'weights' || s.controls.permuteTarget === 'biases', 'controls.permuteTarget', 'use weights or biases');
  check(s.concurrentPasses === 'auto' || (Number.isInteger(s.concurrentPasses) && s.concurrentPasses >= 1), 'concurrentPasses', 'use "auto" or a positive integer');
  check(typeof s.referencePSI === 'number' && s.referencePSI >= 0 && s.referencePSI <= 1, 'referencePSI', 'use a number from 0 to 1');
  check(Array.isArray(s.layers) && s.layers.every((l) => typeof l === 'string'), 'layers', 'use a list of layer names');
  return s;
}
