/**
 * The model cache: one folder per model under a cache directory, plus one JSON index.
 *
 *   <cacheDir>/index.json                 {schema, version, entries: CacheEntry[]}  (temp + rename)
 *   <cacheDir>/<id>/<file>.onnx           or model.json + weight shards
 *   <cacheDir>/<id>/<stem>.sparsity.json  sidecar: the entry's preprocessing and source, so the
 *                                         analysis finds them from the model path alone
 *   <cacheDir>/.tmp-<id>-<random>/        staging while downloading/exporting; never indexed
 *
 * Nothing reaches `<id>/` or the index before it is complete and verified: downloads and
 * exports write into a staging folder, the caller verifies, then `commit()` renames the
 * folder into place and updates the index under a lock. A failed or cancelled fetch removes
 * its staging folder, so the cache directory is left exactly as it was.
 *
 * The extension passes its globalStorage path; the CLI uses `defaultCacheDir()`.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError, type Preprocessing } from '../types';
import type { ModelWeights } from '../report/schema';
import { sidecarJson, SIDECAR_SUFFIX, type ModelSidecar } from './preprocessing';
import { writeFileAtomic } from '../fsAtomic';
import { sha256OfFiles } from '../modelHash';

export type ModelSourceKind = 'file' | 'torchvision' | 'url' | 'catalog';
export type CachedFormat = 'onnx' | 'tfjs';

export interface CacheFile {
  /** Path relative to the entry folder (`model.json`, `group1-shard1of2.bin`). */
  name: string;
  sha256: string;
  size: number;
}

export interface CacheEntry {
  id: string;
  source: ModelSourceKind;
  /** URL for `url`/`catalog`, architecture for `torchvision` (`alexnet`), original path for `file`. */
  origin: string;
  /** Absolute path of the model file to open (`.onnx` or `model.json`). */
  path: string;
  format: CachedFormat;
  /**
   * sha256 of the model as reports record it (src/core/modelHash.ts): of the .onnx file, or
   * of a TF.js model.json followed by its weight shards in manifest order. Per-file hashes
   * are in `files`.
   */
  sha256: string;
  /** Total bytes of all files of the entry. */
  size: number;
  /** Every file of the entry (the model file first). */
  files: CacheFile[];
  /** ISO 8601. */
  addedAt: string;
  /** What this source says about preprocessing (null: unknown, the preset applies). */
  preprocessing: Partial<Preprocessing> | null;
  /** Human-readable name. */
  label?: string;
  /** Source-specific facts: weights, torch version, opset, catalog id, … */
  details?: Record<string, string | number | boolean | null>;
}

export interface CacheIndex {
  schema: 'sparsity-lens/model-cache';
  version: 1;
  entries: CacheEntry[];
}

export interface VerifyResult {
  id: string;
  ok: boolean;
  problems: string[];
}

const INDEX = 'index.json';
const LOCK = 'index.lock';
const STAGING_PREFIX = '.tmp-';
const LOCK_STALE_MS = 60_000;
const STAGING_STALE_MS = 24 * 3600_000;

/** `$XDG_CACHE_HOME/sparsity-lens/models`, else `~/.cache/sparsity-lens/models`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'sparsity-lens', 'models');
}

/** A safe id / folder name: lowercase letters, digits, `.`, `_`, `-`. */
export function sanitizeId(s: string): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 80);
  return out || 'model';
}

export function isValidId(id: string): boolean {
  return /^[a-z0-9][a-z0-9._-]{0,79}$/.test(id) && !id.startsWith(STAGING_PREFIX) && id !== INDEX && id !== LOCK;
}

/** sha256 of one file (streamed). */
export function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  return sha256OfFiles([file], signal);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A folder being filled by a download or export; `commit()` it or `discard()` it. */
export interface Staging {
  readonly dir: string;
  readonly id: string;
}

export interface CommitInput {
  source: ModelSourceKind;
  origin: string;
  /** Model file, relative to the staging folder. */
  mainFile: string;
  format: CachedFormat;
  /** Other files (weight shards), relative to the staging folder. */
  extraFiles?: string[];
  /** Already computed hashes (file name → sha256), to avoid re-reading large files. */
  knownSha256?: Record<string, string>;
  preprocessing: Partial<Preprocessing> | null;
  label?: string;
  details?: CacheEntry['details'];
  /** `source` written to the sidecar (default `<source>:<origin>`), e.g. `torchvision:alexnet (weights=…)`. */
  sourceLabel?: string;
  /** Written to the sidecar, so every report of this model says which weights it has. */
  weights?: ModelWeights;
}

export class ModelCache {
  readonly dir: string;

  constructor(dir: string) {
    if (!dir) throw new UserError('No model cache directory was given.', 'E_CACHE');
    this.dir = path.resolve(dir);
  }

  get indexPath(): string {
    return path.join(this.dir, INDEX);
  }

  private readIndex(): CacheIndex {
    let text: string;
    try {
      text = fs.readFileSync(this.indexPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { schema: 'sparsity-lens/model-cache', version: 1, entries: [] };
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new UserError(
        `The model cache index ${this.indexPath} is not valid JSON (${(e as Error).message}). Delete it (cached model folders beside it can then be removed too) and fetch the models again.`,
        'E_CACHE',
      );
    }
    const idx = parsed as CacheIndex;
    if (!idx || idx.schema !== 'sparsity-lens/model-cache' || !Array.isArray(idx.entries)) {
      throw new UserError(`${this.indexPath} is not a Sparsity Lens model cache index. Delete it or choose another cache directory.`, 'E_CACHE');
    }
    if (idx.version !== 1) {
      throw new UserError(`The model cache index ${this.indexPath} has version ${String(idx.version)}; this Sparsity Lens reads version 1. Update Sparsity Lens or use another cache directory.`, 'E_CACHE');
    }
    // Paths are stored absolute for callers; re-anchor them if the cache folder was moved.
    for (const e of idx.entries) {
      if (e.source !== 'file') e.path = path.join(this.dir, e.id, e.files[0]?.name ?? path.basename(e.path));
    }
    return idx;
  }

  private writeIndex(idx: CacheIndex): void {
    writeFileAtomic(this.indexPath, JSON.stringify(idx, null, 2) + '\n');
  }

  /** Runs `fn` holding the index lock (a lock folder; a lock older than 60 s is taken over). */
  private async withLock<T>(fn: () => T | Promise<T>): Promise<T> {
    fs.mkdirSync(this.dir, { recursive: true });
    const lock = path.join(this.dir, LOCK);
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        fs.mkdirSync(lock);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        try {
          if (Date.now() - fs.statSync(lock).mtimeMs > LOCK_STALE_MS) {
            fs.rmSync(lock, { recursive: true, force: true });
            continue;
          }
        } catch {
          continue;
        }
        if (Date.now() > deadline) {
          throw new UserError(`The model cache ${this.dir} is locked by another Sparsity Lens process (${lock}). Wait for it to finish, or delete ${lock} if no other process is running.`, 'E_CACHE');
        }
        await sleep(50);
      }
    }
    try {
      return await fn();
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }

  /** All entries, newest first. */
  list(): CacheEntry[] {
    return [...this.readIndex().entries].sort((a, b) => b.addedAt.localeCompare(a.addedAt));
  }

  get(id: string): CacheEntry | undefined {
    return this.readIndex().entries.find((e) => e.id === id);
  }

  /** The entry whose model file is `modelPath`, if the file is in this cache. */
  findByPath(modelPath: string): CacheEntry | undefined {
    const p = path.resolve(modelPath);
    return this.readIndex().entries.find((e) => path.resolve(e.path) === p);
  }

  findByOrigin(source: ModelSourceKind, origin: string): CacheEntry[] {
    return this.readIndex().entries.filter((e) => e.source === source && e.origin === origin);
  }

  /**
   * The entry, checked to be usable: every file exists with its recorded size; with
   * `hash: true` also re-hashed. Throws a UserError naming the fix when not.
   */
  async open(id: string, opts: { hash?: boolean } = {}): Promise<CacheEntry> {
    const e = this.get(id);
    if (!e) {
      const ids = this.list().map((x) => x.id);
      throw new UserError(`No cached model "${id}" in ${this.dir}. ${ids.length ? `Cached: ${ids.join(', ')}.` : 'The cache is empty.'} List them with "sparsity-lens models list".`, 'E_CACHE');
    }
    const [r] = await this.verify(id, { hash: opts.hash ?? false });
    if (!r.ok) {
      throw new UserError(`Cached model "${id}" is damaged: ${r.problems.join('; ')}. Remove it ("sparsity-lens models remove ${id}") and fetch it again.`, 'E_CACHE');
    }
    return e;
  }

  /** Removes an entry and deletes its folder. A `file` entry only forgets the user's file. */
  async remove(id: string): Promise<boolean> {
    return this.withLock(() => {
      const idx = this.readIndex();
      const i = idx.entries.findIndex((e) => e.id === id);
      if (i < 0) return false;
      const [e] = idx.entries.splice(i, 1);
      this.writeIndex(idx);
      if (e.source !== 'file') this.deleteEntryDir(e.id);
      return true;
    });
  }

  private deleteEntryDir(id: string): void {
    if (!isValidId(id)) return;
    const dir = path.join(this.dir, id);
    // Rename first so a half-deleted folder is never mistaken for a model.
    const trash = path.join(this.dir, `${STAGING_PREFIX}rm-${id}-${crypto.randomBytes(4).toString('hex')}`);
    try {
      fs.renameSync(dir, trash);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    fs.rmSync(trash, { recursive: true, force: true });
  }

  /**
   * Re-checks entries (all, or one): files present with their sizes, and with `hash` (default
   * true) their sha256 as recorded.
   */
  async verify(id?: string, opts: { hash?: boolean; signal?: AbortSignal } = {}): Promise<VerifyResult[]> {
    const hash = opts.hash ?? true;
    const entries = this.readIndex().entries.filter((e) => id === undefined || e.id === id);
    if (id !== undefined && entries.length === 0) {
      throw new UserError(`No cached model "${id}" in ${this.dir}.`, 'E_CACHE');
    }
    const out: VerifyResult[] = [];
    for (const e of entries) {
      const problems: string[] = [];
      const base = e.source === 'file' ? path.dirname(e.path) : path.join(this.dir, e.id);
      for (const f of e.files) {
        const p = path.join(base, f.name);
        let st: fs.Stats;
        try {
          st = fs.statSync(p);
        } catch {
          problems.push(`${f.name} is missing`);
          continue;
        }
        if (st.size !== f.size) {
          problems.push(`${f.name} has ${st.size} bytes, expected ${f.size}`);
          continue;
        }
        if (hash) {
          const h = await sha256File(p, opts.signal);
          if (h !== f.sha256) problems.push(`${f.name} has sha256 ${h.slice(0, 12)}…, expected ${f.sha256.slice(0, 12)}…`);
        }
      }
      out.push({ id: e.id, ok: problems.length === 0, problems });
    }
    return out;
  }

  /** Removes staging folders left by crashed processes (older than a day). */
  cleanStale(now = Date.now()): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (!n.startsWith(STAGING_PREFIX)) continue;
      const p = path.join(this.dir, n);
      try {
        if (now - fs.statSync(p).mtimeMs > STAGING_STALE_MS) fs.rmSync(p, { recursive: true, force: true });
      } catch {
        // Another process may be removing it.
      }
    }
  }

  /** A new empty staging folder inside the cache (same filesystem, so commit is a rename). */
  stage(id: string): Staging {
    if (!isValidId(id)) throw new UserError(`"${id}" is not a valid model id (use lowercase letters, digits, ".", "_", "-").`, 'E_CACHE');
    fs.mkdirSync(this.dir, { recursive: true });
    this.cleanStale();
    const dir = path.join(this.dir, `${STAGING_PREFIX}${id}-${crypto.randomBytes(6).toString('hex')}`);
    fs.mkdirSync(dir);
    return { dir, id };
  }

  discard(staging: Staging): void {
    fs.rmSync(staging.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }

  /**
   * Moves a verified staging folder into place as `<id>/` (replacing an older entry with the
   * same id), writes its sidecar and indexes it. Returns the new entry.
   */
  async commit(staging: Staging, input: CommitInput): Promise<CacheEntry> {
    const names = [input.mainFile, ...(input.extraFiles ?? [])];
    const files: CacheFile[] = [];
    for (const name of names) {
      const p = path.join(staging.dir, name);
      const st = fs.statSync(p);
      const sha = input.knownSha256?.[name] ?? (await sha256File(p));
      files.push({ name: name.split(path.sep).join('/'), sha256: sha, size: st.size });
    }
    const entryDir = path.join(this.dir, staging.id);
    const entry: CacheEntry = {
      id: staging.id,
      source: input.source,
      origin: input.origin,
      path: path.join(entryDir, input.mainFile),
      format: input.format,
      sha256: input.format === 'tfjs' && files.length > 1 ? await sha256OfFiles(names.map((n) => path.join(staging.dir, n))) : files[0].sha256,
      size: files.reduce((s, f) => s + f.size, 0),
      files,
      addedAt: new Date().toISOString(),
      preprocessing: input.preprocessing,
      ...(input.label ? { label: input.label } : {}),
      ...(input.details ? { details: input.details } : {}),
    };
    const sidecar: ModelSidecar = {
      source: input.sourceLabel ?? `${input.source}:${input.origin}`,
      ...(input.label ? { label: input.label } : {}),
      sha256: entry.sha256,
      ...(input.preprocessing ? { preprocessing: input.preprocessing } : {}),
      ...(input.weights ? { weights: input.weights } : {}),
      notes: 'Written by the Sparsity Lens model cache. Edit "preprocessing" to change how images are prepared for this model.',
    };
    const stem = path.basename(input.mainFile).replace(/\.[^.]+$/, '');
    fs.writeFileSync(path.join(staging.dir, path.dirname(input.mainFile), stem + SIDECAR_SUFFIX), sidecarJson(sidecar));

    return this.withLock(() => {
      const idx = this.readIndex();
      const old = idx.entries.findIndex((e) => e.id === staging.id);
      if (old >= 0) {
        idx.entries.splice(old, 1);
        this.deleteEntryDir(staging.id);
      } else if (fs.existsSync(entryDir)) {
        // An unindexed leftover (e.g. removed by hand from the index): replace it.
        this.deleteEntryDir(staging.id);
      }
      fs.renameSync(staging.dir, entryDir);
      idx.entries.push(entry);
      this.writeIndex(idx);
      return entry;
    });
  }

  /**
   * Remembers a user's own model file without copying it (`source: 'file'`). Removing such an
   * entry never deletes the user's file.
   */
  async addLocalFile(modelPath: string, opts: { id?: string; label?: string; preprocessing?: Partial<Preprocessing> | null } = {}): Promise<CacheEntry> {
    const abs = path.resolve(modelPath);
    const st = fs.statSync(abs);
    const format: CachedFormat = abs.toLowerCase().endsWith('.json') ? 'tfjs' : 'onnx';
    const sha = await sha256File(abs);
    const id = opts.id ?? `file-${sanitizeId(path.basename(abs).replace(/\.[^.]+$/, ''))}-${sha.slice(0, 8)}`;
    const entry: CacheEntry = {
      id,
      source: 'file',
      origin: abs,
      path: abs,
      format,
      sha256: sha,
      size: st.size,
      files: [{ name: path.basename(abs), sha256: sha, size: st.size }],
      addedAt: new Date().toISOString(),
      preprocessing: opts.preprocessing ?? null,
      ...(opts.label ? { label: opts.label } : {}),
    };
    return this.withLock(() => {
      const idx = this.readIndex();
      idx.entries = idx.entries.filter((e) => e.id !== id);
      idx.entries.push(entry);
      this.writeIndex(idx);
      return entry;
    });
  }
}
