/**
 * The one fetch-with-progress of the extension host: a model reference resolved into the model
 * cache (src/core/models resolveModel: reuse an intact cached copy, else export from PyTorch or
 * download) inside a cancellable notification — export output as the message (and in the output
 * channel), download percentage and bytes with the bar — and the one way model errors are shown
 * (with the button that fixes them). Used by the model sources and "Show Layers of Model";
 * analysis runs resolve in the worker instead (workerMain.ts), in the run's own progress.
 */
import * as vscode from 'vscode';
import { formatBytes, ModelCache, resolveModel, type CacheEntry, type ModelRef, type ResolvedModel } from '../../core/models';
import { CancelledError, UserError } from '../../core/types';
import { openSetting } from '../config';
import { SECTION } from '../settings';
import { installCommandFromError } from './errors';
import type { ModelSourceContext, PickedModel } from './source';
import { downloadPercent, formatDownloadProgress } from './text';

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
    } else if (c === 'Open Settings') await openSetting(`${SECTION}.pythonPath`);
    else if (c === 'Show Output') log.show();
    return;
  }
  const setting = code === 'E_NO_PYTHON' ? `${SECTION}.pythonPath` : code === 'E_DOWNLOAD_SIZE' ? `${SECTION}.maxDownloadMB` : undefined;
  const c = await vscode.window.showErrorMessage(text, ...(setting ? ['Open Settings'] : []), 'Show Output');
  if (c === 'Open Settings' && setting) await openSetting(setting);
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
 * cancellable notification progress. Shows errors itself; undefined when it failed or was
 * cancelled.
 */
export async function fetchModelRef(ref: ModelRef, o: FetchOptions): Promise<ResolvedModel | undefined> {
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

/**
 * What a model source fetches: `ref` into the cache with the notification `title`; the picked
 * model is the cached file, stored in the settings as `text`.
 */
export async function fetchForSource(ctx: ModelSourceContext, ref: ModelRef, text: string, title: string): Promise<PickedModel | undefined> {
  const r = await fetchModelRef(ref, {
    cacheDir: ctx.cacheDir,
    pythonPath: ctx.pythonPath || undefined,
    maxBytes: ctx.maxDownloadBytes,
    log: ctx.log,
    error: ctx.log,
    showLog: ctx.showLog,
    title,
  });
  return r && { path: r.modelPath, ref: text, source: r.source };
}

/** The cache entry for `id`, or undefined (also when the index cannot be read). */
export function cachedEntry(cacheDir: string, id: string): CacheEntry | undefined {
  try {
    return new ModelCache(cacheDir).get(id);
  } catch {
    return undefined;
  }
}
