/**
 * Analysis settings: the `liu2020` preset (METHOD.md, the default) and the merge of a caller's
 * partial settings over it, both derived from the settings table (./table.ts), which CLI,
 * extension and package.json share. See table.ts for how to add a setting.
 */
import type { AnalyzeRequest } from '../analyzeTypes';
import type { AnalysisSettings } from '../report/schema';
import { LIU2020_PREPROCESSING, UserError } from '../types';
import { checkSetting, showValue, type SettingSpec } from './spec';
import { SETTINGS } from './table';

export { SETTINGS, settingSpec, DEFAULT_MAX_DOWNLOAD_MB, type SettingName, type ExtensionSettingName, type ExtensionSettingsObject, type AnalysisSettingsObject } from './table';
export * from './spec';

export const PRESETS = ['liu2020'] as const;

/** The settings that go into AnalysisSettings (target `settings`). */
const ANALYSIS_SETTINGS: readonly SettingSpec[] = SETTINGS.filter((s) => s.target === 'settings');

/** The value at `a.b` in `o` (undefined when a part is missing). */
export function getPath(o: Record<string, unknown>, key: string): unknown {
  return key.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
}

/** Sets `a.b` in `o`, creating the nested objects on the way. */
export function setPath(o: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = o;
  for (const p of parts.slice(0, -1)) {
    if (cur[p] === null || typeof cur[p] !== 'object') cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

function copy<T>(v: T): T {
  return Array.isArray(v) ? ([...v] as T) : v;
}

export function presetDefaults(preset: string): AnalysisSettings {
  if (!(PRESETS as readonly string[]).includes(preset)) {
    throw new UserError(`Unknown preset "${preset}". Available presets: ${PRESETS.join(', ')}.`, 'E_SETTINGS');
  }
  const out: Record<string, unknown> = {};
  for (const s of ANALYSIS_SETTINGS) {
    // Optional fields (decoderLayer, labelFile, shard) have no preset value.
    if (s.default === undefined || (s.unset !== undefined && s.default === s.unset)) continue;
    setPath(out, s.key, copy(s.default));
  }
  // Preprocessing is resolved with the model's sidecar (core/models/preprocessing.ts); this is the
  // preset's. It goes after `unit`, where reports have always had it (same report.sparsity.json).
  const ordered: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(out)) {
    ordered[k] = v;
    if (k === 'unit') ordered.preprocessing = { ...LIU2020_PREPROCESSING };
  }
  return ordered as unknown as AnalysisSettings;
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
  const record = s as unknown as Record<string, unknown>;
  for (const spec of ANALYSIS_SETTINGS) {
    const v = getPath(record, spec.key);
    // Optional fields (no preset value: decoderLayer, labelFile, shard) may be absent.
    if (v === undefined && getPath(base as unknown as Record<string, unknown>, spec.key) === undefined) continue;
    const r = checkSetting(spec, v);
    if (!r.ok) throw new UserError(`Setting ${spec.key} ${r.what} (it is ${showValue(v)}).`, 'E_SETTINGS');
    // Names come back trimmed; everything else unchanged.
    if (spec.type.kind === 'names') setPath(record, spec.key, r.value);
  }
  return s;
}
