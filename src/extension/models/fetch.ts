/**
 * The model sources beyond a local file, registered into the "Choose Model…" picker
 * (modelSources.ts, the extension point):
 *
 *   Export from PyTorch (torchvision)…  the user's Python runs python/export_torchvision.py
 *   Download from URL…                  https, size probed and confirmed first
 *   From the model catalog…             media/models/catalog.json (ONNX Model Zoo)
 *   Cached models…                      an entry already in the model cache
 *
 * All of them fill the model cache in the extension's globalStorage (globalStorage/models)
 * through src/core/models, in the extension host (Python and downloads are child processes /
 * async IO), inside a cancellable notification progress. The picked model is returned as a
 * model reference (`torchvision:alexnet`, `catalog:resnet50-v1`, the URL, `cache:<id>`) that
 * "Choose Model…" stores in sparsityLens.model; the analysis worker resolves the same
 * reference from the cache.
 *
 * Untrusted workspaces: nothing here runs Python or downloads (the sources explain why and offer
 * "Manage Workspace Trust"); a local file and cached models stay available.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import {
  catalog,
  catalogCacheId,
  defaultUrlId,
  formatBytes,
  ModelCache,
  probe,
  resolveModel,
  torchvisionCacheId,
  type CacheEntry,
  type ProbeResult,
  type ResolvedModel,
  type TorchWeights,
} from '../../core/models';
import { CancelledError, UserError } from '../../core/types';
import {
  cacheEntryDescription,
  catalogEntryDescription,
  downloadPercent,
  formatDownloadProgress,
  installCommandFromError,
  orderedTorchvisionArchs,
  refForCacheEntry,
  validateDownloadUrl,
} from './refs';
import { registerModelSource, type ModelSource, type ModelSourceContext, type PickedModel } from './sources';

const SECTION = 'sparsityLens';

export const MANAGE_TRUST = 'Manage Workspace Trust';

export function untrustedFetchMessage(what: string): string {
  return (
    `This workspace is not trusted, so Sparsity Lens does not ${what} here: in Restricted Mode nothing in the workspace ` +
    '(its settings, such as sparsityLens.model and sparsityLens.pythonPath) may make it run a program or fetch a file. ' +
    'Trust the workspace to use this, or choose a model file on this computer or an already cached model.'
  );
}

/** In an untrusted workspace: explains, offers "Manage Workspace Trust", returns false. */
export async function requireTrustFor(what: string, log?: (l: string) => void): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const msg = untrustedFetchMessage(what);
  log?.(msg);
  const c = await vscode.window.showWarningMessage(msg, { modal: true }, MANAGE_TRUST);
  if (c === MANAGE_TRUST) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

/** Codes of model errors that get their own buttons. */
export function isModelErrorCode(code: string | undefined): boolean {
  return code === 'E_NO_TORCH' || code === 'E_NO_PYTHON' || code === 'E_DOWNLOAD_SIZE';
}

/**
 * Shows a model error with what fixes it: a missing torch/torchvision → the exact install
 * command and "Copy Command"; no Python → "Open Settings" (pythonPath); over the download
 * limit → "Open Settings" (maxDownloadMB); otherwise "Show Output".
 */
export async function showModelError(code: string | undefined, message: string, log: { error(l: string): void; show(): void }): Promise<void> {
  log.error(message);
  const text = `Sparsity Lens: ${message}`;
  if (code === 'E_NO_TORCH') {
    const cmd = installCommandFromError(message);
    const c = await vscode.window.showErrorMessage(text, ...(cmd ? ['Copy Command'] : []), 'Open Settings', 'Show Output');
    if (c === 'Copy Command' && cmd) {
      await vscode.env.clipboard.writeText(cmd);
      void vscode.window.showInformationMessage(`Sparsity Lens: copied "${cmd}". Run it in a terminal, then try again.`);
    } else if (c === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.pythonPath`);
    else if (c === 'Show Output') log.show();
    return;
  }
  const setting = code === 'E_NO_PYTHON' ? `${SECTION}.pythonPath` : code === 'E_DOWNLOAD_SIZE' ? `${SECTION}.maxDownloadMB` : undefined;
  const c = await vscode.window.showErrorMessage(text, ...(setting ? ['Open Settings'] : []), 'Show Output');
  if (c === 'Open Settings' && setting) await vscode.commands.executeCommand('workbench.action.openSettings', setting);
  else if (c === 'Show Output') log.show();
}

export interface FetchOptions {
  cacheDir: string;
  pythonPath?: string;
  maxBytes?: number;
  log(line: string): void;
  error(line: string): void;
  showLog(): void;
  /** Notification title, e.g. "Exporting alexnet from PyTorch". */
  title: string;
}

/**
 * Resolves a model reference into the cache (reusing an intact cached copy) inside a
 * cancellable notification progress: export output as the message (and in the output
 * channel), download percentage and bytes with the bar. Shows errors itself; undefined when
 * it failed or was cancelled.
 */
export async function fetchModelRef(ref: string, o: FetchOptions): Promise<ResolvedModel | undefined> {
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Sparsity Lens: ${o.title}`, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        let reported = 0;
        let lastFile = '';
        try {
          progress.report({ message: 'starting…' });
          const r = await resolveModel(ref, {
            cacheDir: o.cacheDir,
            pythonPath: o.pythonPath,
            maxBytes: o.maxBytes,
            signal: ac.signal,
            onOutput(line) {
              o.log(line);
              progress.report({ message: line.length > 100 ? `${line.slice(0, 97)}...` : line });
            },
            onProgress(p) {
              if (p.file !== lastFile) {
                lastFile = p.file;
                o.log(`Downloading ${p.file}${p.total ? ` (${formatBytes(p.total)})` : ''}`);
              }
              const pct = downloadPercent(p);
              const increment = pct !== null && pct > reported ? pct - reported : 0;
              if (pct !== null) reported = Math.max(reported, pct);
              progress.report({ message: `${p.file}: ${formatDownloadProgress(p)}`, increment });
            },
          });
          o.log(`Model ready: ${r.modelPath} (${r.source}; ${r.fetched ? 'fetched now' : 'already in the cache'}${r.entry ? `; sha256 ${r.entry.sha256}` : ''})`);
          return r;
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (e) {
    if (e instanceof CancelledError || (e as Error).name === 'CancelledError') {
      o.log(`${o.title}: cancelled; nothing was saved.`);
      void vscode.window.showInformationMessage(`Sparsity Lens: ${o.title} cancelled; nothing was saved.`);
      return undefined;
    }
    if (e instanceof UserError) {
      await showModelError(e.code, e.message, { error: o.error, show: o.showLog });
      return undefined;
    }
    o.error(`${o.title} failed: ${(e as Error).stack ?? String(e)}`);
    const c = await vscode.window.showErrorMessage(`Sparsity Lens: ${o.title} failed: ${(e as Error).message}`, 'Show Output');
    if (c) o.showLog();
    return undefined;
  }
}

function fetchOptions(ctx: ModelSourceContext, title: string): FetchOptions {
  return {
    cacheDir: ctx.cacheDir,
    pythonPath: ctx.pythonPath || undefined,
    maxBytes: ctx.maxDownloadBytes,
    log: ctx.log,
    error: ctx.log,
    showLog: ctx.showLog,
    title,
  };
}

/** The cache entry for `id`, or undefined (also when the index cannot be read). */
function cachedEntry(cacheDir: string, id: string): CacheEntry | undefined {
  try {
    return new ModelCache(cacheDir).get(id);
  } catch {
    return undefined;
  }
}

function picked(r: ResolvedModel, ref: string): PickedModel {
  return { path: r.modelPath, ref, source: r.source };
}

// ---------------------------------------------------------------- Export from PyTorch

interface ArchItem extends vscode.QuickPickItem {
  arch?: string;
}

export const torchvisionSource: ModelSource = {
  id: 'torchvision',
  label: '$(flame) Export from PyTorch (torchvision)…',
  description: 'AlexNet, VGG11 (the study), ResNet, …',
  detail: 'Runs your Python (sparsityLens.pythonPath, else python3) with torch + torchvision; the ONNX file is cached.',
  async pick(ctx) {
    if (!(await requireTrustFor('run Python to export PyTorch models', ctx.log))) return undefined;
    const items: ArchItem[] = [];
    let inStudy = false;
    for (const a of orderedTorchvisionArchs()) {
      if (a.study && !inStudy) {
        inStudy = true;
        items.push({ label: 'Liu, Zhen & Liu (2020)', kind: vscode.QuickPickItemKind.Separator });
      }
      if (!a.study && inStudy) {
        inStudy = false;
        items.push({ label: 'Other torchvision ImageNet classifiers', kind: vscode.QuickPickItemKind.Separator });
      }
      const cached = [cachedEntry(ctx.cacheDir, torchvisionCacheId(a.arch, 'DEFAULT')) && 'pretrained', cachedEntry(ctx.cacheDir, torchvisionCacheId(a.arch, 'none')) && 'random'].filter(Boolean);
      items.push({
        label: a.arch,
        description: [a.study ? "$(star-full) the study's model" : a.family, a.inputSize !== 224 ? `${a.inputSize}×${a.inputSize}` : '', cached.length ? `$(check) cached (${cached.join(', ')})` : '']
          .filter(Boolean)
          .join(' · '),
        arch: a.arch,
      });
    }
    const arch = await vscode.window.showQuickPick(items, {
      title: 'Sparsity Lens: Export from PyTorch (torchvision)',
      placeHolder: "Which architecture? alexnet and vgg11 are the study's networks",
      ignoreFocusOut: true,
      matchOnDescription: true,
    });
    if (!arch?.arch) return undefined;
    const weights = await vscode.window.showQuickPick(
      [
        {
          label: '$(cloud-download) Pretrained ImageNet weights',
          description: `torchvision:${arch.arch}`,
          detail: 'torchvision downloads the weights once on this computer (download.pytorch.org) into its own cache; then the model is exported to ONNX.',
          weights: 'DEFAULT' as TorchWeights,
        },
        {
          label: '$(circle-outline) Random weights (untrained)',
          description: `torchvision:${arch.arch}:random`,
          detail: "Nothing is downloaded. Not needed for the study's controls: Sparsity Lens computes those itself.",
          weights: 'none' as TorchWeights,
        },
      ],
      { title: `Sparsity Lens: ${arch.arch} — which weights?`, ignoreFocusOut: true },
    );
    if (!weights) return undefined;
    const ref = `torchvision:${arch.arch}${weights.weights === 'none' ? ':random' : ''}`;
    ctx.log(`Export from PyTorch: ${ref} with ${ctx.pythonPath || 'python3 (else python)'} into ${ctx.cacheDir}`);
    if (!cachedEntry(ctx.cacheDir, torchvisionCacheId(arch.arch, weights.weights))) ctx.showLog();
    const r = await fetchModelRef(ref, fetchOptions(ctx, `Exporting ${arch.arch} from PyTorch`));
    return r && picked(r, ref);
  },
};

// ---------------------------------------------------------------- Download from URL

async function probeWithProgress(url: string): Promise<ProbeResult | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Sparsity Lens: checking the address…', cancellable: true },
    async (_p, token) => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      try {
        return await probe(url, { signal: ac.signal });
      } catch (e) {
        if (e instanceof CancelledError || ac.signal.aborted) return undefined;
        throw e;
      } finally {
        sub.dispose();
      }
    },
  );
}

export const urlSource: ModelSource = {
  id: 'url',
  label: '$(cloud-download) Download from URL…',
  description: 'https address of an .onnx file or a TensorFlow.js model.json',
  async pick(ctx) {
    if (!(await requireTrustFor('download models', ctx.log))) return undefined;
    const input = await vscode.window.showInputBox({
      title: 'Sparsity Lens: Download a model from a URL',
      prompt: 'The https:// address of an .onnx file or a TensorFlow.js model.json (its weight files are fetched from the same folder).',
      placeHolder: 'https://example.org/models/resnet50.onnx',
      ignoreFocusOut: true,
      validateInput: validateDownloadUrl,
    });
    if (!input) return undefined;
    const url = input.trim();
    const existing = cachedEntry(ctx.cacheDir, defaultUrlId(url));
    if (!existing || existing.origin !== url) {
      let p: ProbeResult | undefined;
      try {
        p = await probeWithProgress(url);
      } catch (e) {
        if (e instanceof UserError) {
          await showModelError(e.code, e.message, { error: ctx.log, show: ctx.showLog });
          return undefined;
        }
        throw e;
      }
      if (!p) return undefined;
      const limit = ctx.maxDownloadBytes;
      if (p.size !== null && p.size > limit) {
        await showModelError(
          'E_DOWNLOAD_SIZE',
          `${url} is ${formatBytes(p.size)}, over the download limit of ${formatBytes(limit)} (setting sparsityLens.maxDownloadMB). Raise the limit if you trust this file. Nothing was downloaded.`,
          { error: ctx.log, show: ctx.showLog },
        );
        return undefined;
      }
      const name = path.posix.basename(new URL(p.finalUrl).pathname) || url;
      const size = p.size !== null ? formatBytes(p.size) : 'size unknown';
      const ok = await vscode.window.showInformationMessage(
        `Download ${name} (${size})?`,
        {
          modal: true,
          detail: [
            `From: ${p.finalUrl}${p.finalUrl !== url ? `\n(redirected from ${url})` : ''}`,
            p.contentType ? `Type: ${p.contentType}` : '',
            p.size === null ? `The server does not say how large it is; the download stops at the limit of ${formatBytes(limit)} (sparsityLens.maxDownloadMB).` : '',
            `Into the model cache: ${ctx.cacheDir}`,
            'It is checked to be a model (ONNX or TensorFlow.js) and its sha256 is recorded.',
          ]
            .filter(Boolean)
            .join('\n'),
        },
        'Download',
      );
      if (ok !== 'Download') return undefined;
    }
    ctx.log(`Download from URL: ${url} into ${ctx.cacheDir} (limit ${formatBytes(ctx.maxDownloadBytes)})`);
    const r = await fetchModelRef(url, fetchOptions(ctx, `Downloading ${path.posix.basename(new URL(url).pathname) || 'the model'}`));
    return r && picked(r, url);
  },
};

// ---------------------------------------------------------------- The catalog

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
    const ref = `catalog:${m.id}`;
    ctx.log(`Catalog: ${ref} (${m.url}) into ${ctx.cacheDir}`);
    const r = await fetchModelRef(ref, fetchOptions(ctx, `Downloading ${m.name}`));
    return r && picked(r, ref);
  },
};

// ---------------------------------------------------------------- Cached models

export const cachedSource: ModelSource = {
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

/** Adds the sources to the Choose Model picker (after the local file). */
export function registerBuiltinModelSources(): vscode.Disposable[] {
  return [torchvisionSource, urlSource, catalogSource, cachedSource].map((s) => registerModelSource(s));
}
