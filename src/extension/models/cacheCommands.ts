/**
 * "Sparsity Lens: Manage Cached Models" (sparsityLens.manageModels): the model cache in the
 * extension's globalStorage, listed with id, source, size, date and sha256 prefix. Each entry
 * has buttons to verify (re-hash its files against the index) and delete (after a confirm);
 * choosing an entry offers those and "Use as the Model", "Copy Path", "Reveal".
 * Nothing here runs Python or downloads, so it works in untrusted workspaces too.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { formatBytes, ModelCache, type CacheEntry, type VerifyResult } from '../../core/models';
import { CancelledError, UserError } from '../../core/types';
import type { CommandEnv } from '../commands';
import { readSetting } from '../config';
import { refForCacheEntry } from './refs';
import { cacheDirOf, saveModelSetting } from './resolve';
import { cacheEntryDescription } from './text';

type Action = 'menu' | 'verify' | 'delete' | 'use' | 'copy' | 'reveal' | 'verifyAll' | 'openFolder';

interface EntryItem extends vscode.QuickPickItem {
  entry?: CacheEntry;
}

const VERIFY_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('verified'), tooltip: 'Verify (re-hash the files)' };
const DELETE_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: 'Delete from the cache…' };
const VERIFY_ALL_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('checklist'), tooltip: 'Verify all cached models' };
const OPEN_FOLDER_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('folder-opened'), tooltip: 'Open the cache folder' };

function currentFolder(): vscode.WorkspaceFolder | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  return (active && vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
}

/** One QuickPick round: resolves with what the user asked for, or undefined when closed. */
function showCacheList(entries: CacheEntry[], cacheDir: string): Promise<{ action: Action; entry?: CacheEntry } | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<EntryItem>();
    qp.title = `Sparsity Lens: Cached Models (${entries.length}, ${formatBytes(entries.reduce((s, e) => s + e.size, 0))})`;
    qp.placeholder = `Choose a model for more actions (buttons: verify, delete) — cache ${cacheDir}`;
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    qp.ignoreFocusOut = true;
    qp.buttons = [VERIFY_ALL_BUTTON, OPEN_FOLDER_BUTTON];
    qp.items = entries.map((e) => ({
      label: e.label ?? e.id,
      description: e.id,
      detail: `${cacheEntryDescription(e)} · ${refForCacheEntry(e)}${e.source === 'file' ? ' (your file, not copied)' : ''}`,
      buttons: [VERIFY_BUTTON, DELETE_BUTTON],
      entry: e,
    }));
    let done = false;
    const finish = (v: { action: Action; entry?: CacheEntry } | undefined): void => {
      if (done) return;
      done = true;
      resolve(v);
      qp.hide();
    };
    qp.onDidTriggerItemButton((ev) => finish({ action: ev.button === DELETE_BUTTON ? 'delete' : 'verify', entry: ev.item.entry }));
    qp.onDidTriggerButton((b) => finish({ action: b === VERIFY_ALL_BUTTON ? 'verifyAll' : 'openFolder' }));
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0];
      if (item?.entry) finish({ action: 'menu', entry: item.entry });
    });
    qp.onDidHide(() => {
      finish(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

async function chooseAction(e: CacheEntry): Promise<Action | undefined> {
  const items: (vscode.QuickPickItem & { action: Action })[] = [
    { label: '$(check) Use as the Model', description: `sparsityLens.model = ${refForCacheEntry(e)}`, action: 'use' },
    { label: '$(verified) Verify', description: `re-hash ${e.files.length} file${e.files.length === 1 ? '' : 's'} (${formatBytes(e.size)}) against the index`, action: 'verify' },
    { label: '$(trash) Delete…', description: e.source === 'file' ? 'forget it (your file stays)' : 'delete its files from the cache', action: 'delete' },
    { label: '$(copy) Copy Path', description: e.path, action: 'copy' },
  ];
  // The OS file manager only where VS Code can open it (code-server / the browser cannot).
  if ((await vscode.commands.getCommands(true)).includes('revealFileInOS')) items.push({ label: '$(folder-opened) Reveal in File Explorer', action: 'reveal' });
  const c = await vscode.window.showQuickPick(items, { title: `${e.label ?? e.id} (${e.id})`, placeHolder: `${e.source}: ${e.origin}` });
  return c?.action;
}

/** Says how verification went; resolves at once when all is well, else with the button chosen. */
async function showVerifyResults(results: VerifyResult[], entries: CacheEntry[]): Promise<string | undefined> {
  const bad = results.filter((r) => !r.ok);
  if (bad.length === 0) {
    const one = results.length === 1 ? entries.find((e) => e.id === results[0].id) : undefined;
    void vscode.window.showInformationMessage(
      one
        ? `Sparsity Lens: "${one.id}" is intact: ${one.files.length === 1 ? 'its file matches its' : `all ${one.files.length} files match their`} sha256 (model sha256 ${one.sha256.slice(0, 16)}…).`
        : `Sparsity Lens: all ${results.length} cached models are intact.`,
    );
    return undefined;
  }
  const text = bad.map((r) => `${r.id}: ${r.problems.join('; ')}`).join(' | ');
  return vscode.window.showWarningMessage(`Sparsity Lens: ${bad.length} cached model${bad.length === 1 ? ' is' : 's are'} damaged — ${text}. Delete ${bad.length === 1 ? 'it' : 'them'} and fetch again.`, 'Delete Damaged');
}

async function verify(env: CommandEnv, cache: ModelCache, entries: CacheEntry[], id?: string): Promise<void> {
  const size = (id ? entries.filter((e) => e.id === id) : entries).reduce((s, e) => s + e.size, 0);
  let results: VerifyResult[] | undefined;
  try {
    results = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Sparsity Lens: verifying ${id ?? 'all cached models'} (${formatBytes(size)})…`, cancellable: true },
      async (_p, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        try {
          return await cache.verify(id, { hash: true, signal: ac.signal });
        } catch (e) {
          if (ac.signal.aborted) return undefined;
          throw e;
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (e) {
    env.log.error(`Verify failed: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`Sparsity Lens: ${(e as Error).message}`);
    return;
  }
  if (!results) return;
  for (const r of results) env.log.info(`verify ${r.id}: ${r.ok ? 'ok' : `DAMAGED: ${r.problems.join('; ')}`}`);
  const c = await showVerifyResults(results, entries);
  if (c === 'Delete Damaged') {
    for (const r of results.filter((x) => !x.ok)) {
      await cache.remove(r.id);
      env.log.info(`Removed damaged cache entry ${r.id}`);
    }
  }
}

async function remove(env: CommandEnv, cache: ModelCache, e: CacheEntry): Promise<void> {
  const configured = readSetting('model', currentFolder()?.uri);
  const current = typeof configured === 'string' ? configured.trim() : '';
  const inUse = current !== '' && (current === refForCacheEntry(e) || current === `cache:${e.id}`);
  const detail = [
    e.source === 'file'
      ? `Sparsity Lens only forgets it: your file ${e.path} is not deleted.`
      : `Its folder ${path.dirname(e.path)} is deleted (${formatBytes(e.size)}). It is exported or downloaded again when a model setting needs it.`,
    inUse ? `sparsityLens.model (${current}) refers to this model.` : '',
  ]
    .filter(Boolean)
    .join('\n');
  const ok = await vscode.window.showWarningMessage(`Delete the cached model "${e.label ?? e.id}" (${e.id})?`, { modal: true, detail }, 'Delete');
  if (ok !== 'Delete') return;
  const removed = await cache.remove(e.id);
  env.log.info(removed ? `Removed cache entry ${e.id} (${e.source}: ${e.origin})` : `Cache entry ${e.id} was already gone`);
  void vscode.window.showInformationMessage(removed ? `Sparsity Lens: deleted "${e.id}" from the model cache.` : `Sparsity Lens: "${e.id}" was already gone.`);
}

export async function manageModelsCommand(env: CommandEnv): Promise<void> {
  const folder = currentFolder();
  const ctx = env.modelContext(folder, folder?.uri);
  const cacheDir = cacheDirOf(ctx);
  const cache = new ModelCache(cacheDir);
  for (;;) {
    let entries: CacheEntry[];
    try {
      entries = cache.list();
    } catch (e) {
      if (e instanceof UserError) {
        env.log.error(e.message);
        void vscode.window.showErrorMessage(`Sparsity Lens: ${e.message}`);
        return;
      }
      throw e;
    }
    if (entries.length === 0) {
      void vscode.window.showInformationMessage(
        `Sparsity Lens: no models are cached (${cacheDir}). "Sparsity Lens: Choose Model…" exports from PyTorch, downloads by URL or from the catalog into this cache.`,
      );
      return;
    }
    const r = await showCacheList(entries, cacheDir);
    if (!r) return;
    let action = r.action;
    if (action === 'menu' && r.entry) {
      const a = await chooseAction(r.entry);
      if (!a) continue;
      action = a;
    }
    const e = r.entry;
    try {
      switch (action) {
        case 'verify':
          await verify(env, cache, entries, e?.id);
          break;
        case 'verifyAll':
          await verify(env, cache, entries);
          break;
        case 'delete':
          if (e) await remove(env, cache, e);
          break;
        case 'use':
          if (e) {
            const ref = refForCacheEntry(e);
            ctx.rememberRecent(ref);
            await saveModelSetting(ref, ctx.workspaceFolder, true, { remember: ctx.saveAnswer, log: (l) => env.log.info(l) });
            env.log.info(`Model chosen from the cache: ${ref} → ${e.path}`);
            return;
          }
          break;
        case 'copy':
          if (e) {
            await vscode.env.clipboard.writeText(e.path);
            void vscode.window.showInformationMessage(`Sparsity Lens: copied ${e.path}`);
          }
          break;
        case 'reveal':
          if (e) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(e.path));
          break;
        case 'openFolder':
          await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(cache.indexPath));
          break;
        default:
          break;
      }
    } catch (err) {
      if (err instanceof CancelledError) continue;
      env.log.error(`Manage Cached Models: ${(err as Error).stack ?? String(err)}`);
      void vscode.window.showErrorMessage(`Sparsity Lens: ${(err as Error).message}`);
    }
  }
}
