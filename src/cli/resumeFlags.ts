/**
 * `analyze --resume <run>` continues a run with the model, dataset and settings it started with.
 * Flags given with it that say otherwise are refused, naming each flag, the value given and the
 * run's value (a run must not silently ignore `--model other.onnx` or `-n 3`); flags that repeat
 * the run's values are accepted, so the original command line plus --resume works.
 */
import { Option, type Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { resolveSettings, SETTINGS, type SettingSpec } from '../core/settings';
import { UserError } from '../core/types';
import { settingsFromOptions } from './settingOptions';

/** Options used only to fetch or export a model; the run's model is already on disk. */
const MODEL_FETCH = new Set(['python', 'cacheDir', 'refreshModel', 'maxDownloadMb']);

interface RunMetaLike {
  datasetPath: string;
  modelPath: string;
  modelSource?: string;
  settings: Record<string, unknown>;
}

function getPath(o: Record<string, unknown>, key: string): unknown {
  return key.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
}

const show = (v: unknown) => (Array.isArray(v) ? v.join(',') || '(none)' : v === undefined ? '(not set)' : String(v));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The run's meta from its state.json (only the JSON: the binaries can be large). */
export function readRunMeta(runDir: string): RunMetaLike {
  const file = path.join(path.resolve(runDir), 'state', 'state.json');
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { meta: RunMetaLike }).meta;
  } catch (e) {
    throw new UserError(`No readable run state in ${path.dirname(file)} (${(e as Error).message}). Pass a run folder written by sparsity-lens.`, 'E_STATE');
  }
}

/**
 * Throws a UserError listing every given flag that conflicts with the run; returns notes for
 * given flags that do not apply to a resume (model fetching), to print.
 */
export function checkResumeFlags(cmd: Command, folder: string | undefined, runDir: string): string[] {
  const meta = readRunMeta(runDir);
  const o = cmd.opts() as Record<string, unknown>;
  const given = new Set(Object.keys(o).filter((k) => cmd.getOptionValueSource(k) === 'cli'));
  const conflicts: string[] = [];
  const notes: string[] = [];
  if (folder !== undefined && path.resolve(folder) !== meta.datasetPath) conflicts.push(`<folder> ${folder} (the run's dataset: ${meta.datasetPath})`);
  if (given.has('model')) {
    const m = String(o.model);
    if (path.resolve(m) !== meta.modelPath && m !== meta.modelSource) conflicts.push(`--model ${m} (the run's model: ${meta.modelSource ?? meta.modelPath})`);
  }
  if (given.has('out') && path.resolve(String(o.out)) !== path.dirname(path.resolve(runDir))) conflicts.push(`--out ${String(o.out)} (the run's folder is ${path.resolve(runDir)})`);
  // Settings: values as a new run would take them from these flags, against the run's.
  const defaultsOnly: Record<string, unknown> = {};
  for (const k of Object.keys(o)) if (!given.has(k)) defaultsOnly[k] = o[k];
  const fromAll = settingsFromOptions(o);
  const fromDefaults = settingsFromOptions(defaultsOnly);
  const presetValues = resolveSettings({});
  for (const s of SETTINGS as readonly SettingSpec[]) {
    if (!s.cli || (s.target !== 'settings' && s.target !== 'preprocessing')) continue;
    const attr = s.cli.flags ? new Option(s.cli.flags).attributeName() : undefined;
    const pick = (r: ReturnType<typeof settingsFromOptions>) => (s.target === 'preprocessing' ? r.preprocessing?.[s.key.slice('preprocessing.'.length) as keyof NonNullable<typeof r.preprocessing>] : getPath(r.settings as Record<string, unknown>, s.key));
    // Left to the preset (--controls permuted without --permutations): the preset's value.
    const raw = pick(fromAll);
    const v = raw ?? getPath(presetValues as unknown as Record<string, unknown>, s.key);
    // Given: its own flag was typed, or flags typed change it (--controls none sets permutations to 0).
    // Flags a derived setting reads (--controls for controls.permutations), found by watching value().
    const reads = new Set<string>();
    if (s.cli.value) s.cli.value(new Proxy(o, { get: (t, k) => (reads.add(String(k)), t[String(k)]) }));
    const isGiven = (attr !== undefined && given.has(attr)) || [...reads].some((k) => given.has(k)) || !same(raw, pick(fromDefaults));
    if (!isGiven || v === undefined) continue;
    const runValue = getPath(meta.settings, s.key);
    if (!same(v, runValue)) {
      const kebab = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      // Name what was typed: the setting's own flag, else the flags it is derived from.
      const typed = attr !== undefined && given.has(attr) ? [attr] : [...reads].filter((k) => given.has(k));
      const flags = typed.length ? typed.map((k) => `${kebab(k)} ${show(o[k])}`).join(' ') : `(${s.key}) ${show(v)}`;
      conflicts.push(`${flags} (the run's ${s.key}: ${show(runValue)})`);
    }
  }
  for (const k of given) {
    if (MODEL_FETCH.has(k)) notes.push(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is not used by --resume (the run's model is already on disk).`);
  }
  // Dedupe: --input-size sets width and height, both reported once each is enough.
  const unique = [...new Set(conflicts)];
  if (unique.length) {
    throw new UserError(
      `--resume continues ${path.resolve(runDir)} with the model, images and settings it started with; these flags conflict with it: ${unique.join('; ')}. ` +
        'Drop them to resume, or start a new run (without --resume) to use them.',
      'E_RESUME_FLAGS',
    );
  }
  return notes;
}
