/** Model source: an entry already in the model cache (works in untrusted workspaces: nothing is fetched). */
import * as vscode from 'vscode';
import { ModelCache, type CacheEntry } from '../../core/models';
import type { UserError } from '../../core/types';
import { showModelError } from './fetch';
import { refForCacheEntry } from './refs';
import type { ModelSource } from './source';
import { cacheEntryDescription } from './text';

export const cacheSource: ModelSource = {
  id: 'cache',
  label: '$(database) Cached models…',
  description: 'exported or downloaded before',
  async pick(ctx) {
    let entries: CacheEntry[];
    const cache = new ModelCache(ctx.cacheDir);
    try {
      entries = cache.list();
    } catch (e) {
      await showModelError((e as UserError).code, (e as Error).message, { error: ctx.log, show: ctx.showLog });
      return undefined;
    }
    if (entries.length === 0) {
      void vscode.window.showInformationMessage('Sparsity Lens: no models are cached yet. Export one from PyTorch, download one, or pick one from the catalog.');
      return undefined;
    }
    const choice = await vscode.window.showQuickPick(
      entries.map((e) => ({ label: e.label ?? e.id, description: cacheEntryDescription(e), detail: `${refForCacheEntry(e)} · ${e.path}`, entry: e })),
      { title: 'Sparsity Lens: Cached models', placeHolder: 'Use which cached model?', ignoreFocusOut: true, matchOnDescription: true, matchOnDetail: true },
    );
    if (!choice) return undefined;
    let e: CacheEntry;
    try {
      e = await cache.open(choice.entry.id);
    } catch (err) {
      await showModelError((err as UserError).code, (err as Error).message, { error: ctx.log, show: ctx.showLog });
      return undefined;
    }
    const ref = refForCacheEntry(e);
    return { path: e.path, ref, source: e.source === 'file' ? 'file' : ref.startsWith('cache:') ? `${e.source}:${e.origin}` : ref };
  },
};
