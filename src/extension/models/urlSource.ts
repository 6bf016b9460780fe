/** Model source: download an .onnx file or a TF.js model.json by https URL (size probed and confirmed first); cached. */
import * as path from 'path';
import * as vscode from 'vscode';
import { defaultUrlId, formatBytes, probe, type ProbeResult } from '../../core/models';
import { CancelledError, UserError } from '../../core/types';
import { cachedEntry, fetchForSource, showModelError } from './fetch';
import { validateDownloadUrl } from './refs';
import type { ModelSource } from './source';
import { requireTrustFor } from './trust';

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
    return fetchForSource(ctx, { kind: 'url', url }, url, `Downloading ${path.posix.basename(new URL(url).pathname) || 'the model'}`);
  },
};
