/**
 * Model references in the extension: checking the text of `sparsityLens.model` (or a recent
 * entry) once, and what follows from a parsed ModelRef — is it fetched, which cache id, how to
 * describe it. Pure (no `vscode` import): the settings validator, the model sources, the cache
 * commands and the analysis worker share it; unit-tested in test/extension/modelRefs.test.ts.
 *
 * The parser itself is the core's (src/core/models/ref.ts), which the CLI uses too.
 */
import * as path from 'path';
import {
  catalog,
  catalogCacheId,
  checkModelUrl,
  defaultUrlId,
  isValidId,
  parseModelRef,
  TORCHVISION_ARCHS,
  torchvisionCacheId,
  type CacheEntry,
  type ModelRef,
} from '../../core/models';
import { UserError } from '../../core/types';
import type { PickedModel } from './source';

/** What exportTorchvision (core/models/torchExport.ts) accepts as an architecture name. */
const TORCHVISION_ARCH_NAME = /^[a-z][a-z0-9_]*$/;

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
      // Which names exist is the user's torchvision's answer (the export script lists them when
      // one is unknown), as in the CLI: TORCHVISION_ARCHS is only what the pickers offer first,
      // so efficientnet_b3 or convnext_base are not refused here. Only text that cannot be a
      // torchvision name is.
      if (!TORCHVISION_ARCH_NAME.test(ref.arch)) {
        return {
          ok: false,
          problem: `names "${ref.arch}", which is not a torchvision architecture name (lower-case letters, digits and _, e.g. ${TORCHVISION_ARCHS.slice(0, 3).map((a) => `torchvision:${a.arch}`).join(', ')}, or "torchvision:alexnet:random" for random weights)`,
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

/** The reference `value` names when it is resolved through the model cache; null for a file or an invalid value. */
export function referenceOf(value: string): ModelRef | null {
  const r = checkModelRef(value);
  return r.ok && r.ref !== null && r.ref.kind !== 'file' ? r.ref : null;
}

/** True for values that are resolved through the model cache (not a file on disk). */
export function isModelReference(value: string): boolean {
  return referenceOf(value) !== null;
}

/**
 * A recently used model (a path or a reference) as the model picker returns it: a path is used
 * as it is; a reference has no path yet (resolved through the cache when analysing).
 * `ref`: the parse of `text` when the caller has it already (referenceOf).
 */
export function pickedFromRecent(text: string, ref: ModelRef | null = referenceOf(text)): PickedModel {
  return ref ? { path: '', ref: text, source: text } : { path: text, ref: text, source: 'file' };
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
      return torchvisionCacheId(ref.arch, ref.weights, ref.seed);
    case 'catalog':
      return catalogCacheId(ref.id);
    case 'url':
      return defaultUrlId(ref.url);
    case 'cache':
      return ref.id;
  }
}

/** A short human description of a reference: "AlexNet exported from PyTorch (random weights)". */
export function describeModelRef(ref: ModelRef): string {
  switch (ref.kind) {
    case 'file':
      return path.basename(ref.path);
    case 'torchvision':
      return `torchvision ${ref.arch} exported from PyTorch (${ref.weights === 'none' ? `random weights${ref.seed ? `, seed ${ref.seed}` : ''}` : 'pretrained weights'})`;
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
  if (e.source === 'torchvision') {
    const seed = e.details?.seed;
    candidate = `torchvision:${e.origin}${e.details?.weights === 'none' ? (typeof seed === 'number' && seed !== 0 ? `:random:${seed}` : ':random') : ''}`;
  }
  else if (e.source === 'catalog' && typeof e.details?.catalogId === 'string') candidate = `catalog:${e.details.catalogId}`;
  else if (e.source === 'url') candidate = e.origin;
  else if (e.source === 'file') return e.origin;
  if (candidate) {
    // Parse the candidate as the setting would be: it must name a known source that finds this entry.
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
