/**
 * Downloading models by URL against a real HTTP server on 127.0.0.1 started here: success
 * (ONNX and a TF.js model.json with shards), 404, redirects, a truncated transfer, an HTML
 * page, too large (by Content-Length and by stream), a wrong sha256, not a model, and
 * cancellation. After every failure the cache directory must be exactly as before.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import * as tf from '@tensorflow/tfjs';
import { modelSha256 } from '../../../src/core/modelHash';
import { ModelCache } from '../../../src/core/models/cache';
import { fetchCatalogModel, parseCatalog, type CatalogEntry } from '../../../src/core/models/catalog';
import { resolveModel } from '../../../src/core/models/resolve';
import { checkModelUrl, downloadModel, probe, type DownloadProgress } from '../../../src/core/models/download';
import { readSidecar } from '../../../src/core/models/preprocessing';
import { CancelledError, UserError } from '../../../src/core/types';
import { OnnxBuilder } from '../../helpers/onnxBuilder';

const TFJS_DIR = path.join(__dirname, '..', '..', 'fixtures', 'models', 'tfjs-tiny');

function tinyOnnx(): Buffer {
  const b = new OnnxBuilder({ opset: 13 });
  const x = b.input('input', ['batch', 3, 4, 4]);
  const w = Array.from({ length: 2 * 3 * 3 * 3 }, (_, i) => ((i % 7) - 3) / 10);
  const c = b.relu(b.conv(x, { weight: w, dims: [2, 3, 3, 3], bias: [0.1, -0.1], pads: [1, 1, 1, 1] }));
  const g = b.flatten(b.gap(c));
  b.output(b.relu(b.gemm(g, { weight: [1, -1, 0.5, 2, 0, 1], dims: [3, 2], bias: [0, 0, 0] })), ['batch', 3]);
  return Buffer.from(b.toBytes());
}

const ONNX = tinyOnnx();
const ONNX_SHA = crypto.createHash('sha256').update(ONNX).digest('hex');
const HTML = Buffer.from('<!DOCTYPE html><html><head><title>Model page</title></head><body>Download button here</body></html>');

let server: http.Server;
let base = '';
const hanging = new Set<http.ServerResponse>();

function send(res: http.ServerResponse, body: Buffer, type = 'application/octet-stream'): void {
  res.writeHead(200, { 'content-type': type, 'content-length': body.length });
  res.end(body);
}

function route(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const p = url.pathname;
  if (p === '/models/tiny.onnx') {
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': ONNX.length });
      return void res.end();
    }
    return send(res, ONNX);
  }
  if (p === '/no-head/tiny.onnx') {
    if (req.method === 'HEAD') return void res.writeHead(405).end();
    if (req.headers.range === 'bytes=0-0') {
      res.writeHead(206, { 'content-type': 'application/octet-stream', 'content-range': `bytes 0-0/${ONNX.length}`, 'content-length': 1 });
      return void res.end(ONNX.subarray(0, 1));
    }
    return send(res, ONNX);
  }
  if (p === '/redirect/a') return void res.writeHead(302, { location: '/redirect/b' }).end();
  if (p === '/redirect/b') return void res.writeHead(301, { location: `${base}/models/tiny.onnx` }).end();
  if (p === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
  if (p === '/to-plain-http') return void res.writeHead(302, { location: 'http://example.com/model.onnx' }).end();
  if (p === '/truncated.onnx') {
    // Announce the whole file, send half, then drop the connection.
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': ONNX.length });
    res.write(ONNX.subarray(0, Math.floor(ONNX.length / 2)));
    setTimeout(() => res.destroy(), 20);
    return;
  }
  if (p === '/page.onnx') return send(res, HTML, 'text/html; charset=utf-8');
  if (p === '/disguised.onnx') return send(res, HTML); // HTML served as octet-stream
  if (p === '/big.onnx') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 50_000_000 });
    hanging.add(res);
    res.write(ONNX.subarray(0, 16));
    return;
  }
  if (p === '/big-chunked.onnx') {
    // No Content-Length: the limit must be enforced on the stream.
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write(ONNX);
    const chunk = Buffer.alloc(64 * 1024, 7);
    let n = 0;
    const pump = (): void => {
      while (n < 64 && res.write(chunk)) n++;
      if (n < 64) res.once('drain', pump);
      else res.end();
    };
    pump();
    return;
  }
  if (p === '/garbage.onnx') return send(res, crypto.createHash('sha512').update('x').digest());
  if (p === '/empty-graph.onnx') {
    return send(res, Buffer.from(onnx.ModelProto.encode(new onnx.ModelProto({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], graph: { name: 'g' } })).finish()));
  }
  if (p === '/config.json') return send(res, Buffer.from('{"name": "not a model"}'), 'application/json');
  if (p === '/slow.onnx') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 1_000_000 });
    res.write(ONNX);
    hanging.add(res);
    return; // never finishes
  }
  if (p.startsWith('/tfjs/')) {
    const f = path.join(TFJS_DIR, path.basename(p));
    if (!fs.existsSync(f)) return void res.writeHead(404).end();
    return send(res, fs.readFileSync(f), f.endsWith('.json') ? 'application/json' : 'application/octet-stream');
  }
  if (p === '/tfjs-missing/model.json') return send(res, fs.readFileSync(path.join(TFJS_DIR, 'model.json')), 'application/json');
  if (p.startsWith('/tfjs-missing/')) {
    if (p.endsWith('shard3of4.bin')) return void res.writeHead(404).end();
    return send(res, fs.readFileSync(path.join(TFJS_DIR, path.basename(p))));
  }
  if (p === '/tfjs-short/model.json') return send(res, fs.readFileSync(path.join(TFJS_DIR, 'model.json')), 'application/json');
  if (p.startsWith('/tfjs-short/')) {
    const data = fs.readFileSync(path.join(TFJS_DIR, path.basename(p)));
    // A complete transfer of the wrong (shorter) file: only the manifest's sizes catch it.
    return send(res, p.endsWith('shard4of4.bin') ? data.subarray(0, data.length - 8) : data);
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
}

function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const n of fs.readdirSync(d).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      out.push(r);
      if (fs.statSync(path.join(d, n)).isDirectory()) walk(path.join(d, n), r);
    }
  };
  walk(dir, '');
  return out;
}

const made: string[] = [];
function freshCache(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-dl-'));
  made.push(d);
  return d;
}

async function expectFailure(url: string, opts: Parameters<typeof downloadModel>[2], check: (e: unknown) => void): Promise<void> {
  const dir = freshCache();
  await assert.rejects(downloadModel(url, dir, opts), (e) => {
    check(e);
    return true;
  });
  // Nothing is left behind: no model file, no staging folder, no index entry.
  assert.deepEqual(listTree(dir), [], `cache left with ${listTree(dir).join(', ')}`);
}

function userError(code: string, ...words: RegExp[]): (e: unknown) => true {
  return (e) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const w of words) assert.match(e.message, w);
    return true;
  };
}

before(async () => {
  server = http.createServer(route);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const r of hanging) r.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

describe('downloadModel: success', () => {
  it('downloads an ONNX model, reports the size first, hashes it and indexes it', async () => {
    const dir = freshCache();
    const events: DownloadProgress[] = [];
    const e = await downloadModel(`${base}/models/tiny.onnx`, dir, { onProgress: (p) => events.push({ ...p }) });
    assert.equal(e.source, 'url');
    assert.equal(e.format, 'onnx');
    assert.equal(e.sha256, ONNX_SHA);
    assert.equal(e.sha256, await modelSha256(e.path));
    assert.equal(e.size, ONNX.length);
    assert.equal(e.origin, `${base}/models/tiny.onnx`);
    assert.deepEqual(fs.readFileSync(e.path), ONNX);
    assert.equal(path.basename(e.path), 'tiny.onnx');
    // Size known before any byte: the first event has received 0 and the Content-Length.
    assert.deepEqual(events[0], { received: 0, total: ONNX.length, file: 'tiny.onnx' });
    assert.equal(events[events.length - 1].received, ONNX.length);
    // The index holds exactly this entry; the sidecar carries the source.
    const cache = new ModelCache(dir);
    assert.deepEqual(cache.list().map((x) => x.id), [e.id]);
    const idx = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
    assert.equal(idx.entries[0].sha256, ONNX_SHA);
    const sc = readSidecar(path.join(path.dirname(e.path), 'tiny.sparsity.json'));
    assert.equal(sc.sidecar.source, `url:${base}/models/tiny.onnx`);
    assert.equal(sc.sidecar.sha256, ONNX_SHA);
    assert.deepEqual(listTree(dir), ['index.json', e.id, `${e.id}/tiny.onnx`, `${e.id}/tiny.sparsity.json`]);
    assert.equal(e.details?.nodes, 6); // Conv, Relu, GlobalAveragePool, Flatten, Gemm, Relu
  });

  it('follows redirects (302 then 301) and records the final URL', async () => {
    const dir = freshCache();
    const e = await downloadModel(`${base}/redirect/a`, dir, { expectedSha256: ONNX_SHA });
    assert.equal(e.sha256, ONNX_SHA);
    assert.equal(e.details?.finalUrl, `${base}/models/tiny.onnx`);
    assert.equal(path.basename(e.path), 'model.onnx'); // the requested URL names no .onnx file
  });

  it('downloads a TF.js model.json and its weight shards relative to its URL', async () => {
    const dir = freshCache();
    const events: DownloadProgress[] = [];
    const e = await downloadModel(`${base}/tfjs/model.json`, dir, { onProgress: (p) => events.push({ ...p }) });
    assert.equal(e.format, 'tfjs');
    const names = fs.readdirSync(TFJS_DIR).filter((n) => n.endsWith('.bin')).sort();
    assert.deepEqual(e.files.map((f) => f.name), ['model.json', ...names]);
    for (const f of e.files) {
      assert.deepEqual(fs.readFileSync(path.join(path.dirname(e.path), f.name)), fs.readFileSync(path.join(TFJS_DIR, f.name)));
    }
    // The index keeps the same sha256 the reports record for a TF.js model (model.json + shards).
    assert.equal(e.sha256, await modelSha256(e.path));
    assert.notEqual(e.sha256, e.files[0].sha256);
    const total = fs.readdirSync(TFJS_DIR).reduce((s, n) => s + fs.statSync(path.join(TFJS_DIR, n)).size, 0);
    assert.equal(e.size, total);
    assert.equal(events[events.length - 1].received, total);
    assert.equal(events[events.length - 1].total, total); // known from the manifest once model.json arrived
    // The cached copy loads and runs in TF.js.
    const json = JSON.parse(fs.readFileSync(e.path, 'utf8'));
    const weightData = Buffer.concat(json.weightsManifest[0].paths.map((p: string) => fs.readFileSync(path.join(path.dirname(e.path), p))));
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weightData).buffer }),
    );
    const y = model.predict(tf.zeros([1, 8, 8, 3])) as tf.Tensor;
    assert.deepEqual(y.shape, [1, 3]);
  });

  it('probe() gives size and type without downloading (HEAD, or a 1-byte range GET)', async () => {
    const a = await probe(`${base}/models/tiny.onnx`);
    assert.equal(a.size, ONNX.length);
    assert.equal(a.contentType, 'application/octet-stream');
    const b = await probe(`${base}/no-head/tiny.onnx`);
    assert.equal(b.size, ONNX.length);
    const c = await probe(`${base}/redirect/a`);
    assert.equal(c.finalUrl, `${base}/models/tiny.onnx`);
    await assert.rejects(probe(`${base}/missing.onnx`), userError('E_DOWNLOAD', /HTTP 404/));
  });

  it('replaces an older entry with the same id', async () => {
    const dir = freshCache();
    const a = await downloadModel(`${base}/models/tiny.onnx`, dir, { id: 'tiny' });
    const b = await downloadModel(`${base}/redirect/a`, dir, { id: 'tiny' });
    assert.equal(a.id, b.id);
    const cache = new ModelCache(dir);
    assert.equal(cache.list().length, 1);
    assert.deepEqual(listTree(dir), ['index.json', 'tiny', 'tiny/model.onnx', 'tiny/model.sparsity.json']);
  });
});

describe('downloadModel: failures leave nothing behind', () => {
  it('404', () => expectFailure(`${base}/missing.onnx`, {}, userError('E_DOWNLOAD', /HTTP 404/, /missing\.onnx/, /raw/)));

  it('too many redirects', () => expectFailure(`${base}/loop`, {}, userError('E_DOWNLOAD', /Too many redirects/)));

  it('a redirect to plain http on another host', () =>
    expectFailure(`${base}/to-plain-http`, {}, userError('E_DOWNLOAD', /plain http/, /example\.com/, /redirected from/)));

  it('a truncated transfer (Content-Length larger than what arrives)', () =>
    expectFailure(`${base}/truncated.onnx`, {}, userError('E_DOWNLOAD_TRUNCATED', /cut off after \d+ of \d+ bytes/, /truncated\.onnx/)));

  it('an HTML page (text/html)', () => expectFailure(`${base}/page.onnx`, {}, userError('E_DOWNLOAD', /web page \(HTML\)/, /page\.onnx/)));

  it('an HTML page served as application/octet-stream', () =>
    expectFailure(`${base}/disguised.onnx`, {}, userError('E_DOWNLOAD', /web page \(HTML\)/)));

  it('larger than maxBytes by Content-Length (refused before reading)', () =>
    expectFailure(`${base}/big.onnx`, { maxBytes: 1_000_000 }, userError('E_DOWNLOAD_SIZE', /47\.7 MB/, /limit of 977 KB/)));

  it('larger than maxBytes while streaming (no Content-Length)', () =>
    expectFailure(`${base}/big-chunked.onnx`, { maxBytes: 200_000 }, userError('E_DOWNLOAD_SIZE', /more than/, /limit/)));

  it('a sha256 different from the expected one', () =>
    expectFailure(`${base}/models/tiny.onnx`, { expectedSha256: '0'.repeat(64) }, userError('E_DOWNLOAD_SHA', new RegExp(ONNX_SHA))));

  it('bytes that are not a model', () => expectFailure(`${base}/garbage.onnx`, {}, userError('E_NOT_A_MODEL', /not an ONNX model/)));

  it('an ONNX file with an empty graph', () => expectFailure(`${base}/empty-graph.onnx`, {}, userError('E_NOT_A_MODEL', /no nodes/)));

  it('JSON that is not a TF.js model', () => expectFailure(`${base}/config.json`, {}, userError('E_NOT_A_MODEL', /modelTopology/)));

  it('a TF.js model with a missing shard', () =>
    expectFailure(`${base}/tfjs-missing/model.json`, {}, userError('E_DOWNLOAD', /HTTP 404/, /shard3of4/)));

  it('a TF.js model whose shards do not match the manifest', () =>
    expectFailure(`${base}/tfjs-short/model.json`, {}, userError('E_NOT_A_MODEL', /weightsManifest describes/)));

  it('cancel mid-way removes the partial file', async () => {
    const dir = freshCache();
    const ac = new AbortController();
    let seen = 0;
    await assert.rejects(
      downloadModel(`${base}/slow.onnx`, dir, {
        signal: ac.signal,
        onProgress: (p) => {
          seen = p.received;
          if (p.received > 0) ac.abort();
        },
      }),
      (e) => e instanceof CancelledError,
    );
    assert.ok(seen > 0, 'some bytes arrived before the cancel');
    assert.deepEqual(listTree(dir), []);
  });

  it('a failed download keeps the existing cache intact', async () => {
    const dir = freshCache();
    const good = await downloadModel(`${base}/models/tiny.onnx`, dir, { id: 'keep' });
    const before = listTree(dir);
    await assert.rejects(downloadModel(`${base}/truncated.onnx`, dir, { id: 'keep' }), userError('E_DOWNLOAD_TRUNCATED'));
    await assert.rejects(downloadModel(`${base}/page.onnx`, dir), userError('E_DOWNLOAD'));
    assert.deepEqual(listTree(dir), before);
    const [v] = await new ModelCache(dir).verify('keep');
    assert.ok(v.ok, v.problems.join('; '));
    assert.equal(new ModelCache(dir).get('keep')?.sha256, good.sha256);
  });
});

describe('catalog models and model references over HTTP', () => {
  function testCatalog(sha256: string | null): CatalogEntry[] {
    const pre = { width: 224, height: 224, resize: 'stretch', shorterSide: 256, channelOrder: 'BGR', scale: 1, mean: [123.68, 116.779, 103.939], std: [1, 1, 1] };
    return parseCatalog(
      {
        schema: 'sparsity-lens/model-catalog',
        version: 1,
        presets: { caffe: pre },
        models: [{ id: 'tiny', name: 'Tiny', family: 'tiny', url: `${base}/models/tiny.onnx`, page: base, origin: 'caffe', layout: 'NCHW', sizeBytes: ONNX.length, sha256, preprocessing: 'caffe' }],
      },
      'test catalog',
    ).models;
  }

  it('fetchCatalogModel downloads with the catalog sha256 and preprocessing, then reuses the copy', async () => {
    const dir = freshCache();
    const models = testCatalog(ONNX_SHA);
    const e = await fetchCatalogModel('tiny', dir, {}, models);
    assert.equal(e.id, 'catalog-tiny');
    assert.equal(e.source, 'catalog');
    assert.equal(e.label, 'Tiny');
    assert.equal(e.preprocessing?.channelOrder, 'BGR');
    const sc = readSidecar(path.join(path.dirname(e.path), 'tiny.sparsity.json'));
    assert.equal(sc.sidecar.source, `catalog:tiny (${base}/models/tiny.onnx)`);
    assert.deepEqual(sc.preprocessing.mean, [123.68, 116.779, 103.939]);
    const again = await fetchCatalogModel('tiny', dir, {}, models);
    assert.equal(again.addedAt, e.addedAt, 'reused, not downloaded again');
  });

  it('a catalog sha256 that does not match fails and leaves nothing', async () => {
    const dir = freshCache();
    await assert.rejects(fetchCatalogModel('tiny', dir, {}, testCatalog('f'.repeat(64))), userError('E_DOWNLOAD_SHA', /changed upstream/));
    assert.deepEqual(listTree(dir), []);
    // The size limit defaults to the catalog size (+1 MiB): a much larger file is refused.
    const big = testCatalog(null).map((m) => ({ ...m, url: `${base}/big.onnx` }));
    await assert.rejects(fetchCatalogModel('tiny', dir, {}, big), userError('E_DOWNLOAD_SIZE'));
    assert.deepEqual(listTree(dir), []);
  });

  it('resolveModel(url) downloads once and then reuses; cache:<id> opens it', async () => {
    const dir = freshCache();
    const url = `${base}/models/tiny.onnx`;
    const a = await resolveModel(url, { cacheDir: dir });
    assert.equal(a.fetched, true);
    assert.equal(a.source, url);
    const b = await resolveModel(url, { cacheDir: dir });
    assert.equal(b.fetched, false);
    assert.equal(b.modelPath, a.modelPath);
    const c = await resolveModel(`cache:${a.entry!.id}`, { cacheDir: dir });
    assert.equal(c.modelPath, a.modelPath);
    // A damaged copy is fetched again instead of being used.
    fs.writeFileSync(a.modelPath, 'broken');
    const d = await resolveModel(url, { cacheDir: dir });
    assert.equal(d.fetched, true);
    assert.deepEqual(fs.readFileSync(d.modelPath), ONNX);
  });
});

describe('checkModelUrl', () => {
  it('accepts https and loopback http, refuses the rest with the fix', () => {
    assert.equal(checkModelUrl('https://example.com/a.onnx').hostname, 'example.com');
    assert.equal(checkModelUrl('http://localhost:8080/a.onnx').port, '8080');
    assert.equal(checkModelUrl('http://[::1]:8080/a.onnx').hostname, '[::1]');
    assert.throws(() => checkModelUrl('http://example.com/a.onnx'), userError('E_DOWNLOAD', /plain http/, /https:\/\//));
    assert.throws(() => checkModelUrl('ftp://example.com/a.onnx'), userError('E_DOWNLOAD', /only https/));
    assert.throws(() => checkModelUrl('alexnet.onnx'), userError('E_DOWNLOAD', /not a URL/));
  });
});
