/**
 * Reads `sparsityLens.*` from VS Code for a folder, validates it (settings.ts) and resolves the
 * model, handling workspace trust:
 *
 * In an untrusted workspace VS Code already hides the workspace's values of the restricted
 * settings (package.json capabilities.untrustedWorkspaces.restrictedConfigurations:
 * model, pythonPath, outputFolder), so a model named only by the workspace is never loaded.
 * We say so (what was ignored, why, how to trust) instead of silently asking for a model.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { ModelCache } from '../core/models/cache';
import { cacheIdOfRef, checkModelRef, DEFAULT_MAX_DOWNLOAD_MB, findStringSetting, isModelReference, maxDownloadBytes, mayFetch, modelCacheDir, resolvePythonPath } from './models/refs';
import { MANAGE_TRUST } from './models/fetch';
import { pickModel, type PickedModel } from './models/sources';
import { FORMER_KEYS, resolveUserPath, SECTION, SETTING_KEYS, validateSettings, type ExtensionSettings, type SettingKey } from './settings';
import type { Logger } from './log';
import type { ModelResolveSpec } from './workerProtocol';

/**
 * The only place that reads or writes `sparsityLens.*` in VS Code's configuration: every other
 * module calls these (so aliases of renamed keys and workspace trust are handled once).
 */

/** The raw value of every setting the extension reads, for `scope` (validate with validateSettings). */
export function readRawSettings(scope?: vscode.Uri): Record<string, unknown> {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const out: Record<string, unknown> = {};
  for (const k of SETTING_KEYS) if (!FORMER_KEYS.has(k)) out[k] = c.get(k);
  // A renamed key (settings.ts FORMER_KEYS): get() would return the schema default even when
  // unset, so read the old key's own values. It counts when it is set at a more specific level
  // than the new key (folder over workspace over user); then the new key is left out.
  const levels = ['workspaceFolderValue', 'workspaceValue', 'globalValue'] as const;
  for (const [old, spec] of FORMER_KEYS) {
    const o = c.inspect<unknown>(old);
    const n = c.inspect<unknown>(spec.key);
    const level = levels.find((l) => o?.[l] !== undefined || n?.[l] !== undefined);
    if (!level || o?.[level] === undefined) {
      const set = levels.map((l) => o?.[l]).find((v) => v !== undefined);
      if (set !== undefined) out[old] = set; // shadowed by the new key: validateSettings says it is ignored
      continue;
    }
    out[old] = o[level];
    if (n?.[level] === undefined) delete out[spec.key];
  }
  return out;
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

/** Valid settings for `scope`, or undefined after telling the user which setting is wrong. */
export async function getValidSettings(scope: vscode.Uri | undefined, log: Logger): Promise<ExtensionSettings | undefined> {
  const r = validateSettings(readRawSettings(scope));
  for (const w of r.warnings) log.warn(w.message);
  if (r.ok) return r.settings;
  for (const p of r.problems) log.error(p.message);
  const first = r.problems[0];
  const more = r.problems.length > 1 ? ` (${r.problems.length - 1} more in the "Sparsity Lens" output)` : '';
  const choice = await vscode.window.showErrorMessage(`Sparsity Lens: ${first.message}${more}`, 'Open Settings');
  if (choice === 'Open Settings') await openSetting(first.setting);
  return undefined;
}

export interface ModelContext {
  workspaceFolder?: vscode.WorkspaceFolder;
  scope?: vscode.Uri;
  storageDir: vscode.Uri;
  log: Logger;
  recent: string[];
  rememberRecent(p: string): void;
}

/** The workspace's own value of sparsityLens.model, when trust hides it. */
function modelHiddenByTrust(scope: vscode.Uri | undefined, folder: vscode.WorkspaceFolder | undefined): string | undefined {
  if (vscode.workspace.isTrusted) return undefined;
  const i = inspectSetting('model', scope);
  const v = i?.workspaceFolderValue ?? i?.workspaceValue;
  if (typeof v === 'string' && v.trim() !== '') return v;
  // VS Code keeps restricted settings of an untrusted workspace out of inspect() too: read the files.
  const files = [folder && vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json'), vscode.workspace.workspaceFile];
  for (const f of files) {
    if (!f || f.scheme !== 'file') continue;
    try {
      const found = findStringSetting(fs.readFileSync(f.fsPath, 'utf8'), `${SECTION}.model`);
      if (found) return found;
    } catch {
      /* no such file */
    }
  }
  return undefined;
}

export function untrustedModelMessage(value: string): string {
  return (
    `This workspace's settings name the model "${value}" (sparsityLens.model), but the workspace is not trusted, ` +
    'so Sparsity Lens will not load it: running a model executes its graph in native code. ' +
    'Trust the workspace (Manage Workspace Trust) to use it, or choose a model yourself.'
  );
}

/**
 * The model to analyse: the configured one (checked to exist), else the user's choice through
 * the model QuickPick (offering to save it in the settings). Undefined when the user gives up.
 */
export async function resolveModel(settings: ExtensionSettings, ctx: ModelContext): Promise<PickedModel | undefined> {
  const wsPath = ctx.workspaceFolder?.uri.fsPath;
  const hidden = modelHiddenByTrust(ctx.scope, ctx.workspaceFolder);
  if (hidden && !settings.model) {
    ctx.log.warn(untrustedModelMessage(hidden));
    const choice = await vscode.window.showWarningMessage(untrustedModelMessage(hidden), 'Manage Workspace Trust', 'Choose Model…');
    if (choice === 'Manage Workspace Trust') {
      await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    if (choice !== 'Choose Model…') return undefined;
    return chooseAndMaybeSave(ctx, false);
  }
  if (!settings.model) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: '$(folder-opened) Choose a model…', description: '.onnx or TensorFlow.js model.json', id: 'choose' },
        { label: '$(settings-gear) Open the sparsityLens.model setting', id: 'settings' },
      ],
      { title: 'Sparsity Lens: no model is configured', placeHolder: 'No model is set in sparsityLens.model. Which model should be analysed?', ignoreFocusOut: true },
    );
    if (!choice) return undefined;
    if (choice.id === 'settings') {
      await openSetting(`${SECTION}.model`);
      return undefined;
    }
    return chooseAndMaybeSave(ctx, true);
  }
  const parsed = checkModelRef(settings.model);
  const ref = parsed.ok ? parsed.ref : null;
  if (ref && ref.kind !== 'file') return resolveModelReference(settings.model, ctx);
  const p = resolveUserPath(ref?.kind === 'file' ? ref.path : settings.model, wsPath);
  if (!fs.existsSync(p) || !fs.statSync(p).isFile()) {
    const msg = `Sparsity Lens: the model file "${p}" (setting sparsityLens.model = "${settings.model}") does not exist.`;
    ctx.log.error(msg);
    const c = await vscode.window.showErrorMessage(msg, 'Open Settings', 'Choose Model…');
    if (c === 'Open Settings') await openSetting(`${SECTION}.model`);
    if (c === 'Choose Model…') return chooseAndMaybeSave(ctx, true);
    return undefined;
  }
  return { path: p, ref: settings.model, source: 'file' };
}

/** Where the model cache is for this context. */
export function cacheDirOf(ctx: Pick<ModelContext, 'storageDir'>): string {
  return modelCacheDir(ctx.storageDir.fsPath);
}

/**
 * A model reference from the settings (torchvision:, catalog:, URL, cache:): resolved later by
 * the analysis worker (path ''). In an untrusted workspace it may only come from the cache:
 * the reference is pinned to its `cache:<id>` so the worker cannot run Python or download;
 * when it is not cached, say why nothing happens and offer to manage trust.
 */
async function resolveModelReference(value: string, ctx: ModelContext): Promise<PickedModel | undefined> {
  const parsed = checkModelRef(value);
  if (!parsed.ok || !parsed.ref) return undefined;
  const ref = parsed.ref;
  if (vscode.workspace.isTrusted || !mayFetch(ref)) return { path: '', ref: value, source: value };
  const id = cacheIdOfRef(ref);
  let cached = false;
  try {
    cached = !!id && !!new ModelCache(cacheDirOf(ctx)).get(id);
  } catch {
    cached = false;
  }
  if (cached) {
    ctx.log.info(`Untrusted workspace: using the cached copy of ${value} (cache:${id}); nothing is exported or downloaded.`);
    return { path: '', ref: `cache:${id}`, source: value };
  }
  const msg =
    `The model ${value} (sparsityLens.model) is not in the model cache yet, and this workspace is not trusted: in Restricted Mode ` +
    'Sparsity Lens does not run Python or download models. Trust the workspace to get it, or choose a model file or a cached model.';
  ctx.log.warn(msg);
  const c = await vscode.window.showWarningMessage(msg, MANAGE_TRUST, 'Choose Model…');
  if (c === MANAGE_TRUST) await vscode.commands.executeCommand('workbench.trust.manage');
  if (c === 'Choose Model…') return chooseAndMaybeSave(ctx, true);
  return undefined;
}

/** What the worker needs to resolve a reference (PickedModel with path ''), from the settings. */
export function modelResolveSpec(model: PickedModel, settings: ExtensionSettings, ctx: Pick<ModelContext, 'storageDir' | 'workspaceFolder'>): ModelResolveSpec | undefined {
  if (model.path !== '') return undefined;
  const python = resolvePythonPath(settings.pythonPath, ctx.workspaceFolder?.uri.fsPath, os.homedir());
  return { ref: model.ref, cacheDir: cacheDirOf(ctx), ...(python ? { pythonPath: python } : {}), maxBytes: maxDownloadBytes(settings.maxDownloadMB) };
}

/** The context the model sources (Choose Model… picker) work in. */
export function modelSourceContext(ctx: ModelContext) {
  const mb = readSetting('maxDownloadMB', ctx.scope);
  const python = readSetting('pythonPath', ctx.scope);
  return {
    workspaceFolder: ctx.workspaceFolder?.uri,
    storageDir: ctx.storageDir,
    cacheDir: cacheDirOf(ctx),
    pythonPath: resolvePythonPath(typeof python === 'string' ? python : '', ctx.workspaceFolder?.uri.fsPath, os.homedir()) ?? '',
    maxDownloadBytes: maxDownloadBytes(typeof mb === 'number' && Number.isInteger(mb) && mb >= 1 ? mb : DEFAULT_MAX_DOWNLOAD_MB),
    trusted: vscode.workspace.isTrusted,
    log: (l: string) => ctx.log.info(l),
    showLog: () => ctx.log.show(),
  };
}

/** Runs the model picker; optionally offers to store the choice in sparsityLens.model. */
export async function chooseAndMaybeSave(ctx: ModelContext, offerSave: boolean): Promise<PickedModel | undefined> {
  const picked = await pickModel(modelSourceContext(ctx), ctx.recent);
  if (!picked) return undefined;
  ctx.rememberRecent(picked.ref);
  if (offerSave) await saveModelSetting(picked.ref, ctx.workspaceFolder, true);
  return picked;
}

/** A path for the setting: relative to the workspace folder when inside it. Model references stay as they are. */
export function settingPathFor(p: string, workspaceFolder: string | undefined): string {
  if (isModelReference(p)) return p;
  if (workspaceFolder) {
    const rel = path.relative(workspaceFolder, p);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  }
  return p;
}

export async function saveModelSetting(p: string, folder: vscode.WorkspaceFolder | undefined, ask: boolean): Promise<void> {
  const options: { label: string; target: vscode.ConfigurationTarget | null }[] = [];
  if (folder && vscode.workspace.isTrusted) {
    options.push({
      label: vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders.length > 1 ? `Save in Folder Settings (${folder.name})` : 'Save in Workspace Settings',
      target: vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders.length > 1 ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Workspace,
    });
  }
  options.push({ label: 'Save in User Settings', target: vscode.ConfigurationTarget.Global });
  if (ask) options.push({ label: 'Only for This Run', target: null });
  const pick = ask
    ? await vscode.window.showInformationMessage(`Use "${isModelReference(p) ? p : path.basename(p)}" as the model (sparsityLens.model) from now on?`, ...options.map((o) => o.label))
    : options[0].label;
  const opt = options.find((o) => o.label === pick);
  if (!opt || opt.target === null) return;
  const value = opt.target === vscode.ConfigurationTarget.Global ? p : settingPathFor(p, folder?.uri.fsPath);
  await updateSetting('model', value, opt.target, folder?.uri);
}
