/**
 * The catalog of well-known public ONNX image classifiers (media/models/catalog.json), each
 * with its download URL, size, sha256 and its own preprocessing. `catalog()` loads and
 * validates it; `fetchCatalogModel()` downloads one into the model cache (checking the sha256).
 */
import * as fs from 'fs';
import catalogJson from '../../../media/models/catalog.json';
import { UserError, type Layout, type Preprocessing } from '../types';
import type { CacheEntry } from './cache';
import { ModelCache } from './cache';
import { checkModelUrl, downloadModel, type DownloadOptions } from './download';
import { validatePreprocessing } from './preprocessing';

export interface CatalogEntry {
  /** Stable id used on the command line: `--model catalog:<id>`. */
  id: string;
  name: string;
  family: string;
  url: string;
  /** The model's page in the zoo (README with its preprocessing). */
  page: string;
  sizeBytes: number | null;
  sha256: string | null;
  opset: number | null;
  layout: Layout;
  input: { name: string; shape: (number | string)[] } | null;
  /** Framework the weights come from: decides the preprocessing family. */
  origin: 'caffe' | 'mxnet' | 'pytorch' | 'tensorflow' | string;
  preprocessing: Preprocessing;
  notes?: string;
}

export interface Catalog {
  about: string;
  models: CatalogEntry[];
}

function bad(where: string, what: string): never {
  throw new UserError(`Model catalog ${where}: ${what}.`, 'E_CATALOG');
}

/** Validates a parsed catalog file. `where` names it in errors. */
export function parseCatalog(raw: unknown, where: string): Catalog {
  if (typeof raw !== 'object' || raw === null) bad(where, 'not a JSON object');
  const c = raw as Record<string, unknown>;
  if (c.schema !== 'sparsity-lens/model-catalog') bad(where, '"schema" is not "sparsity-lens/model-catalog"');
  if (c.version !== 1) bad(where, `unsupported version ${JSON.stringify(c.version)}`);
  const presets = (c.presets ?? {}) as Record<string, unknown>;
  if (!Array.isArray(c.models)) bad(where, '"models" is not a list');
  const seen = new Set<string>();
  const models: CatalogEntry[] = (c.models as Record<string, unknown>[]).map((m, i) => {
    const at = `${where} models[${i}]${typeof m?.id === 'string' ? ` (${m.id})` : ''}`;
    if (typeof m !== 'object' || m === null) bad(at, 'not an object');
    const id = m.id;
    if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(id)) bad(at, '"id" must be lowercase letters, digits, ".", "_", "-"');
    if (seen.has(id)) bad(at, `duplicate id "${id}"`);
    seen.add(id);
    for (const k of ['name', 'family', 'url', 'page', 'origin'] as const) {
      if (typeof m[k] !== 'string' || !(m[k] as string)) bad(at, `"${k}" must be a non-empty string`);
    }
    try {
      checkModelUrl(m.url as string);
    } catch (e) {
      bad(at, `"url": ${(e as Error).message}`);
    }
    if (m.sizeBytes !== undefined && m.sizeBytes !== null && !(Number.isSafeInteger(m.sizeBytes) && (m.sizeBytes as number) > 0)) bad(at, '"sizeBytes" must be a positive integer');
    if (m.sha256 !== undefined && m.sha256 !== null && !(typeof m.sha256 === 'string' && /^[0-9a-f]{64}$/.test(m.sha256))) bad(at, '"sha256" must be 64 lowercase hex digits');
    if (m.layout !== 'NCHW' && m.layout !== 'NHWC') bad(at, '"layout" must be "NCHW" or "NHWC"');
    let pre: unknown = m.preprocessing;
    if (typeof pre === 'string') {
      if (!(pre in presets)) bad(at, `"preprocessing" names an unknown preset "${pre}" (known: ${Object.keys(presets).join(', ')})`);
      pre = presets[pre];
    }
    const preprocessing = validatePreprocessing(pre as Preprocessing, `Model catalog ${at}`);
    return {
      id,
      name: m.name as string,
      family: m.family as string,
      url: m.url as string,
      page: m.page as string,
      sizeBytes: (m.sizeBytes as number | undefined) ?? null,
      sha256: (m.sha256 as string | undefined) ?? null,
      opset: typeof m.opset === 'number' ? m.opset : null,
      layout: m.layout as Layout,
      input: (m.input as CatalogEntry['input']) ?? null,
      origin: m.origin as string,
      preprocessing,
      ...(typeof m.notes === 'string' ? { notes: m.notes } : {}),
    };
  });
  return { about: typeof c.about === 'string' ? c.about : '', models };
}

let cached: CatalogEntry[] | null = null;

/** The shipped catalog (validated once). */
export function catalog(): CatalogEntry[] {
  if (!cached) cached = parseCatalog(catalogJson, 'media/models/catalog.json').models;
  return cached;
}

/** Loads and validates a catalog file from disk (a user's or a test's). */
export function loadCatalog(file: string): CatalogEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`Model catalog ${file} cannot be read (${(e as Error).message}).`, 'E_CATALOG');
  }
  return parseCatalog(raw, file).models;
}

export function findCatalogEntry(id: string, models: CatalogEntry[] = catalog()): CatalogEntry {
  const e = models.find((m) => m.id === id.toLowerCase());
  if (!e) {
    throw new UserError(`No model "${id}" in the catalog. Available: ${models.map((m) => m.id).join(', ')}.`, 'E_CATALOG');
  }
  return e;
}

/** Cache id of a catalog model. */
export function catalogCacheId(id: string): string {
  return `catalog-${id}`;
}

export interface FetchCatalogOptions extends Pick<DownloadOptions, 'onProgress' | 'signal' | 'idleTimeoutMs'> {
  /** Default: the catalog's size plus 1 MiB of slack, or 2 GiB when the size is unknown. */
  maxBytes?: number;
  /** Re-download even if cached and intact. */
  force?: boolean;
  /** Accept a file whose sha256 differs from the catalog's (the upstream file changed). */
  skipSha256?: boolean;
}

/**
 * The catalog model in the cache: reused when already cached and intact (size check; the
 * sha256 was checked when it was downloaded), else downloaded and checked against the
 * catalog's sha256.
 */
export async function fetchCatalogModel(id: string, cacheDir: string, opts: FetchCatalogOptions = {}, models?: CatalogEntry[]): Promise<CacheEntry> {
  const m = findCatalogEntry(id, models);
  const cacheId = catalogCacheId(m.id);
  const cache = new ModelCache(cacheDir);
  if (!opts.force) {
    const existing = cache.get(cacheId);
    if (existing && existing.origin === m.url) {
      const [v] = await cache.verify(cacheId, { hash: false });
      if (v.ok) return existing;
    }
  }
  return downloadModel(m.url, cacheDir, {
    id: cacheId,
    source: 'catalog',
    origin: m.url,
    label: m.name,
    sourceLabel: `catalog:${m.id} (${m.url})`,
    preprocessing: m.preprocessing,
    expectedSha256: opts.skipSha256 ? undefined : m.sha256 ?? undefined,
    maxBytes: opts.maxBytes ?? (m.sizeBytes ? m.sizeBytes + (1 << 20) : undefined),
    onProgress: opts.onProgress,
    signal: opts.signal,
    idleTimeoutMs: opts.idleTimeoutMs,
    details: { catalogId: m.id, page: m.page },
  });
}
