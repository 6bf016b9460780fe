/**
 * Reads `sparsityLens.*` from VS Code for a folder and validates it (settings.ts). Which model a
 * run uses, and workspace trust for models, is src/extension/models/resolve.ts.
 */
import * as vscode from 'vscode';
import { rawSettingsFrom, SECTION, validateSettings, type ExtensionSettings, type SettingKey } from './settings';
import type { Logger } from './log';
import { effectiveScope } from './runLogic';

/**
 * The only place that reads or writes `sparsityLens.*` in VS Code's configuration: every other
 * module calls these (so aliases of renamed keys and workspace trust are handled once).
 */

/** The raw value of every setting the extension reads, for `scope` (validate with validateSettings). */
export function readRawSettings(scope?: vscode.Uri): Record<string, unknown> {
  // Renamed keys are read by their old names too (settings.ts rawSettingsFrom).
  return rawSettingsFrom(vscode.workspace.getConfiguration(SECTION, scope));
}

/** One setting's raw value for `scope` (the user's, else the package.json default). Unvalidated: check its type. */
export function readSetting(key: SettingKey, scope?: vscode.Uri): unknown {
  return vscode.workspace.getConfiguration(SECTION, scope).get(key);
}

/** What VS Code knows of one key for `scope`: its value at each level (default, user, workspace, folder). */
export function inspectSetting(key: SettingKey, scope?: vscode.Uri) {
  return vscode.workspace.getConfiguration(SECTION, scope).inspect<unknown>(key);
}

/** Writes one setting at `target` (folder, workspace or user settings). */
export async function updateSetting(key: SettingKey, value: unknown, target: vscode.ConfigurationTarget, scope?: vscode.Uri): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION, scope).update(key, value, target);
}

export async function openSetting(setting: string): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openSettings', setting);
}

/**
 * Opens the Settings editor on `key` in the scope that holds its value in effect for `scope`
 * (folder, workspace or user settings), so a wrong value is shown where it can be fixed.
 */
export async function openSettingWhereSet(key: SettingKey | string, scope?: vscode.Uri): Promise<void> {
  const query = `${SECTION}.${key}`;
  // Any key the extension reads (former names too), so the raw inspect rather than inspectSetting's typed key.
  const where = effectiveScope(vscode.workspace.getConfiguration(SECTION, scope).inspect<unknown>(key), (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
  const command =
    where === 'folder' ? 'workbench.action.openFolderSettings' : where === 'workspace' ? 'workbench.action.openWorkspaceSettings' : 'workbench.action.openSettings';
  await vscode.commands.executeCommand(command, { query });
}

/** Valid settings for `scope`, or undefined after telling the user which setting is wrong. */
export async function getValidSettings(scope: vscode.Uri | undefined, log: Logger): Promise<ExtensionSettings | undefined> {
  const r = validateSettings(readRawSettings(scope));
  for (const w of r.warnings) log.warn(w.message);
  if (r.ok) return r.settings;
  for (const p of r.problems) log.error(p.message);
  const first = r.problems[0];
  const more = r.problems.length > 1 ? ` (${r.problems.length - 1} more in the "Sparsity Lens" output)` : '';
  const choice = await vscode.window.showErrorMessage(`Sparsity Lens: ${first.message}${more}`, 'Open Settings');
  if (choice === 'Open Settings') {
    const key = first.setting.startsWith(`${SECTION}.`) ? first.setting.slice(SECTION.length + 1) : first.setting;
    await openSettingWhereSet(key, scope);
  }
  return undefined;
}
