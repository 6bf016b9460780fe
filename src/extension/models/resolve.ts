/**
 * Which model a run (or "Show Layers of Model") uses: the configured `sparsityLens.model`,
 * checked, else the user's choice in the model picker (offering to save it in the settings).
 *
 * The setting's text is parsed once, when the settings are validated (settings.modelRef); a
 * reference (torchvision:, catalog:, URL, cache:) travels on as its ModelRef — into the worker's
 * ModelResolveSpec and from there to the core's resolveModel — and is not parsed again.
 *
 * Workspace trust: in an untrusted workspace VS Code already hides the workspace's values of the
 * restricted settings (package.json capabilities.untrustedWorkspaces.restrictedConfigurations:
 * model, pythonPath, outputFolder), so a model named only by the workspace is never loaded.
 * We say so (what was ignored, why, how to trust) instead of silently asking for a model.
 * A reference that would fetch is pinned to its cached copy, or not used.
 *
 * Settings are read and written only through config.ts (readSetting, inspectSetting, updateSetting).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { ModelCache, type ModelRef } from '../../core/models';
import { inspectSetting, openSetting, openSettingWhereSet, readSetting, updateSetting } from '../config';
import { findStringSetting } from '../jsonc';
import type { Logger } from '../log';
import { resolveUserPath, SECTION, type ExtensionSettings } from '../settings';
import type { ModelResolveSpec } from '../workerProtocol';
import { DEFAULT_MAX_DOWNLOAD_MB, maxDownloadBytes, modelCacheDir, resolvePythonPath } from './environment';
import { cacheIdOfRef, isModelReference, mayFetch } from './refs';
import type { ModelSourceContext, PickedModel } from './source';
import { pickModel } from './sources';
import { manageTrust, MANAGE_TRUST, untrustedModelMessage } from './trust';

export interface ModelContext {
  workspaceFolder?: vscode.WorkspaceFolder;
  scope?: vscode.Uri;
  storageDir: vscode.Uri;
  log: Logger;
  recent: string[];
  rememberRecent(p: string): void;
  /** The answer to "save the chosen model?" remembered for this workspace (extension.ts: workspace state). */
  saveAnswer?: { get(): SaveAnswer | undefined; set(a: SaveAnswer | undefined): void };
}

/** Where the model cache is for this context. */
export function cacheDirOf(ctx: Pick<ModelContext, 'storageDir'>): string {
  return modelCacheDir(ctx.storageDir.fsPath);
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

/**
 * The model to analyse: the configured one (checked to exist), else the user's choice through
 * the model QuickPick (offering to save it in the settings). Undefined when the user gives up.
 * A reference comes back with path '' and its parsed `modelRef`, resolved later by the worker.
 */
export async function resolveModel(settings: ExtensionSettings, ctx: ModelContext): Promise<PickedModel | undefined> {
  const wsPath = ctx.workspaceFolder?.uri.fsPath;
  const hidden = modelHiddenByTrust(ctx.scope, ctx.workspaceFolder);
  if (hidden && !settings.model) {
    ctx.log.warn(untrustedModelMessage(hidden));
    const choice = await vscode.window.showWarningMessage(untrustedModelMessage(hidden), MANAGE_TRUST, 'Choose Model…');
    if (choice === MANAGE_TRUST) {
      await manageTrust();
      return undefined;
    }
    if (choice !== 'Choose Model…') return undefined;
    return chooseAndMaybeSave(ctx, false, true);
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
    return chooseAndMaybeSave(ctx, true, true);
  }
  const ref = settings.modelRef;
  if (ref && ref.kind !== 'file') return resolveModelReference(ref, settings.model, ctx);
  const p = resolveUserPath(ref?.kind === 'file' ? ref.path : settings.model, wsPath);
  if (!fs.existsSync(p) || !fs.statSync(p).isFile()) {
    const msg = `Sparsity Lens: the model file "${p}" (setting sparsityLens.model = "${settings.model}") does not exist.`;
    ctx.log.error(msg);
    const c = await vscode.window.showErrorMessage(msg, 'Open Settings', 'Choose Model…');
    // The scope that holds the wrong path (often the workspace's), not always the user's.
    if (c === 'Open Settings') await openSettingWhereSet('model', ctx.scope);
    if (c === 'Choose Model…') return chooseAndMaybeSave(ctx, true, true);
    return undefined;
  }
  return { path: p, ref: settings.model, source: 'file' };
}

/**
 * A model reference from the settings (torchvision:, catalog:, URL, cache:; `value` is its
 * text): resolved later by the analysis worker (path ''). In an untrusted workspace it may only
 * come from the cache: the reference is pinned to its `cache:<id>` so the worker cannot run
 * Python or download; when it is not cached, say why nothing happens and offer to manage trust.
 */
async function resolveModelReference(ref: ModelRef, value: string, ctx: ModelContext): Promise<PickedModel | undefined> {
  if (vscode.workspace.isTrusted || !mayFetch(ref)) return { path: '', ref: value, source: value, modelRef: ref };
  const id = cacheIdOfRef(ref);
  let cached = false;
  try {
    cached = !!id && !!new ModelCache(cacheDirOf(ctx)).get(id);
  } catch {
    cached = false;
  }
  if (id && cached) {
    ctx.log.info(`Untrusted workspace: using the cached copy of ${value} (cache:${id}); nothing is exported or downloaded.`);
    return { path: '', ref: `cache:${id}`, source: value, modelRef: { kind: 'cache', id } };
  }
  const msg =
    `The model ${value} (sparsityLens.model) is not in the model cache yet, and this workspace is not trusted: in Restricted Mode ` +
    'Sparsity Lens does not run Python or download models. Trust the workspace to get it, or choose a model file or a cached model.';
  ctx.log.warn(msg);
  const c = await vscode.window.showWarningMessage(msg, MANAGE_TRUST, 'Choose Model…');
  if (c === MANAGE_TRUST) await manageTrust();
  if (c === 'Choose Model…') return chooseAndMaybeSave(ctx, true, true);
  return undefined;
}

/** What the worker needs to resolve a reference (PickedModel with path ''), from the settings. */
export function modelResolveSpec(model: PickedModel, settings: ExtensionSettings, ctx: Pick<ModelContext, 'storageDir' | 'workspaceFolder'>): ModelResolveSpec | undefined {
  if (model.path !== '') return undefined;
  if (!model.modelRef) throw new Error(`Internal error: the model reference "${model.ref}" reached the worker spec without its parsed form.`);
  const python = resolvePythonPath(settings.pythonPath, ctx.workspaceFolder?.uri.fsPath, os.homedir());
  return { ref: model.modelRef, cacheDir: cacheDirOf(ctx), ...(python ? { pythonPath: python } : {}), maxBytes: maxDownloadBytes(settings.maxDownloadMB) };
}

/** The context the model sources (Choose Model… picker) work in. */
export function modelSourceContext(ctx: ModelContext): ModelSourceContext {
  // Raw reads: the picker opens even when other settings are invalid (the run reports those).
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

/**
 * Runs the model picker; optionally offers to store the choice in sparsityLens.model. On the way
 * to a run (`background`) the offer does not hold the run up: the run starts while it is open,
 * and an answer remembered for the workspace is applied without asking.
 */
export async function chooseAndMaybeSave(ctx: ModelContext, offerSave: boolean, background = false): Promise<PickedModel | undefined> {
  const picked = await pickModel(modelSourceContext(ctx), ctx.recent);
  if (!picked) return undefined;
  ctx.rememberRecent(picked.ref);
  if (offerSave) {
    const saving = saveModelSetting(picked.ref, ctx.workspaceFolder, true, {
      remembered: background ? ctx.saveAnswer : undefined,
      remember: ctx.saveAnswer,
      log: (l) => ctx.log.info(l),
    }).catch((e: unknown) =>
      ctx.log.error(`Saving sparsityLens.model failed: ${(e as Error).message}`),
    );
    if (!background) await saving;
  }
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

/** A remembered answer to "save the chosen model?": where to save it, or not at all. */
export type SaveAnswer = 'workspace' | 'user' | 'none';

export const SAVE_LABELS = {
  workspace: 'Save in Workspace Settings',
  user: 'Save in User Settings',
  none: "Don't Save",
  alwaysAsk: 'Always Ask',
} as const;

/**
 * Stores `p` in sparsityLens.model. With `ask`, a Quick Pick (full labels, unlike a
 * notification's buttons) offers workspace (folder) settings, user settings or not saving; the
 * answer is remembered in `remember` for the workspace, and "Always Ask" forgets it. When
 * `remembered` holds an answer it is applied without asking (the run-time offer).
 */
export async function saveModelSetting(
  p: string,
  folder: vscode.WorkspaceFolder | undefined,
  ask: boolean,
  o: { remembered?: ModelContext['saveAnswer']; remember?: ModelContext['saveAnswer']; log?: (line: string) => void } = {},
): Promise<void> {
  const { remembered, remember } = o;
  const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  const wsTarget = multiRoot ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Workspace;
  const canWorkspace = !!folder && vscode.workspace.isTrusted;
  const targetOf = (a: SaveAnswer): vscode.ConfigurationTarget | null =>
    a === 'none' ? null : a === 'workspace' && canWorkspace ? wsTarget : vscode.ConfigurationTarget.Global;
  const name = isModelReference(p) ? p : path.basename(p);
  let answer: SaveAnswer | undefined;
  if (!ask) answer = canWorkspace ? 'workspace' : 'user';
  else if (remembered?.get()) {
    answer = remembered.get();
  } else {
    type Item = vscode.QuickPickItem & { answer?: SaveAnswer; forget?: boolean };
    const items: Item[] = [];
    if (canWorkspace) {
      items.push({
        label: multiRoot ? `Save in Folder Settings (${folder!.name})` : SAVE_LABELS.workspace,
        description: multiRoot ? `${folder!.name}/.vscode/settings.json` : '.vscode/settings.json',
        answer: 'workspace',
      });
    }
    items.push({ label: SAVE_LABELS.user, description: 'every workspace that does not set its own', answer: 'user' });
    items.push({ label: SAVE_LABELS.none, description: 'use it for this run only', answer: 'none' });
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
    items.push({ label: SAVE_LABELS.alwaysAsk, description: "don't save now, and ask again next time", forget: true });
    const pick = await vscode.window.showQuickPick(items, {
      title: `Use "${name}" as the model (sparsityLens.model) from now on?`,
      placeHolder: 'Your answer is remembered for this workspace; "Choose Model…" asks again.',
      ignoreFocusOut: true,
    });
    if (!pick) return;
    if (pick.forget) {
      remember?.set(undefined);
      return;
    }
    answer = pick.answer;
    if (answer) remember?.set(answer);
  }
  if (!answer) return;
  const target = targetOf(answer);
  if (target === null) return;
  const value = target === vscode.ConfigurationTarget.Global ? p : settingPathFor(p, folder?.uri.fsPath);
  await updateSetting('model', value, target, folder?.uri);
  if (ask && remembered?.get()) o.log?.(`Saved "${name}" in sparsityLens.model (${target === vscode.ConfigurationTarget.Global ? 'user' : 'workspace'} settings), as answered before; "Choose Model…" asks again.`);
}
