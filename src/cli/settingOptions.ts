/**
 * The `analyze` flags that set analysis settings, derived from the settings table
 * (src/core/settings/table.ts: flags, help, default, parser). A new setting with a `cli` entry
 * appears here by itself; flags that are not settings (--model, --out, --resume …) stay in main.ts.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { AnalyzeRequest } from '../core/analyzeTypes';
import { parseCliText, SETTINGS, setPath, type SettingSpec } from '../core/settings';
import type { Preprocessing } from '../core/types';

type CliSetting = SettingSpec & { cli: NonNullable<SettingSpec['cli']> };
const CLI_SETTINGS: readonly CliSetting[] = SETTINGS.filter((s): s is CliSetting => s.cli !== undefined);

/** The commander option of a setting, or undefined when its value comes from other flags (`cli.value`). */
function optionOf(s: CliSetting): Option | undefined {
  const c = s.cli;
  if (!c.flags) return undefined;
  const o = new Option(c.flags, c.help ?? '');
  const flag = o.long ?? o.flags;
  const takesValue = o.required || o.optional;
  if (!takesValue) {
    // A switch (--permute-biases): cli.value maps true/absent to the setting's value.
  } else if (s.type.kind === 'enum' && !c.parse) {
    // The "not set" value (resize/channelOrder "model") is what leaving the flag out means.
    o.choices(s.type.values.filter((v) => v !== s.unset));
  } else {
    const parse = c.parse ?? ((text: string, f: string) => parseCliText(s, text, f));
    o.argParser((text: string) => {
      try {
        return parse(text, flag);
      } catch (e) {
        // commander reports it as a usage error (exit code 2) with the flag and the value given.
        throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
      }
    });
  }
  // As typed on the command line (commander does not parse defaults; cli.value and the core accept it).
  if (c.default !== undefined) o.default(c.default);
  return o;
}

/** Adds every setting flag of the table to `cmd` (in table order), but the settings in `except` (`submit` sets the shard itself). */
export function addSettingOptions(cmd: Command, except: readonly string[] = []): Command {
  for (const s of CLI_SETTINGS) {
    if (except.includes(s.key)) continue;
    const o = optionOf(s);
    if (o) cmd.addOption(o);
  }
  return cmd;
}

/**
 * The request's settings and preprocessing overrides from parsed options. Flags left out are left
 * out here too, so the core's preset supplies them (one place for defaults).
 */
export function settingsFromOptions(opts: Readonly<Record<string, unknown>>): {
  settings: NonNullable<AnalyzeRequest['settings']>;
  preprocessing: Partial<Preprocessing> | undefined;
} {
  const settings: Record<string, unknown> = {};
  const pre: Record<string, unknown> = {};
  for (const s of CLI_SETTINGS) {
    const own = s.cli.flags ? opts[new Option(s.cli.flags).attributeName()] : undefined;
    const v = s.cli.value ? s.cli.value(opts) : own;
    if (v === undefined) continue;
    if (s.target === 'preprocessing') pre[s.key.slice('preprocessing.'.length)] = v;
    else if (s.target === 'settings') setPath(settings, s.key, v);
  }
  return {
    settings: settings as NonNullable<AnalyzeRequest['settings']>,
    preprocessing: Object.keys(pre).length > 0 ? (pre as Partial<Preprocessing>) : undefined,
  };
}
