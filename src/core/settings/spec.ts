/**
 * The shape of one setting in the settings table (table.ts) and the checks and parsers that
 * every front end derives from it. No front-end code here: the extension (src/extension/settings.ts),
 * package.json (scripts/contributes.ts) and the CLI (src/cli/settingOptions.ts) each turn a
 * SettingSpec into their own form; the core (index.ts) validates analysis settings with it.
 */

/** A JSON value a setting can hold. */
export type SettingValue = string | number | boolean | null | readonly string[] | readonly number[];

/** What values a setting accepts. Every kind has one requirement sentence (requirement()). */
export type SettingType =
  /** Any string; surrounding white space is trimmed. */
  | { kind: 'string' }
  | { kind: 'boolean' }
  /** A whole number in [min, max] (max absent: no upper bound), or the word `or` ("all", "auto"). */
  | { kind: 'integer'; min: number; max?: number; or?: string }
  /** A finite number in [min, max]. */
  | { kind: 'number'; min: number; max: number }
  /** A finite number > 0. */
  | { kind: 'positive' }
  | { kind: 'enum'; values: readonly string[]; descriptions?: readonly string[] }
  /** A list of distinct non-empty names (trimmed); `item` names one in messages ("layer"). */
  | { kind: 'names'; item: string }
  /** Three numbers, RGB order (per-channel mean / std). */
  | { kind: 'triple'; positive: boolean };

/** Where a setting's value goes in an AnalyzeRequest. */
export type SettingTarget =
  /** request.settings (AnalysisSettings): part of the preset, validated by the core's resolveSettings. */
  | 'settings'
  /** request.preprocessing (an override of the model's preprocessing), key `preprocessing.<field>`. */
  | 'preprocessing'
  /** Read by a front end only (model, output folder, Python, download limit); not sent to the core. */
  | 'frontEnd';

/** How the CLI's `analyze` command offers a setting (src/cli/settingOptions.ts). */
export interface CliSpec {
  /** commander flags, e.g. `-b, --batch-size <b>`. Absent: no flag of its own (see `value`). */
  flags?: string;
  /** One line for --help. */
  help?: string;
  /** The flag's default as typed on the command line (shown by --help). Absent: the preset's value. */
  default?: string;
  /** Parses the flag's text; throws an Error whose message names the flag and what is allowed.
   *  Absent: derived from the type (parseCliText); enums become commander choices. */
  parse?: (text: string, flag: string) => unknown;
  /** The setting's value from all parsed options, for flags that feed several settings
   *  (`--controls permuted,norelu`, `--input-size`). Absent: this flag's parsed value. */
  value?: (options: Readonly<Record<string, unknown>>) => unknown;
}

/** How the extension offers a setting as `sparsityLens.<key>` (src/extension/settings.ts, package.json). */
export interface ExtensionSpec {
  /** VS Code configuration scope (default `resource`: per workspace folder). */
  scope?: 'application' | 'machine' | 'window' | 'resource';
  /** Position in the Settings editor (lower first); absent: after the ordered ones. */
  order?: number;
  /** In an untrusted workspace VS Code ignores the workspace's value (running a model, Python, downloads). */
  restricted?: boolean;
  /** Earlier names of this setting, still read (with a warning) so that users' settings keep working. */
  formerKeys?: readonly string[];
  /** Values that used to mean something else, still accepted (with a warning): e.g. 0 → "auto". */
  formerValues?: readonly { value: SettingValue; means: SettingValue }[];
}

export interface SettingSpec {
  /** One name for the concept everywhere: the AnalysisSettings path (`controls.permutations`),
   *  `preprocessing.<field>` for preprocessing overrides, and the extension key `sparsityLens.<key>`. */
  key: string;
  type: SettingType;
  /** `null` is allowed and means "not set: the model's value" (preprocessing overrides). */
  nullable?: boolean;
  /** The liu2020 preset's value (target `settings`) or the front end's default. `undefined`: none
   *  (optional AnalysisSettings fields such as labelFile). */
  default: SettingValue | undefined;
  /** A value meaning "not set: the model's or the preset's value"; never sent to the core
   *  (e.g. decoderLayer `''`, resize `model`). `null` is one when nullable. */
  unset?: SettingValue;
  /** Markdown for the Settings editor. */
  description: string;
  /** Appended to the requirement in error messages, e.g. what the usual values are. */
  hint?: string;
  /** A further check of a well-typed value: returns what is wrong ("must name a folder"), or undefined. */
  check?: (value: unknown) => string | undefined;
  target: SettingTarget;
  /** Offered by the extension as `sparsityLens.<key>`; absent: not an extension setting. */
  extension?: ExtensionSpec;
  /** Offered by `sparsity-lens analyze`; absent: not a CLI flag. */
  cli?: CliSpec;
}

/** What a value must be, as the end of "Setting X must be …", without "must be ". */
function phrase(t: SettingType): string {
  switch (t.kind) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'integer': {
      const range = t.max === undefined ? `of at least ${t.min}` : `from ${t.min} to ${t.max}`;
      return `${t.or ? `"${t.or}" or ` : ''}a whole number ${range}`;
    }
    case 'number':
      return `a number from ${t.min} to ${t.max}`;
    case 'positive':
      return 'a positive number';
    case 'enum':
      return `one of ${t.values.map((x) => `"${x}"`).join(', ')}`;
    case 'names':
      return `a list of ${t.item} names`;
    case 'triple':
      return `three ${t.positive ? 'positive ' : ''}numbers in RGB order`;
  }
}

/** "must be …" for a setting, e.g. `must be a whole number from 2 to 20`. */
export function requirement(s: Pick<SettingSpec, 'type' | 'nullable' | 'hint'>): string {
  return `must be ${s.nullable ? "null (use the model's value) or " : ''}${phrase(s.type)}${s.hint ? ` ${s.hint}` : ''}`;
}

export type CheckResult = { ok: true; value: unknown } | { ok: false; what: string };

/**
 * Checks one value against its spec. `what` completes "Setting <name> …" (e.g. `must be one of
 * "a", "b"`, `lists layer "fc1" twice`). Strings and names come back trimmed.
 */
export function checkSetting(s: Pick<SettingSpec, 'type' | 'nullable' | 'hint' | 'check'>, v: unknown): CheckResult {
  const fail: CheckResult = { ok: false, what: requirement(s) };
  if (v === null) return s.nullable ? { ok: true, value: null } : fail;
  const t = s.type;
  let value: unknown;
  switch (t.kind) {
    case 'string':
      if (typeof v !== 'string') return fail;
      value = v.trim();
      break;
    case 'boolean':
      if (typeof v !== 'boolean') return fail;
      value = v;
      break;
    case 'integer':
      if (t.or !== undefined && v === t.or) value = v;
      else if (typeof v === 'number' && Number.isInteger(v) && v >= t.min && (t.max === undefined || v <= t.max)) value = v;
      else return fail;
      break;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v) || v < t.min || v > t.max) return fail;
      value = v;
      break;
    case 'positive':
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return fail;
      value = v;
      break;
    case 'enum':
      if (typeof v !== 'string' || !t.values.includes(v)) return fail;
      value = v;
      break;
    case 'names': {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.trim().length > 0)) return fail;
      const names = v.map((x: string) => x.trim());
      const dup = names.find((x, i) => names.indexOf(x) !== i);
      if (dup !== undefined) return { ok: false, what: `lists ${t.item} "${dup}" twice` };
      value = names;
      break;
    }
    case 'triple':
      if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!t.positive || x > 0))) return fail;
      value = [v[0], v[1], v[2]];
      break;
  }
  const extra = s.check?.(value);
  return extra === undefined ? { ok: true, value } : { ok: false, what: extra };
}

/** A short rendering of a given value for messages ("(it is …)"). */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
  } catch {
    return String(v);
  }
}

/** Splits a comma list (CLI), dropping empty items. */
export function commaList(text: string): string[] {
  return text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/**
 * The value of a CLI flag's text, derived from the setting's type. Throws an Error naming the flag
 * and what is allowed. Enums are left to commander's choices; booleans are flags without a value.
 */
export function parseCliText(s: Pick<SettingSpec, 'type'>, text: string, flag: string): unknown {
  const t = s.type;
  switch (t.kind) {
    case 'integer': {
      if (t.or !== undefined && text.trim() === t.or) return t.or;
      const n = text.trim() === '' ? NaN : Number(text);
      if (Number.isInteger(n) && n >= t.min && (t.max === undefined || n <= t.max)) return n;
      // "positive" / "non-negative" keep the wording users know; the range says the rest.
      const kind = t.min === 1 ? 'a positive integer' : t.min === 0 ? 'a non-negative integer' : `an integer of at least ${t.min}`;
      const upTo = t.max === undefined ? '' : t.min <= 1 ? ` up to ${t.max}` : ` (at most ${t.max})`;
      throw new Error(`${flag} must be ${t.or ? `"${t.or}" or ` : ''}${kind}${upTo}.`);
    }
    case 'number':
    case 'positive': {
      const n = text.trim() === '' ? NaN : Number(text);
      const ok = Number.isFinite(n) && (t.kind === 'positive' ? n > 0 : n >= t.min && n <= t.max);
      if (!ok) throw new Error(`${flag} must be ${phrase(t)}.`);
      return n;
    }
    case 'names':
      return commaList(text);
    case 'triple': {
      const n = text.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
      if (n.length !== 3 || n.some((x) => !Number.isFinite(x) || (t.positive && x <= 0))) {
        throw new Error(`${flag} takes three ${t.positive ? 'positive ' : ''}numbers, e.g. ${t.positive ? '0.229,0.224,0.225' : '0.485,0.456,0.406'}.`);
      }
      return n as [number, number, number];
    }
    case 'string':
    case 'enum':
    case 'boolean':
      return text;
  }
}

// ---- Types derived from table entries (so a new entry needs no hand-written type) ----

/** The TypeScript type of a value of a SettingType. */
export type ValueOfType<T> = T extends { kind: 'string' }
  ? string
  : T extends { kind: 'boolean' }
    ? boolean
    : T extends { kind: 'integer'; or: infer W extends string }
      ? number | W
      : T extends { kind: 'integer' | 'number' | 'positive' }
        ? number
        : T extends { kind: 'enum'; values: readonly (infer V)[] }
          ? V
          : T extends { kind: 'names' }
            ? string[]
            : T extends { kind: 'triple' }
              ? [number, number, number]
              : never;

/** The type of a setting's validated value (`null` included when nullable). */
export type ValueOf<S> = S extends { type: infer T } ? ValueOfType<T> | (S extends { nullable: true } ? null : never) : never;

type Nest<K extends string, V> = K extends `${infer H}.${infer R}` ? { [P in H]: Nest<R, V> } : { [P in K]: V };
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type Expand<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]: Expand<T[K]> } : T;

/** The object of validated values of entries `S`, dotted keys nested: `controls.permutations` → `{ controls: { permutations } }`. */
export type SettingsObject<S> = Expand<UnionToIntersection<S extends { key: infer K extends string } ? Nest<K, ValueOf<S>> : never>>;
