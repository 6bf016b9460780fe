/**
 * The extension's settings (`sparsityLens.*`): reading rules, validation and conversion to an
 * AnalyzeRequest, all derived from the settings table (src/core/settings/table.ts), as is the
 * package.json schema (configurationProperties(), written by scripts/contributes.ts). Pure
 * functions of plain objects (no `vscode` import) so they are unit-tested directly;
 * src/extension/config.ts reads the values from VS Code and calls these.
 *
 * Renamed keys (table.ts, formerKeys) are still read: the new key wins when both are set, and
 * each use of an old key gives a warning that says what to rename.
 */
import * as os from 'os';
import * as path from 'path';
import type { AnalyzeRequest } from '../core/analyzeTypes';
import { checkSetting, getPath, SETTINGS, setPath, showValue, type ExtensionSettingName, type ExtensionSettingsObject, type SettingSpec, type SettingType } from '../core/settings';
import type { ModelRef } from '../core/models/ref';
import type { Preprocessing } from '../core/types';
import { checkModelRef } from './models/refs';

export const SECTION = 'sparsityLens';

/** The settings the extension offers, in table order. */
export const EXTENSION_SETTINGS: readonly (SettingSpec & { extension: NonNullable<SettingSpec['extension']> })[] = SETTINGS.filter(
  (s): s is SettingSpec & { extension: NonNullable<SettingSpec['extension']> } => s.extension !== undefined,
);

/** Old key → the setting it was renamed to. */
export const FORMER_KEYS: ReadonlyMap<string, SettingSpec> = new Map(EXTENSION_SETTINGS.flatMap((s) => (s.extension.formerKeys ?? []).map((k) => [k, s] as const)));

/** Every key (without `sparsityLens.`) the extension reads and package.json declares: current keys, then former ones. */
export const SETTING_KEYS: readonly string[] = [...EXTENSION_SETTINGS.map((s) => s.key), ...FORMER_KEYS.keys()];
/** A current extension setting key (checked against the table at compile time). */
export type SettingKey = ExtensionSettingName;

/** The spec a key (current or former) is read with. */
function specOfKey(k: string): SettingSpec | undefined {
  return EXTENSION_SETTINGS.find((s) => s.key === k) ?? FORMER_KEYS.get(k);
}

function fromTable<T>(pick: (s: SettingSpec) => T | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of SETTING_KEYS) {
    const v = pick(specOfKey(k)!);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Defaults of every key (the schema's and the validator's). */
export const DEFAULTS: Record<string, unknown> = fromTable((s) => s.default);
/** Allowed values of the enum settings. */
export const ENUMS: Record<string, readonly string[]> = fromTable((s) => (s.type.kind === 'enum' ? s.type.values : undefined));
/** Inclusive number ranges the validator enforces (package.json minimum/maximum). */
export const RANGES: Record<string, readonly [number, number]> = fromTable((s) =>
  (s.type.kind === 'integer' || s.type.kind === 'number') && s.type.max !== undefined ? ([s.type.min, s.type.max] as const) : undefined,
);

/**
 * Settings after validation, typed from the table (one nested field per entry: `controls.permutations`
 * → `controls: { permutations }`). `null` / `''` / `'model'` mean "not set: take the model's or
 * the preset's value"; `model` is a model reference (a path, torchvision:<arch>, catalog:<id>,
 * an https URL, cache:<id>); `concurrentPasses` "auto" keeps as many passes as fit in half the RAM.
 */
export type ExtensionSettings = ExtensionSettingsObject & {
  /** `model` parsed, once, by validateSettings (null when not set); what src/extension/models/resolve.ts uses. */
  modelRef: ModelRef | null;
};

export interface SettingProblem {
  /** Full setting id, e.g. `sparsityLens.folds` (what "Open Settings" searches for). */
  setting: string;
  /** One sentence naming the setting, what is wrong and what is allowed. */
  message: string;
}

/** `warnings`: settings that work but should change (old names, old values); for the output channel. */
export type SettingsResult =
  | { ok: true; settings: ExtensionSettings; warnings: SettingProblem[] }
  | { ok: false; problems: SettingProblem[]; warnings: SettingProblem[]; settings?: undefined };

const id = (k: string): string => `${SECTION}.${k}`;

/**
 * Validates settings given as a flat object keyed by SETTING_KEYS (missing keys take DEFAULTS).
 * A former key is used when its new key is absent (config.ts leaves the new key out when the old
 * one is the more specific). Unknown keys are ignored (VS Code adds its own). Never throws.
 */
export function validateSettings(raw: Partial<Record<string, unknown>>): SettingsResult {
  const problems: SettingProblem[] = [];
  const warnings: SettingProblem[] = [];
  const values: Record<string, unknown> = {};
  /** The key each value was read from (an old name when the user still uses it). */
  const source: Record<string, string> = {};
  const bad = (k: string, what: string): void => {
    problems.push({ setting: id(k), message: `Setting ${id(k)} ${what} (it is ${showValue(raw[k])}).` });
  };

  for (const spec of EXTENSION_SETTINGS) {
    let key = spec.key;
    for (const old of spec.extension.formerKeys ?? []) {
      if (raw[old] === undefined) continue;
      if (raw[key] === undefined && key === spec.key) {
        key = old;
        warnings.push({ setting: id(old), message: `Setting ${id(old)} has been renamed to ${id(spec.key)}; it is still read, but please rename it in your settings.` });
      } else {
        warnings.push({ setting: id(old), message: `Setting ${id(old)} is ignored because its new name ${id(spec.key)} is set; remove the old one.` });
      }
    }
    source[spec.key] = key;
    let v = raw[key] === undefined ? spec.default : raw[key];
    const former = spec.extension.formerValues?.find((f) => f.value === v);
    if (former) {
      warnings.push({ setting: id(key), message: `Setting ${id(key)} is ${showValue(v)}, which is read as ${showValue(former.means)}; please write ${showValue(former.means)}.` });
      v = former.means;
    }
    const r = checkSetting(spec, v);
    if (r.ok) setPath(values, spec.key, r.value);
    else {
      bad(key, r.what);
      setPath(values, spec.key, spec.default);
    }
  }
  const settings = values as unknown as ExtensionSettings;

  // A model reference (path, torchvision:, catalog:, URL, cache:); a non-string was reported above.
  const m = checkModelRef(settings.model);
  if (!m.ok) bad(source.model, m.problem.replace(/\.$/, ''));
  settings.modelRef = m.ok ? m.ref : null;

  const pre = settings.preprocessing;
  if ((pre.width === null) !== (pre.height === null)) {
    // Name them as the user wrote the one that is set (old `preprocess.*` or new `preprocessing.*`).
    const given = source[pre.width === null ? 'preprocessing.height' : 'preprocessing.width'];
    const family = given.slice(0, given.lastIndexOf('.'));
    const missing = `${family}.${pre.width === null ? 'width' : 'height'}`;
    problems.push({
      setting: id(missing),
      message: `Settings ${id(`${family}.width`)} and ${id(`${family}.height`)} must be set together (or both null).`,
    });
  }
  return problems.length > 0 ? { ok: false, problems, warnings } : { ok: true, settings, warnings };
}

/** What config.ts needs of a VS Code WorkspaceConfiguration (so the reading rules are unit-tested). */
export interface ConfigurationView {
  get(key: string): unknown;
  inspect(key: string): { workspaceFolderValue?: unknown; workspaceValue?: unknown; globalValue?: unknown } | undefined;
}

/**
 * The raw settings validateSettings takes, from VS Code's configuration. A renamed key's get()
 * would return its schema default even when unset, so its own values are read with inspect().
 * It counts when set at a more specific level than the new key (folder over workspace over
 * user); then the new key is left out, so validateSettings reads the old one (with a warning).
 * When the new key is the more specific, the old one is passed too and reported as ignored.
 */
export function rawSettingsFrom(c: ConfigurationView): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of SETTING_KEYS) if (!FORMER_KEYS.has(k)) out[k] = c.get(k);
  const levels = ['workspaceFolderValue', 'workspaceValue', 'globalValue'] as const;
  for (const [old, spec] of FORMER_KEYS) {
    const o = c.inspect(old);
    const n = c.inspect(spec.key);
    const level = levels.find((l) => o?.[l] !== undefined || n?.[l] !== undefined);
    const oldValue = levels.map((l) => o?.[l]).find((v) => v !== undefined);
    if (oldValue === undefined || level === undefined) continue;
    out[old] = oldValue;
    if (o?.[level] !== undefined && n?.[level] === undefined) delete out[spec.key];
  }
  return out;
}

/** The JSON schema of one value type (package.json contributes.configuration). */
function jsonSchemaOf(t: SettingType, nullable: boolean): Record<string, unknown> {
  const type = (name: string) => (nullable ? [name, 'null'] : name);
  switch (t.kind) {
    case 'string':
    case 'boolean':
      return { type: type(t.kind) };
    case 'integer': {
      const n = { type: t.or ? 'integer' : type('integer'), minimum: t.min, ...(t.max !== undefined ? { maximum: t.max } : {}) };
      return t.or ? { anyOf: [n, { type: 'string', enum: [t.or] }] } : n;
    }
    case 'number':
      return { type: type('number'), minimum: t.min, maximum: t.max };
    case 'positive':
      return { type: type('number'), exclusiveMinimum: 0 };
    case 'enum':
      return { type: type('string'), enum: [...t.values], ...(t.descriptions ? { enumDescriptions: [...t.descriptions] } : {}) };
    case 'names':
      return { type: type('array'), items: { type: 'string', minLength: 1 }, uniqueItems: true };
    case 'triple':
      return { type: type('array'), minItems: 3, maxItems: 3, items: t.positive ? { type: 'number', exclusiveMinimum: 0 } : { type: 'number' } };
  }
}

/** package.json `contributes.configuration.properties`: every current key, then the former keys (marked deprecated). */
export function configurationProperties(): Record<string, Record<string, unknown>> {
  const props: Record<string, Record<string, unknown>> = {};
  const entry = (s: (typeof EXTENSION_SETTINGS)[number]) => ({
    ...jsonSchemaOf(s.type, s.nullable === true),
    default: s.default,
    scope: s.extension.scope ?? 'resource',
    ...(s.extension.order !== undefined ? { order: s.extension.order } : {}),
  });
  for (const s of EXTENSION_SETTINGS) props[id(s.key)] = { ...entry(s), markdownDescription: s.description };
  for (const [old, s] of FORMER_KEYS) {
    const { order: _order, ...rest } = entry(s as (typeof EXTENSION_SETTINGS)[number]);
    props[id(old)] = {
      ...rest,
      markdownDescription: `Former name of \`#${id(s.key)}#\`, still read. ${s.description}`,
      markdownDeprecationMessage: `Renamed to \`#${id(s.key)}#\` (same meaning); this old name is still read, but please rename it.`,
    };
  }
  return props;
}

/** Keys whose workspace values VS Code ignores in an untrusted workspace (capabilities.untrustedWorkspaces). */
export function restrictedConfigurations(): string[] {
  return EXTENSION_SETTINGS.filter((s) => s.extension.restricted).flatMap((s) => [s.key, ...(s.extension.formerKeys ?? [])]).map(id);
}

/** Expands `${workspaceFolder}`, `~` and a path relative to the workspace folder. */
export function resolveUserPath(value: string, workspaceFolder: string | undefined, home = os.homedir()): string {
  let v = value.trim();
  if (workspaceFolder) v = v.split('${workspaceFolder}').join(workspaceFolder);
  if (v === '~' || v.startsWith('~/') || v.startsWith('~\\')) v = path.join(home, v.slice(1));
  if (path.isAbsolute(v)) return path.normalize(v);
  return path.resolve(workspaceFolder ?? process.cwd(), v);
}

/**
 * Parent folder of run folders: `outputFolder` relative to the dataset's workspace folder;
 * without a workspace folder, relative to the dataset's parent folder.
 */
export function resolveOutputRoot(outputFolder: string, workspaceFolder: string | undefined, datasetPath: string): string {
  return resolveUserPath(outputFolder, workspaceFolder ?? path.dirname(datasetPath));
}

/** The AnalyzeRequest of a run: only settings that differ from "use the model's value" are sent. */
export function buildAnalyzeRequest(
  s: ExtensionSettings,
  paths: { datasetPath: string; modelPath: string; outputRoot: string; modelSource?: string },
): AnalyzeRequest {
  const settings: Record<string, unknown> = {};
  const pre: Record<string, unknown> = {};
  const flat = s as unknown as Record<string, unknown>;
  for (const spec of EXTENSION_SETTINGS) {
    if (spec.target === 'frontEnd') continue;
    const v = getPath(flat, spec.key);
    if (v === null || (spec.unset !== undefined && v === spec.unset)) continue;
    if (spec.target === 'preprocessing') pre[spec.key.slice('preprocessing.'.length)] = v;
    else setPath(settings, spec.key, Array.isArray(v) ? [...v] : v);
  }
  const req: AnalyzeRequest = {
    datasetPath: paths.datasetPath,
    modelPath: paths.modelPath,
    outputRoot: paths.outputRoot,
    settings: settings as AnalyzeRequest['settings'],
  };
  if (Object.keys(pre).length > 0) req.preprocessing = pre as Partial<Preprocessing>;
  if (paths.modelSource) req.modelSource = paths.modelSource;
  return req;
}

/**
 * Lines for the output channel: the settings a run uses, as `key=value` with the setting's own
 * names (what the user searches for in the Settings editor), every table entry included.
 */
export function describeSettings(s: ExtensionSettings): string[] {
  const flat = s as unknown as Record<string, unknown>;
  const show = (v: unknown): string => (Array.isArray(v) ? (v.length ? v.join(',') : '(model default)') : String(v));
  const pairs = (target: SettingSpec['target']) =>
    EXTENSION_SETTINGS.filter((x) => x.target === target)
      .map((x) => [x, getPath(flat, x.key)] as const)
      .filter(([x, v]) => v !== null && !(x.unset !== undefined && v === x.unset))
      .map(([x, v]) => `${target === 'preprocessing' ? x.key.slice('preprocessing.'.length) : x.key}=${show(v)}`);
  const lines: string[] = [];
  let line = '';
  for (const p of pairs('settings')) {
    if (line && line.length + p.length > 100) {
      lines.push(line);
      line = '';
    }
    line += (line ? ' ' : '') + p;
  }
  if (line) lines.push(line);
  const pre = pairs('preprocessing');
  lines.push(`preprocessing: ${pre.length ? pre.join(' ') : '(model / preset)'}`);
  return lines;
}

