/**
 * Model references in the extension: the pure parts (no `vscode` import, unit-tested in
 * test/extension/modelRefs.test.ts) shared by the settings validator, the model pickers
 * (modelSourceProviders.ts), the cache commands (modelCacheCommands.ts) and the worker.
 *
 * A model reference is what `sparsityLens.model` holds (src/core/models/resolve.ts):
 * a path, `torchvision:<arch>[:random]`, `catalog:<id>`, an https URL or `cache:<id>`.
 */
import * as path from 'path';
import {
  catalog,
  catalogCacheId,
  checkModelUrl,
  defaultUrlId,
  formatBytes,
  isValidId,
  parseModelRef,
  TORCHVISION_ARCHS,
  torchvisionCacheId,
  type CacheEntry,
  type CatalogEntry,
  type DownloadProgress,
  type ModelRef,
  type TorchvisionArch,
} from '../../core/models';
import { UserError } from '../../core/types';

/** Sub-folder of the extension's globalStorage that holds the model cache. */
export const MODEL_CACHE_FOLDER = 'models';

export function modelCacheDir(globalStoragePath: string): string {
  return path.join(globalStoragePath, MODEL_CACHE_FOLDER);
}

/** Default of sparsityLens.maxDownloadMB (2 GiB, the core's download limit). */
export const DEFAULT_MAX_DOWNLOAD_MB = 2048;

export function maxDownloadBytes(maxDownloadMB: number): number {
  return maxDownloadMB * 1024 * 1024;
}

/**
 * Checks a `sparsityLens.model` value. Returns the parsed reference, or a sentence saying
 * what is wrong (the caller names the setting). '' (not set) is valid and gives null.
 */
export function checkModelRef(value: string): { ok: true; ref: ModelRef | null } | { ok: false; problem: string } {
  const v = value.trim();
  if (v === '') return { ok: true, ref: null };
  let ref: ModelRef;
  try {
    ref = parseModelRef(v);
  } catch (e) {
    return { ok: false, problem: `cannot be used: ${e instanceof UserError ? e.message : String(e)}` };
  }
  switch (ref.kind) {
    case 'file':
      if (ref.path.trim() === '') return { ok: false, problem: 'names no file after "file:"' };
      return { ok: true, ref };
    case 'torchvision':
      if (!TORCHVISION_ARCHS.some((a) => a.arch === ref.arch)) {
        return {
          ok: false,
          problem: `names the torchvision architecture "${ref.arch}", which Sparsity Lens does not export; use one of ${TORCHVISION_ARCHS.map((a) => a.arch).join(', ')} (e.g. "torchvision:alexnet", or "torchvision:alexnet:random" for random weights)`,
        };
      }
      return { ok: true, ref };
    case 'catalog':
      if (!catalog().some((m) => m.id === ref.id)) {
        return { ok: false, problem: `names "catalog:${ref.id}", which is not in the model catalog; use one of ${catalog().map((m) => `catalog:${m.id}`).join(', ')}` };
      }
      return { ok: true, ref };
    case 'url':
      try {
        checkModelUrl(ref.url);
      } catch (e) {
        return { ok: false, problem: `is not a usable model URL: ${(e as Error).message}` };
      }
      return { ok: true, ref };
    case 'cache':
      if (!isValidId(ref.id)) return { ok: false, problem: `names "cache:${ref.id}", which is not a valid cache id (see "Sparsity Lens: Manage Cached Models")` };
      return { ok: true, ref };
  }
}

/** True for values that are resolved through the model cache (not a file on disk). */
export function isModelReference(value: string): boolean {
  const r = checkModelRef(value);
  return r.ok && r.ref !== null && r.ref.kind !== 'file';
}

/**
 * A recently used model (a path or a reference) as the model picker returns it: a path is used
 * as it is; a reference has no path yet (resolved through the cache when analysing).
 */
export function pickedFromRecent(r: string): { path: string; ref: string; source: string } {
  return isModelReference(r) ? { path: '', ref: r, source: r } : { path: r, ref: r, source: 'file' };
}

/** True when resolving the reference may run Python or download (torchvision, catalog, URL). */
export function mayFetch(ref: ModelRef): boolean {
  return ref.kind === 'torchvision' || ref.kind === 'catalog' || ref.kind === 'url';
}

/** The cache id a reference resolves to (null for a local file). */
export function cacheIdOfRef(ref: ModelRef): string | null {
  switch (ref.kind) {
    case 'file':
      return null;
    case 'torchvision':
      return torchvisionCacheId(ref.arch, ref.weights);
    case 'catalog':
      return catalogCacheId(ref.id);
    case 'url':
      return defaultUrlId(ref.url);
    case 'cache':
      return ref.id;
  }
}

/** The reference string for a model reference (canonical form). */
export function formatModelRef(ref: ModelRef): string {
  switch (ref.kind) {
    case 'file':
      return ref.path;
    case 'torchvision':
      return `torchvision:${ref.arch}${ref.weights === 'none' ? ':random' : ''}`;
    case 'catalog':
      return `catalog:${ref.id}`;
    case 'url':
      return ref.url;
    case 'cache':
      return `cache:${ref.id}`;
  }
}

/** A short human description of a reference: "AlexNet exported from PyTorch (random weights)". */
export function describeModelRef(value: string): string {
  const r = checkModelRef(value);
  if (!r.ok || !r.ref) return value;
  const ref = r.ref;
  switch (ref.kind) {
    case 'file':
      return path.basename(ref.path);
    case 'torchvision':
      return `torchvision ${ref.arch} exported from PyTorch (${ref.weights === 'none' ? 'random weights' : 'pretrained weights'})`;
    case 'catalog': {
      const m = catalog().find((c) => c.id === ref.id);
      return m ? `${m.name} from the model catalog` : `catalog model ${ref.id}`;
    }
    case 'url':
      return `model downloaded from ${ref.url}`;
    case 'cache':
      return `cached model ${ref.id}`;
  }
}

/**
 * The reference to store in sparsityLens.model for a cache entry: the portable source form
 * (`torchvision:alexnet`, `catalog:<id>`, the URL, the file path) when resolving it finds this
 * very entry again, else `cache:<id>`.
 */
export function refForCacheEntry(e: Pick<CacheEntry, 'id' | 'source' | 'origin' | 'details'>): string {
  let candidate: string | null = null;
  if (e.source === 'torchvision') candidate = `torchvision:${e.origin}${e.details?.weights === 'none' ? ':random' : ''}`;
  else if (e.source === 'catalog' && typeof e.details?.catalogId === 'string') candidate = `catalog:${e.details.catalogId}`;
  else if (e.source === 'url') candidate = e.origin;
  else if (e.source === 'file') return e.origin;
  if (candidate) {
    const r = checkModelRef(candidate);
    if (r.ok && r.ref && cacheIdOfRef(r.ref) === e.id) return candidate;
  }
  return `cache:${e.id}`;
}

/** InputBox validation for "Download from URL…": undefined when fine, else the message. */
export function validateDownloadUrl(input: string): string | undefined {
  const v = input.trim();
  if (v === '') return 'Enter the https:// address of an .onnx file or a TensorFlow.js model.json.';
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return 'Enter a full address starting with https://';
  try {
    checkModelUrl(v);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

/** "45% · 110 MB of 244 MB" (or "110 MB" when the size is unknown). */
export function formatDownloadProgress(p: Pick<DownloadProgress, 'received' | 'total'>): string {
  if (p.total && p.total > 0) {
    const pct = Math.min(100, Math.floor((100 * p.received) / p.total));
    return `${pct}% · ${formatBytes(p.received)} of ${formatBytes(p.total)}`;
  }
  return formatBytes(p.received);
}

/** Percentage 0..100 of a download, or null when the size is unknown. */
export function downloadPercent(p: Pick<DownloadProgress, 'received' | 'total'>): number | null {
  if (!p.total || p.total <= 0) return null;
  return Math.max(0, Math.min(100, (100 * p.received) / p.total));
}

/** The install command inside a E_NO_TORCH message (`<python> -m pip install torch torchvision`). */
export function installCommandFromError(message: string): string | undefined {
  const m = /^\s*(\S.*?-m pip install torch torchvision)\s*$/m.exec(message);
  return m ? m[1].trim() : undefined;
}

/**
 * sparsityLens.pythonPath as a command: '' → undefined (python3, then python); a path with a
 * separator, `~` or `${workspaceFolder}` → absolute; a bare command (`python3.11`) as is.
 */
export function resolvePythonPath(value: string, workspaceFolder: string | undefined, home: string): string | undefined {
  let v = value.trim();
  if (v === '') return undefined;
  if (workspaceFolder) v = v.split('${workspaceFolder}').join(workspaceFolder);
  if (v === '~' || v.startsWith('~/') || v.startsWith('~\\')) v = path.join(home, v.slice(1));
  if (path.isAbsolute(v)) return path.normalize(v);
  if (!/[\\/]/.test(v)) return v;
  return path.resolve(workspaceFolder ?? process.cwd(), v);
}

/** The torchvision architectures in the order the picker shows them: the study's first. */
export function orderedTorchvisionArchs(): TorchvisionArch[] {
  return [...TORCHVISION_ARCHS.filter((a) => a.study), ...TORCHVISION_ARCHS.filter((a) => !a.study)];
}

/** One line about a cache entry: "torchvision · 233 MB · 2025-05-01 · sha256 3fa2b1c0d4e5". */
export function cacheEntryDescription(e: Pick<CacheEntry, 'source' | 'size' | 'addedAt' | 'sha256'>): string {
  return `${e.source} · ${formatBytes(e.size)} · ${e.addedAt.slice(0, 10)} · sha256 ${e.sha256.slice(0, 12)}`;
}

/** Description of a catalog entry for the picker: "catalog:alexnet-bvlc · 233 MB · Caffe weights". */
export function catalogEntryDescription(m: Pick<CatalogEntry, 'id' | 'sizeBytes' | 'origin'>): string {
  const origin = m.origin === 'mxnet' ? 'MXNet' : m.origin === 'tensorflow' ? 'TensorFlow' : m.origin === 'pytorch' ? 'PyTorch' : m.origin === 'caffe' ? 'Caffe' : m.origin;
  return `${m.sizeBytes ? formatBytes(m.sizeBytes) : 'size unknown'} · ${origin} weights · catalog:${m.id}`;
}

/** JSON with comments (VS Code settings files) → JSON text: comments removed, strings kept. */
export function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * The string value of `key` in a VS Code settings file (settings.json or a .code-workspace),
 * read as text. Used only to tell the user what an untrusted workspace's settings ask for:
 * VS Code hides restricted settings of an untrusted workspace from the extension API entirely.
 */
export function findStringSetting(jsoncText: string, key: string): string | undefined {
  const t = stripJsonComments(jsoncText);
  const re = new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:\\s*("(?:[^"\\\\]|\\\\.)*")`);
  const m = re.exec(t);
  if (!m) return undefined;
  try {
    const v = JSON.parse(m[1]) as string;
    return v.trim() === '' ? undefined : v;
  } catch {
    return undefined;
  }
}
