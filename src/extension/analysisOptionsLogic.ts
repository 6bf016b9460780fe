/**
 * The pure half of "Sparsity Lens: Analysis Options…" (analysisOptions.ts): which options it
 * offers, how a value is shown in its input box, and how typed text becomes a setting value.
 * Validation is the settings table's (core/settings: checkSetting), so the command accepts exactly
 * what settings.json, the CLI and a run accept. No `vscode` here (unit-tested in node).
 */
import { checkSetting, settingSpec, type SettingSpec } from '../core/settings';
import { SECTION, type SettingKey } from './settings';

/** The options the command edits: the analysis options that had no UI but settings.json (issue 15). */
export const ANALYSIS_OPTIONS = [
  { key: 'imagesPerCategory', label: 'Images per category', example: '`all` or a whole number, e.g. 50' },
  { key: 'preprocessing.mean', label: 'Preprocessing mean', example: 'three numbers in RGB order, e.g. 0.485, 0.456, 0.406; empty: the model\'s' },
  { key: 'preprocessing.std', label: 'Preprocessing std', example: 'three positive numbers in RGB order, e.g. 0.229, 0.224, 0.225; empty: the model\'s' },
] as const satisfies readonly { key: SettingKey; label: string; example: string }[];

export type AnalysisOptionKey = (typeof ANALYSIS_OPTIONS)[number]['key'];

/** A setting value as the input box shows it: `all`, `50`, `0.485, 0.456, 0.406`, `` for null (the model's). */
export function optionText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((x) => String(x)).join(', ');
  return String(value);
}

/** What the pick list says of a current value. */
export function optionValueLabel(key: AnalysisOptionKey, value: unknown): string {
  if (value === null || value === undefined) return key.startsWith('preprocessing.') ? "the model's (not set)" : 'not set';
  return optionText(value);
}

export type ParsedOption = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * The value of typed text for `key`, checked against the settings table. Empty text is `null`
 * (the model's value) where the setting allows it. The message names the setting and what it takes.
 */
export function parseOptionText(key: AnalysisOptionKey, text: string): ParsedOption {
  const spec: SettingSpec = settingSpec(key);
  const t = text.trim();
  let value: unknown;
  if (t === '') {
    if (!spec.nullable) return { ok: false, message: `${SECTION}.${key} needs a value: ${exampleOf(key)}.` };
    value = null;
  } else if (spec.type.kind === 'triple') {
    const parts = t.split(/[\s,;]+/).filter(Boolean);
    value = parts.map((x) => (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(x) ? Number(x) : NaN));
  } else if (spec.type.kind === 'integer') {
    value = spec.type.or !== undefined && t.toLowerCase() === spec.type.or ? spec.type.or : /^[-+]?\d+$/.test(t) ? Number(t) : NaN;
  } else {
    value = t;
  }
  const checked = checkSetting(spec, value);
  if (!checked.ok) return { ok: false, message: `${SECTION}.${key} ${checked.what} (${exampleOf(key)}).` };
  return { ok: true, value: checked.value };
}

function exampleOf(key: AnalysisOptionKey): string {
  return ANALYSIS_OPTIONS.find((o) => o.key === key)!.example;
}
