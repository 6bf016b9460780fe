/**
 * Downloading a model by URL into the model cache, with Node's built-in http/https only.
 *
 * - https:// only; http:// is accepted for this computer (127.0.0.1, localhost, ::1), which is
 *   what the tests use. Up to 5 redirects; a redirect may not downgrade to plain http.
 * - The size is known before the body is read (Content-Length, reported through onProgress
 *   and by `probe()`), and `maxBytes` is enforced both on Content-Length and on the stream.
 * - The body streams into a staging folder with its sha256 computed on the fly. A transfer
 *   that ends early (fewer bytes than Content-Length, or a reset connection) is rejected, as
 *   is an HTML page (content-type text/html or a body starting with `<`).
 * - The result must parse as a model: ONNX (walked and decoded with onnx-proto: a graph with
 *   nodes) or a TF.js model.json (modelTopology + weightsManifest), whose weight shards are
 *   then downloaded relative to the model.json URL and checked against the manifest's sizes.
 * - Only then is the staging folder renamed into the cache and indexed with its sha256.
 *   Any failure or cancellation removes the staging folder: nothing usable-looking is left.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { CancelledError, UserError, type Preprocessing } from '../types';
import { ModelCache, sanitizeId, type CacheEntry, type CommitInput, type ModelSourceKind, type Staging } from './cache';
import { inspectOnnx, OnnxFormatError } from './onnxInspect';

export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
const PROGRESS_INTERVAL_MS = 100;

export interface DownloadProgress {
  /** Bytes received so far, over all files of the model. */
  received: number;
  /** Expected total bytes when known (Content-Length, plus the TF.js manifest's sizes), else null. */
  total: number | null;
  /** The file being fetched (`resnet50.onnx`, `model.json`, `group1-shard1of4.bin`). */
  file: string;
}

export interface DownloadOptions {
  /** Refuse anything larger (all files together). Default 2 GiB. */
  maxBytes?: number;
  /** Lower-case hex sha256 the model file (the .onnx or model.json) must have. */
  expectedSha256?: string;
  onProgress?(p: DownloadProgress): void;
  signal?: AbortSignal;
  /** Cache id (default `url-<name>-<hash of the URL>`). An entry with the same id is replaced. */
  id?: string;
  /** Recorded in the index: `url` (default) or `catalog`. */
  source?: Extract<ModelSourceKind, 'url' | 'catalog'>;
  /** Recorded origin (default: the URL). */
  origin?: string;
  /** Preprocessing known for this model (catalog entries), stored with the entry. */
  preprocessing?: Partial<Preprocessing> | null;
  label?: string;
  details?: CacheEntry['details'];
  /** `source` recorded in the model's sidecar and so in reports (default `url:<url>`). */
  sourceLabel?: string;
  /** Abort when no data arrives for this long. Default 60 s. */
  idleTimeoutMs?: number;
}

export interface ProbeResult {
  url: string;
  /** After redirects. */
  finalUrl: string;
  /** Bytes, when the server says. */
  size: number | null;
  contentType: string | null;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function isLoopback(u: URL): boolean {
  return LOOPBACK.has(u.hostname.toLowerCase());
}

/** Parses and checks a model URL (https, or http on this computer). */
export function checkModelUrl(raw: string, via?: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UserError(`"${raw}" is not a URL. Give the full address of the model file, starting with https://.`, 'E_DOWNLOAD');
  }
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:' && isLoopback(u)) return u;
  const how = via ? ` (redirected from ${via})` : '';
  if (u.protocol === 'http:') {
    throw new UserError(`Refusing to download a model over plain http: ${u.href}${how}. Use the https:// address of the file (plain http is only accepted from this computer, 127.0.0.1/localhost).`, 'E_DOWNLOAD');
  }
  throw new UserError(`Cannot download ${u.href}${how}: only https:// addresses are supported. For a file on disk, open it as a local model instead.`, 'E_DOWNLOAD');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

interface Opened {
  res: http.IncomingMessage;
  req: http.ClientRequest;
  finalUrl: URL;
}

function networkError(url: string, e: NodeJS.ErrnoException): UserError {
  const code = e.code ? ` (${e.code})` : '';
  return new UserError(`Could not download ${url}: ${e.message}${code}. Check the address, your network connection and proxy settings, then try again; nothing was saved.`, 'E_DOWNLOAD');
}

/** One request, following redirects. Rejects on network errors; resolves with any final status. */
function openUrl(
  url: string,
  opts: { method: 'GET' | 'HEAD'; headers?: Record<string, string>; signal?: AbortSignal; idleTimeoutMs: number },
): Promise<Opened> {
  return new Promise<Opened>((resolve, reject) => {
    let current = checkModelUrl(url);
    let redirects = 0;
    const attempt = (): void => {
      if (opts.signal?.aborted) return reject(new CancelledError());
      const lib = current.protocol === 'https:' ? https : http;
      const req = lib.request(
        current,
        { method: opts.method, headers: { 'user-agent': 'sparsity-lens', accept: '*/*', 'accept-encoding': 'identity', ...opts.headers } },
        (res) => {
          const status = res.statusCode ?? 0;
          if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
            res.resume();
            req.destroy();
            opts.signal?.removeEventListener('abort', onAbort);
            if (++redirects > MAX_REDIRECTS) {
              return reject(new UserError(`Too many redirects (more than ${MAX_REDIRECTS}) for ${url}. Use the final download address of the file.`, 'E_DOWNLOAD'));
            }
            try {
              current = checkModelUrl(new URL(res.headers.location, current).href, current.href);
            } catch (e) {
              return reject(e);
            }
            return attempt();
          }
          resolve({ res, req, finalUrl: current });
        },
      );
      const onAbort = (): void => {
        req.destroy(new CancelledError());
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => opts.signal?.removeEventListener('abort', onAbort));
      req.setTimeout(opts.idleTimeoutMs, () => {
        req.destroy(Object.assign(new Error(`no data for ${Math.round(opts.idleTimeoutMs / 1000)} s`), { code: 'ETIMEDOUT' }));
      });
      req.on('error', (e) => {
        if (e instanceof CancelledError || opts.signal?.aborted) reject(new CancelledError());
        else reject(networkError(url, e as NodeJS.ErrnoException));
      });
      req.end();
    };
    attempt();
  });
}

function statusError(url: string, res: http.IncomingMessage): UserError {
  const status = res.statusCode ?? 0;
  const text = `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
  let fix = 'Check the address and try again.';
  if (status === 404 || status === 410) fix = 'Check the address (open it in a browser); on GitHub use the file\'s "raw" download link.';
  else if (status === 401 || status === 403) fix = 'The file is not public; download it in a browser and open it as a local model.';
  else if (status >= 500) fix = 'The server has a problem; try again later.';
  return new UserError(`Download failed: ${url} answered ${text}. ${fix} Nothing was saved.`, 'E_DOWNLOAD');
}

function htmlError(url: string): UserError {
  return new UserError(
    `${url} returned a web page (HTML), not a model file. Use the direct download link of the .onnx or model.json file (on GitHub the "raw" link, on Hugging Face ".../resolve/main/<file>"). Nothing was saved.`,
    'E_DOWNLOAD',
  );
}

function tooBigError(url: string, size: number, maxBytes: number, known: boolean): UserError {
  return new UserError(
    `${url} is ${known ? '' : 'more than '}${formatBytes(size)}, over the download limit of ${formatBytes(maxBytes)}. If you trust this file, raise the limit (maxBytes) and try again. Nothing was saved.`,
    'E_DOWNLOAD_SIZE',
  );
}

function contentLength(res: http.IncomingMessage): number | null {
  const v = res.headers['content-length'];
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Size and type of a URL without downloading it (HEAD, else a 1-byte range GET). */
export async function probe(url: string, opts: { signal?: AbortSignal; idleTimeoutMs?: number } = {}): Promise<ProbeResult> {
  const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const head = await openUrl(url, { method: 'HEAD', signal: opts.signal, idleTimeoutMs });
  head.res.resume();
  head.req.destroy();
  const hs = head.res.statusCode ?? 0;
  let size = hs >= 200 && hs < 300 ? contentLength(head.res) : null;
  let contentType = (head.res.headers['content-type'] as string | undefined) ?? null;
  let finalUrl = head.finalUrl;
  if (hs >= 400 && ![403, 405, 501].includes(hs)) throw statusError(url, head.res);
  if (size === null) {
    const get = await openUrl(url, { method: 'GET', headers: { range: 'bytes=0-0' }, signal: opts.signal, idleTimeoutMs });
    get.req.destroy();
    get.res.destroy();
    const gs = get.res.statusCode ?? 0;
    if (gs >= 400) throw statusError(url, get.res);
    finalUrl = get.finalUrl;
    contentType = (get.res.headers['content-type'] as string | undefined) ?? contentType;
    if (gs === 206) {
      const m = /\/(\d+)\s*$/.exec(String(get.res.headers['content-range'] ?? ''));
      size = m ? Number(m[1]) : null;
    } else {
      size = contentLength(get.res);
    }
  }
  return { url, finalUrl: finalUrl.href, size, contentType };
}

interface FetchResult {
  sha256: string;
  size: number;
  finalUrl: string;
  contentType: string | null;
  firstByte: number | null;
}

interface FetchContext {
  maxBytes: number;
  /** Bytes already used by earlier files of the same model. */
  usedBefore: number;
  signal?: AbortSignal;
  idleTimeoutMs: number;
  /** `force`: report now (start of a file, its first bytes); otherwise throttled. */
  progress(receivedTotal: number, file: string, contentLength: number | null, force: boolean): void;
}

/** GETs one URL into `dest`, hashing as it streams; enforces status, HTML, size and completeness. */
async function fetchToFile(url: string, dest: string, label: string, ctx: FetchContext): Promise<FetchResult> {
  const { res, req, finalUrl } = await openUrl(url, { method: 'GET', signal: ctx.signal, idleTimeoutMs: ctx.idleTimeoutMs });
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    res.resume();
    req.destroy();
    throw statusError(url, res);
  }
  const contentType = (res.headers['content-type'] as string | undefined) ?? null;
  if (contentType && /^\s*text\/html\b/i.test(contentType)) {
    req.destroy();
    throw htmlError(url);
  }
  const length = contentLength(res);
  const budget = ctx.maxBytes - ctx.usedBefore;
  if (length !== null && length > budget) {
    req.destroy();
    throw tooBigError(url, ctx.usedBefore + length, ctx.maxBytes, true);
  }
  ctx.progress(ctx.usedBefore, label, length, true);

  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const out = fs.createWriteStream(dest, { flags: 'wx' });
  const hash = crypto.createHash('sha256');
  let received = 0;
  let firstByte: number | null = null;

  return new Promise<FetchResult>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      cleanup();
      // A cancel destroys the request, which can surface first as a reset connection.
      const e = ctx.signal?.aborted ? new CancelledError() : err;
      req.destroy();
      res.destroy();
      // Reject once the file is closed, so the caller can delete it (Windows keeps open files).
      if (out.closed) reject(e);
      else {
        out.once('close', () => reject(e));
        out.destroy();
      }
    };
    const onAbort = (): void => fail(new CancelledError());
    const cleanup = (): void => ctx.signal?.removeEventListener('abort', onAbort);
    if (ctx.signal?.aborted) return onAbort();
    ctx.signal?.addEventListener('abort', onAbort, { once: true });

    res.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (firstByte === null) {
        // The first non-whitespace byte: `<` is an HTML/XML page, never an ONNX or JSON model.
        const i = chunk.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0xef && b !== 0xbb && b !== 0xbf);
        if (i >= 0) {
          firstByte = chunk[i];
          if (firstByte === 0x3c) return fail(htmlError(url));
        }
      }
      received += chunk.length;
      if (received > budget) return fail(tooBigError(url, ctx.usedBefore + received, ctx.maxBytes, false));
      hash.update(chunk);
      ctx.progress(ctx.usedBefore + received, label, length, received === chunk.length);
      if (!out.write(chunk)) {
        res.pause();
        out.once('drain', () => res.resume());
      }
    });
    res.on('aborted', () => fail(truncated()));
    res.on('error', (e) => fail(ctx.signal?.aborted ? new CancelledError() : truncated(e)));
    out.on('error', (e) => fail(new UserError(`Could not write ${dest}: ${e.message}. Check free disk space and permissions of the model cache folder.`, 'E_CACHE')));
    res.on('end', () => {
      if (settled) return;
      if (length !== null && received !== length) return fail(truncated());
      out.end(() => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve({ sha256: hash.digest('hex'), size: received, finalUrl: finalUrl.href, contentType, firstByte });
      });
    });

    function truncated(e?: Error): UserError {
      const of = length !== null ? ` of ${length}` : '';
      return new UserError(
        `The download of ${url} was cut off after ${received}${of} bytes${e ? ` (${e.message})` : ''}. Try again; nothing was saved.`,
        'E_DOWNLOAD_TRUNCATED',
      );
    }
  });
}

/** Bytes per element of a TF.js weight as stored (quantized weights store the quantized type). */
function tfjsBytesPerElement(w: TfjsWeight): number | null {
  const q = w.quantization?.dtype;
  if (q) return q === 'uint8' ? 1 : q === 'uint16' || q === 'float16' ? 2 : null;
  switch (w.dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'bool':
      return 1;
    case 'complex64':
      return 8;
    default:
      return null; // string weights have variable size
  }
}

interface TfjsWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype?: string };
}
interface TfjsGroup {
  paths: string[];
  weights: TfjsWeight[];
}

/** Validates a parsed model.json; returns its manifest groups. `where` names the file. */
export function checkTfjsModelJson(json: unknown, where: string): TfjsGroup[] {
  const notModel = (why: string): UserError =>
    new UserError(`${where} is JSON but not a TF.js model.json (${why}). Use the model.json written by the TensorFlow.js converter or tf.io.`, 'E_NOT_A_MODEL');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw notModel('not an object');
  const j = json as Record<string, unknown>;
  if (typeof j.modelTopology !== 'object' || j.modelTopology === null) throw notModel('no "modelTopology"');
  if (!Array.isArray(j.weightsManifest)) throw notModel('no "weightsManifest" list');
  const groups = j.weightsManifest as TfjsGroup[];
  for (const [gi, g] of groups.entries()) {
    if (!g || !Array.isArray(g.paths) || !Array.isArray(g.weights)) throw notModel(`weightsManifest[${gi}] lacks "paths" or "weights"`);
    for (const p of g.paths) {
      if (typeof p !== 'string' || !p || p.startsWith('/') || p.includes('\\') || /^[a-z][a-z0-9+.-]*:/i.test(p) || p.split('/').some((s) => s === '..' || s === '.' || s === '')) {
        throw notModel(`weight path ${JSON.stringify(p)} is not a plain relative file name`);
      }
    }
    for (const w of g.weights) {
      if (!w || typeof w.name !== 'string' || !Array.isArray(w.shape) || typeof w.dtype !== 'string') throw notModel(`weightsManifest[${gi}] has a malformed weight entry`);
    }
  }
  return groups;
}

/** Expected bytes of one manifest group, or null when it cannot be known (string weights). */
function groupBytes(g: TfjsGroup): number | null {
  let total = 0;
  for (const w of g.weights) {
    const b = tfjsBytesPerElement(w);
    if (b === null) return null;
    total += w.shape.reduce((a, d) => a * d, 1) * b;
  }
  return total;
}

/** The model's own name from its URL, for the file and the default id. */
function urlFileName(u: URL): string {
  const last = decodeURIComponent(u.pathname.split('/').filter(Boolean).pop() ?? '');
  return last.replace(/[^A-Za-z0-9._-]+/g, '_');
}

export function defaultUrlId(url: string): string {
  const name = urlFileName(new URL(url)).replace(/\.(onnx|json)$/i, '') || 'model';
  const h = crypto.createHash('sha256').update(url).digest('hex').slice(0, 8);
  return `url-${sanitizeId(name)}-${h}`.slice(0, 80);
}

/** What downloadModel was asked for, checked before anything is fetched. */
interface DownloadPlan {
  url: URL;
  maxBytes: number;
  /** Lower-case hex sha256 of the model file, when the caller knows it. */
  expectedSha256?: string;
}

function planDownload(url: string, opts: DownloadOptions): DownloadPlan {
  const u = checkModelUrl(url);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(maxBytes > 0)) throw new UserError(`The download limit must be a positive number of bytes (got ${maxBytes}).`, 'E_DOWNLOAD');
  const expected = opts.expectedSha256?.toLowerCase();
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) {
    throw new UserError(`Expected sha256 "${opts.expectedSha256}" is not 64 hex digits.`, 'E_DOWNLOAD');
  }
  return { url: u, maxBytes, expectedSha256: expected };
}

/**
 * Progress for onProgress, throttled to one event per PROGRESS_INTERVAL_MS unless forced.
 * `knownTotal` is the whole model's size once known (a TF.js manifest's shards); until then
 * the total is the current file's Content-Length.
 */
class ProgressReporter {
  knownTotal: number | null = null;
  private lastEmit = 0;

  constructor(private readonly onProgress: DownloadOptions['onProgress']) {}

  report(received: number, file: string, length: number | null, force = false): void {
    if (!this.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastEmit < PROGRESS_INTERVAL_MS) return;
    this.lastEmit = now;
    this.onProgress({ received, total: this.knownTotal ?? length, file });
  }
}

/** The cache index fields every download records, whatever the format. */
function commitBase(plan: DownloadPlan, opts: DownloadOptions): Pick<CommitInput, 'source' | 'origin' | 'preprocessing' | 'label' | 'sourceLabel'> {
  return {
    source: opts.source ?? 'url',
    origin: opts.origin ?? plan.url.href,
    preprocessing: opts.preprocessing ?? null,
    label: opts.label,
    sourceLabel: opts.sourceLabel,
  };
}

/** Phase 1: the URL's own file into the staging folder under a neutral name (the format decides the final name); not empty, the expected sha256. */
async function fetchMainFile(url: string, plan: DownloadPlan, tmpMain: string, label: string, ctx: FetchContext): Promise<FetchResult> {
  const main = await fetchToFile(plan.url.href, tmpMain, label, ctx);
  if (main.size === 0) throw new UserError(`${url} is empty (0 bytes). Check the address; nothing was saved.`, 'E_NOT_A_MODEL');
  if (plan.expectedSha256 && main.sha256 !== plan.expectedSha256) {
    throw new UserError(
      `${url} has sha256 ${main.sha256}, expected ${plan.expectedSha256}. The file changed upstream or was damaged in transit; nothing was saved. If the new file is trusted, download it without the expected checksum.`,
      'E_DOWNLOAD_SHA',
    );
  }
  return main;
}

/** The staged model file and what phase 1 learnt about it. */
interface FetchedMain {
  main: FetchResult;
  /** Its staging path under the neutral name. */
  tmpMain: string;
  /** The file name from the URL ('' when it has none). */
  name: string;
}

/**
 * Phase 2, TF.js: the model.json is checked, its weight shards are downloaded from the same
 * folder of the URL and checked against the sizes its manifest declares, then all is committed.
 */
async function commitTfjs(url: string, plan: DownloadPlan, fetched: FetchedMain, cache: ModelCache, staging: Staging, ctx: FetchContext, progress: ProgressReporter, opts: DownloadOptions): Promise<CacheEntry> {
  const { main } = fetched;
  const name = /\.json$/i.test(fetched.name) ? fetched.name : 'model.json';
  const mainPath = path.join(staging.dir, name);
  fs.renameSync(fetched.tmpMain, mainPath);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(mainPath, 'utf8'));
  } catch (e) {
    throw new UserError(`${url} is neither an ONNX model nor valid JSON (${(e as Error).message}). Give the address of a .onnx file or a TF.js model.json.`, 'E_NOT_A_MODEL');
  }
  const groups = checkTfjsModelJson(json, url);
  const expectedBytes = groups.map(groupBytes);
  if (expectedBytes.every((b) => b !== null)) progress.knownTotal = main.size + (expectedBytes as number[]).reduce((a, b) => a + b, 0);
  if (progress.knownTotal !== null && progress.knownTotal > plan.maxBytes) throw tooBigError(url, progress.knownTotal, plan.maxBytes, true);
  const shards: string[] = [];
  const shaOf: Record<string, string> = { [name]: main.sha256 };
  ctx.usedBefore = main.size;
  for (const [gi, g] of groups.entries()) {
    let groupGot = 0;
    for (const p of g.paths) {
      if (shards.includes(p)) throw new UserError(`${url}: weight file ${p} is listed twice in weightsManifest; the model.json is malformed.`, 'E_NOT_A_MODEL');
      const shardUrl = new URL(p, plan.url).href;
      const r = await fetchToFile(shardUrl, path.join(staging.dir, ...p.split('/')), p, ctx);
      ctx.usedBefore += r.size;
      groupGot += r.size;
      shards.push(p);
      shaOf[p] = r.sha256;
    }
    const want = expectedBytes[gi];
    if (want !== null && groupGot !== want) {
      throw new UserError(
        `The weight files of ${url} (group ${gi + 1}: ${g.paths.join(', ')}) hold ${groupGot} bytes, but its weightsManifest describes ${want}. The shards do not belong to this model.json or are incomplete; nothing was saved.`,
        'E_NOT_A_MODEL',
      );
    }
  }
  progress.report(ctx.usedBefore, name, null, true);
  return cache.commit(staging, {
    ...commitBase(plan, opts),
    mainFile: name,
    format: 'tfjs',
    extraFiles: shards,
    knownSha256: shaOf,
    details: { url: plan.url.href, finalUrl: main.finalUrl, ...(opts.details ?? {}) },
  });
}

/** Phase 2, ONNX: the file must decode as an ONNX graph with nodes and no external data; then it is committed. */
async function commitOnnx(url: string, plan: DownloadPlan, fetched: FetchedMain, cache: ModelCache, staging: Staging, progress: ProgressReporter, opts: DownloadOptions): Promise<CacheEntry> {
  const { main } = fetched;
  const name = /\.onnx$/i.test(fetched.name) ? fetched.name : 'model.onnx';
  const mainPath = path.join(staging.dir, name);
  fs.renameSync(fetched.tmpMain, mainPath);
  let summary;
  try {
    summary = inspectOnnx(mainPath);
  } catch (e) {
    if (e instanceof OnnxFormatError) {
      throw new UserError(`${url} is not an ONNX model or TF.js model.json (${e.message}). Give the address of a .onnx file or a model.json; nothing was saved.`, 'E_NOT_A_MODEL');
    }
    throw e;
  }
  if (summary.nodeCount === 0) {
    throw new UserError(`${url} is an ONNX file with an empty graph (no nodes), not a usable model. Nothing was saved.`, 'E_NOT_A_MODEL');
  }
  if (summary.externalData) {
    throw new UserError(`${url} keeps its weights in separate external-data files, which downloading by URL does not support. Download the .onnx and its data files by hand into one folder and open the .onnx as a local model.`, 'E_NOT_A_MODEL');
  }
  progress.report(main.size, name, main.size, true);
  return cache.commit(staging, {
    ...commitBase(plan, opts),
    mainFile: name,
    format: 'onnx',
    knownSha256: { [name]: main.sha256 },
    details: {
      url: plan.url.href,
      finalUrl: main.finalUrl,
      opset: summary.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? null,
      producer: summary.producer || null,
      nodes: summary.nodeCount,
      ...(opts.details ?? {}),
    },
  });
}

/**
 * Downloads a model (ONNX or TF.js model.json + shards) into the cache at `cacheDir` and
 * returns its index entry. Throws UserError (with the URL and the fix) or CancelledError;
 * on any failure the cache is left as it was.
 *
 * Phases: check the request (planDownload) → fetch the URL's file into a staging folder
 * (fetchMainFile) → by its format, check it and fetch what it needs, then commit it to the
 * cache (commitTfjs / commitOnnx). Any failure discards the staging folder.
 */
export async function downloadModel(url: string, cacheDir: string, opts: DownloadOptions = {}): Promise<CacheEntry> {
  const plan = planDownload(url, opts);
  const cache = new ModelCache(cacheDir);
  const staging = cache.stage(opts.id ?? defaultUrlId(plan.url.href));
  const progress = new ProgressReporter(opts.onProgress);
  try {
    const ctx: FetchContext = {
      maxBytes: plan.maxBytes,
      usedBefore: 0,
      signal: opts.signal,
      idleTimeoutMs: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      progress: (r, f, len, force) => progress.report(r, f, len, force),
    };
    const name = urlFileName(plan.url);
    const tmpMain = path.join(staging.dir, '.download');
    const main = await fetchMainFile(url, plan, tmpMain, name || 'model', ctx);
    const fetched: FetchedMain = { main, tmpMain, name };
    const isJson = main.firstByte === 0x7b /* { */ || /\.json$/i.test(name);
    return isJson ? await commitTfjs(url, plan, fetched, cache, staging, ctx, progress, opts) : await commitOnnx(url, plan, fetched, cache, staging, progress, opts);
  } catch (e) {
    cache.discard(staging);
    if (opts.signal?.aborted && !(e instanceof UserError)) throw new CancelledError();
    throw e;
  }
}
