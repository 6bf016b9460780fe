/**
 * One entry point for "which model?": the CLI's `--model` value and the extension's picker
 * both become a model reference, resolved here to a model file on disk.
 *
 *   ./alexnet.onnx, /x/model.json, /x/tfjs-folder   a local file (used in place)
 *   torchvision:alexnet                            export with pretrained weights (cached)
 *   torchvision:alexnet:random                     export with random weights (cached)
 *   catalog:resnet50-v1                            download from the catalog (cached, sha256-checked)
 *   https://host/path/model.onnx                   download by URL (cached)
 *   cache:<id>                                     an entry already in the cache
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../types';
import { ModelCache, type CacheEntry } from './cache';
import { catalogCacheId, fetchCatalogModel, findCatalogEntry } from './catalog';
import { defaultUrlId, downloadModel, type DownloadProgress } from './download';
import { exportTorchvision, torchvisionCacheId, type TorchWeights } from './torchExport';

export type ModelRef =
  | { kind: 'file'; path: string }
  | { kind: 'torchvision'; arch: string; weights: TorchWeights }
  | { kind: 'catalog'; id: string }
  | { kind: 'url'; url: string }
  | { kind: 'cache'; id: string };

export function parseModelRef(ref: string): ModelRef {
  const r = ref.trim();
  if (!r) throw new UserError('No model given. Use a .onnx file, a TF.js model.json, torchvision:<arch>, catalog:<id> or an https:// URL.', 'E_MODEL');
  const m = /^([a-z]+):(.*)$/i.exec(r);
  if (m && !/^[a-z]:[\\/]/i.test(r)) {
    const scheme = m[1].toLowerCase();
    const rest = m[2];
    if (scheme === 'http' || scheme === 'https') return { kind: 'url', url: r };
    if (scheme === 'torchvision') {
      const [arch, w] = rest.split(':');
      if (!arch) throw new UserError(`"${ref}": name an architecture, e.g. torchvision:alexnet.`, 'E_MODEL');
      if (w !== undefined && !['random', 'none', 'pretrained', 'default'].includes(w.toLowerCase())) {
        throw new UserError(`"${ref}": the part after the architecture must be "random" (or nothing for pretrained weights).`, 'E_MODEL');
      }
      const weights: TorchWeights = w && ['random', 'none'].includes(w.toLowerCase()) ? 'none' : 'DEFAULT';
      return { kind: 'torchvision', arch: arch.toLowerCase(), weights };
    }
    if (scheme === 'catalog') return { kind: 'catalog', id: rest.toLowerCase() };
    if (scheme === 'cache') return { kind: 'cache', id: rest };
    if (scheme !== 'file') {
      throw new UserError(`"${ref}": unknown model source "${scheme}:". Use a file path, torchvision:<arch>, catalog:<id>, cache:<id> or an https:// URL.`, 'E_MODEL');
    }
    return { kind: 'file', path: rest.replace(/^\/\/(?=\/)/, '') };
  }
  return { kind: 'file', path: r };
}

export interface ResolveModelOptions {
  cacheDir: string;
  /** For torchvision:… — the user's Python. */
  pythonPath?: string;
  /** Re-fetch even when an intact cached copy exists. */
  refresh?: boolean;
  /** For URLs (default 2 GiB). */
  maxBytes?: number;
  onProgress?(p: DownloadProgress): void;
  /** Export script output, download notes. */
  onOutput?(line: string): void;
  signal?: AbortSignal;
}

export interface ResolvedModel {
  /** The .onnx or model.json to analyse. */
  modelPath: string;
  /** Its cache entry (null for a local file used in place). */
  entry: CacheEntry | null;
  /** For the report's model.source: `torchvision:alexnet`, `catalog:vgg16`, the URL, `file`. */
  source: string;
  /** True when this call downloaded or exported it. */
  fetched: boolean;
}

/** A local model path: a file, or a folder holding model.json / exactly one .onnx. */
export function resolveLocalModelPath(p: string): string {
  const abs = path.resolve(p);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new UserError(`Model file ${abs} does not exist. Give a .onnx file, a TF.js model.json, torchvision:<arch>, catalog:<id> or an https:// URL.`, 'E_MODEL');
  }
  if (st.isDirectory()) {
    const names = fs.readdirSync(abs);
    if (names.includes('model.json')) return path.join(abs, 'model.json');
    const onnx = names.filter((n) => n.toLowerCase().endsWith('.onnx'));
    if (onnx.length === 1) return path.join(abs, onnx[0]);
    throw new UserError(`Folder ${abs} holds ${onnx.length ? `${onnx.length} .onnx files` : 'no model.json or .onnx file'}; give the model file itself.`, 'E_MODEL');
  }
  if (!/\.(onnx|json)$/i.test(abs)) {
    throw new UserError(`${abs} is not a .onnx file or a TF.js model.json. Convert the model to ONNX (for PyTorch use torchvision:<arch> or torch.onnx.export).`, 'E_MODEL');
  }
  return abs;
}

async function reuse(cache: ModelCache, id: string, origin: string): Promise<CacheEntry | null> {
  const e = cache.get(id);
  if (!e || e.origin !== origin) return null;
  const [v] = await cache.verify(id, { hash: false });
  return v.ok ? e : null;
}

/** Resolves a model reference to a file, fetching into the cache when needed. */
export async function resolveModel(ref: string, opts: ResolveModelOptions): Promise<ResolvedModel> {
  const r = parseModelRef(ref);
  const cache = new ModelCache(opts.cacheDir);
  switch (r.kind) {
    case 'file':
      return { modelPath: resolveLocalModelPath(r.path), entry: null, source: 'file', fetched: false };
    case 'cache': {
      const e = await cache.open(r.id);
      return { modelPath: e.path, entry: e, source: `${e.source}:${e.origin}`, fetched: false };
    }
    case 'torchvision': {
      const id = torchvisionCacheId(r.arch, r.weights);
      const old = opts.refresh ? null : await reuse(cache, id, r.arch);
      if (old) return { modelPath: old.path, entry: old, source: `torchvision:${r.arch}`, fetched: false };
      const e = await exportTorchvision(r.arch, opts.cacheDir, { pythonPath: opts.pythonPath, weights: r.weights, onOutput: opts.onOutput, signal: opts.signal });
      return { modelPath: e.path, entry: e, source: `torchvision:${r.arch}`, fetched: true };
    }
    case 'catalog': {
      const m = findCatalogEntry(r.id);
      const old = opts.refresh ? null : await reuse(cache, catalogCacheId(m.id), m.url);
      if (old) return { modelPath: old.path, entry: old, source: `catalog:${m.id}`, fetched: false };
      const e = await fetchCatalogModel(m.id, opts.cacheDir, { force: true, onProgress: opts.onProgress, signal: opts.signal });
      return { modelPath: e.path, entry: e, source: `catalog:${m.id}`, fetched: true };
    }
    case 'url': {
      const id = defaultUrlId(r.url);
      const old = opts.refresh ? null : await reuse(cache, id, r.url);
      if (old) return { modelPath: old.path, entry: old, source: r.url, fetched: false };
      const e = await downloadModel(r.url, opts.cacheDir, { id, maxBytes: opts.maxBytes, onProgress: opts.onProgress, signal: opts.signal });
      return { modelPath: e.path, entry: e, source: r.url, fetched: true };
    }
  }
}
