/**
 * "Sparsity Lens: Analysis Options…" (issue 15): images per category and the preprocessing mean
 * and std, which before could only be edited in settings.json. A Quick Pick of the options with
 * their values in effect, then an input box validated by the settings table
 * (analysisOptionsLogic.ts); the value is written to the Workspace settings through config.ts.
 * Offered from the Command Palette and from the report panel's header.
 */
import * as vscode from 'vscode';
import { ANALYSIS_OPTIONS, optionText, optionValueLabel, parseOptionText, type AnalysisOptionKey } from './analysisOptionsLogic';
import { inspectSetting, readSetting, updateSetting } from './config';
import type { Logger } from './log';
import { SECTION } from './settings';

interface OptionItem extends vscode.QuickPickItem {
  key: AnalysisOptionKey;
}

/** The folder whose settings are shown: the given one (the panel's dataset), else the first workspace folder. */
function scopeOf(folder?: vscode.Uri): vscode.Uri | undefined {
  if (folder && vscode.workspace.getWorkspaceFolder(folder)) return folder;
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

/**
 * Whether a folder's own settings set `key` apart from the workspace's. In a single-folder window
 * (no .code-workspace file) the folder's settings ARE the workspace settings: VS Code reports the
 * same value at both levels, which is no override.
 */
function folderOverrides(key: AnalysisOptionKey, scope?: vscode.Uri): boolean {
  return vscode.workspace.workspaceFile !== undefined && inspectSetting(key, scope)?.workspaceFolderValue !== undefined;
}

/** Where the value in effect comes from, in words (the Workspace value is what this command writes). */
function origin(key: AnalysisOptionKey, scope?: vscode.Uri): string {
  const i = inspectSetting(key, scope);
  if (folderOverrides(key, scope)) return 'folder settings';
  if (i?.workspaceFolderValue !== undefined) return 'workspace settings';
  if (i?.workspaceValue !== undefined) return 'workspace settings';
  if (i?.globalValue !== undefined) return 'user settings';
  return 'default';
}

export async function analysisOptionsCommand(log: Logger, folder?: vscode.Uri): Promise<void> {
  if (!vscode.workspace.workspaceFolders?.length) {
    void vscode.window.showErrorMessage('Sparsity Lens: Analysis Options are saved in the workspace settings: open a folder first (File > Open Folder).');
    return;
  }
  const scope = scopeOf(folder);
  // One option after another until Escape: the list comes back with the new value.
  for (;;) {
    const items: OptionItem[] = ANALYSIS_OPTIONS.map((o) => ({
      key: o.key,
      label: o.label,
      description: `${optionValueLabel(o.key, readSetting(o.key, scope))} (${origin(o.key, scope)})`,
      detail: `${SECTION}.${o.key}`,
    }));
    const pick = await vscode.window.showQuickPick(items, {
      title: 'Sparsity Lens: Analysis Options (saved in the Workspace settings, used by the next run)',
      placeHolder: 'Choose an option to change',
    });
    if (!pick) return;
    const current = readSetting(pick.key, scope);
    const option = ANALYSIS_OPTIONS.find((o) => o.key === pick.key)!;
    const text = await vscode.window.showInputBox({
      title: `Sparsity Lens: ${option.label} (${SECTION}.${pick.key})`,
      prompt: `${option.example}. Saved in the Workspace settings.`,
      value: optionText(current),
      ignoreFocusOut: true,
      validateInput: (t) => {
        const r = parseOptionText(pick.key, t);
        return r.ok ? undefined : r.message;
      },
    });
    if (text === undefined) continue;
    const parsed = parseOptionText(pick.key, text);
    if (!parsed.ok) continue; // validateInput kept Enter from accepting it
    await updateSetting(pick.key, parsed.value, vscode.ConfigurationTarget.Workspace, scope);
    const shown = optionValueLabel(pick.key, parsed.value);
    log.info(`Analysis Options: ${SECTION}.${pick.key} = ${JSON.stringify(parsed.value)} (workspace settings)`);
    const overridden = folderOverrides(pick.key, scope);
    void vscode.window.showInformationMessage(
      overridden
        ? `Sparsity Lens: ${option.label} saved in the workspace settings (${shown}), but the folder settings set it too and win for this folder.`
        : `Sparsity Lens: ${option.label} saved in the workspace settings: ${shown}. The next run uses it.`,
    );
  }
}
