/**
 * One entry point for "which model?": the CLI's `--model` value and the extension's model
 * reference (parsed once into a ModelRef, ref.ts) are resolved here to a model file on disk:
 * a local file is used in place; torchvision:, catalog: and URL references are exported or
 * downloaded into the cache unless an intact copy is there; cache:<id> opens an entry.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../types';
import { ModelCache, type CacheEntry } from './cache';
import { catalogCacheId, fetchCatalogModel, findCatalogEntry } from './catalog';
import { defaultUrlId, downloadModel, type DownloadProgress } from './download';
import { parseModelRef, type ModelRef } from './ref';
import { exportTorchvision, torchvisionCacheId } from './torchExport';

export interface ResolveModelOptions {
  cacheDir: string;
  /** For torchvision:… — the user's Python. */
  pythonPath?: string;
  /** For torchvision:… — the ONNX opset of the export (default the exporter's, 17). */
  opset?: number;
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

async function reuse(cache: ModelCache, id: string, origin: string, matches: (e: CacheEntry) => boolean = () => true): Promise<CacheEntry | null> {
  const e = cache.get(id);
  if (!e || e.origin !== origin || !matches(e)) return null;
  const [v] = await cache.verify(id, { hash: false });
  return v.ok ? e : null;
}

/**
 * Resolves a model reference to a file, fetching into the cache when needed. Text (the CLI's
 * `--model`) is parsed here; the extension passes the ModelRef its setting was parsed into.
 */
export async function resolveModel(ref: string | ModelRef, opts: ResolveModelOptions): Promise<ResolvedModel> {
  const r = typeof ref === 'string' ? parseModelRef(ref) : ref;
  const cache = new ModelCache(opts.cacheDir);
  switch (r.kind) {
    case 'file':
      return { modelPath: resolveLocalModelPath(r.path), entry: null, source: 'file', fetched: false };
    case 'cache': {
      const e = await cache.open(r.id);
      return { modelPath: e.path, entry: e, source: `${e.source}:${e.origin}`, fetched: false };
    }
    case 'torchvision': {
      const seed = r.weights === 'none' ? r.seed ?? 0 : undefined;
      const id = torchvisionCacheId(r.arch, r.weights, seed);
      // The canonical reference: `:random` is seed 0, like the cache id.
      const source = `torchvision:${r.arch}${seed === undefined ? '' : seed === 0 ? ':random' : `:random:${seed}`}`;
      // A random export is reused only if it records this seed (older, unseeded exports do not),
      // and only at the opset asked for.
      const old = opts.refresh
        ? null
        : await reuse(cache, id, r.arch, (e) => (seed === undefined || e.details?.seed === seed) && (opts.opset === undefined || e.details?.opset === opts.opset));
      if (old) return { modelPath: old.path, entry: old, source, fetched: false };
      const e = await exportTorchvision(r.arch, opts.cacheDir, { pythonPath: opts.pythonPath, weights: r.weights, seed, opset: opts.opset, onOutput: opts.onOutput, signal: opts.signal });
      return { modelPath: e.path, entry: e, source, fetched: true };
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
