/** Model source: a public ONNX image classifier from media/models/catalog.json (ONNX Model Zoo); cached, sha256-checked. */
import * as vscode from 'vscode';
import { catalog, catalogCacheId, formatBytes } from '../../core/models';
import { cachedEntry, fetchForSource, showModelError } from './fetch';
import type { ModelSource } from './source';
import { catalogEntryDescription } from './text';
import { requireTrustFor } from './trust';

export const catalogSource: ModelSource = {
  id: 'catalog',
  label: '$(library) From the model catalog…',
  description: 'well-known ONNX image classifiers (ONNX Model Zoo)',
  async pick(ctx) {
    if (!(await requireTrustFor('download models', ctx.log))) return undefined;
    const items = catalog().map((m) => {
      const cached = cachedEntry(ctx.cacheDir, catalogCacheId(m.id));
      return {
        label: m.name,
        description: `${catalogEntryDescription(m)}${cached && cached.origin === m.url ? ' · $(check) cached' : ''}`,
        detail: m.notes ?? `${m.family} · ${m.page}`,
        entry: m,
      };
    });
    const choice = await vscode.window.showQuickPick(items, {
      title: 'Sparsity Lens: From the model catalog',
      placeHolder: 'Public ONNX image classifiers (ImageNet, 1000 classes) with their own preprocessing',
      ignoreFocusOut: true,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!choice) return undefined;
    const m = choice.entry;
    if (m.sizeBytes && m.sizeBytes > ctx.maxDownloadBytes && !cachedEntry(ctx.cacheDir, catalogCacheId(m.id))) {
      await showModelError(
        'E_DOWNLOAD_SIZE',
        `${m.name} is ${formatBytes(m.sizeBytes)}, over the download limit of ${formatBytes(ctx.maxDownloadBytes)} (setting sparsityLens.maxDownloadMB). Raise the limit to download it. Nothing was downloaded.`,
        { error: ctx.log, show: ctx.showLog },
      );
      return undefined;
    }
    const text = `catalog:${m.id}`;
    ctx.log(`Catalog: ${text} (${m.url}) into ${ctx.cacheDir}`);
    return fetchForSource(ctx, { kind: 'catalog', id: m.id }, text, `Downloading ${m.name}`);
  },
};
