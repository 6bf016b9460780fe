/**
 * The extension's model references: settings validation of sparsityLens.model /
 * maxDownloadMB, the pure helpers of src/extension/models/, the worker protocol's model
 * spec, and the analysis worker (the production entry src/extension/analysisWorker.ts, forked
 * for real) resolving a reference before analysing: a URL downloaded from a real HTTP server
 * on 127.0.0.1 and analysed with the real core, reuse from the cache, cancel mid-download and
 * the download limit. A Python without torch (the exact install command comes back) runs live
 * Python: test/integration/modelRefs.test.ts.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ProgressEvent } from '../../src/core/analyzeTypes';
import { catalog, catalogCacheId, defaultUrlId, ModelCache, parseModelRef, resolveModel, TORCHVISION_ARCHS, type CommitInput } from '../../src/core/models';
import type { SparsityReport } from '../../src/core/report/schema';
import { findStringSetting } from '../../src/extension/jsonc';
import { modelCacheDir, resolvePythonPath } from '../../src/extension/models/environment';
import { cacheIdOfRef, checkModelRef, describeModelRef, isModelReference, mayFetch, pickedFromRecent, refForCacheEntry, validateDownloadUrl } from '../../src/extension/models/refs';
import { downloadPercent, formatDownloadProgress, orderedTorchvisionArchs } from '../../src/extension/models/text';
import { buildAnalyzeRequest, validateSettings, type ExtensionSettings } from '../../src/extension/settings';
import { startAnalyze, WorkerCancelledError, WorkerError, type WorkerSpawnOptions } from '../../src/extension/workerClient';
import { modelProgressEvent } from '../../src/extension/workerMain';
import { isHostToWorker, type ModelResolveSpec } from '../../src/extension/workerProtocol';
import { buildClosedFormOnnx, writeStimuli } from '../helpers/tinyModels';
import { tempDir } from '../helpers/tempDir';

const tmp = tempDir;

function settingsOf(raw: Record<string, unknown>): ExtensionSettings {
  const r = validateSettings(raw);
  assert.equal(r.ok, true, r.ok ? '' : JSON.stringify(r.problems));
  return (r as { settings: ExtensionSettings }).settings;
}
function modelProblem(value: unknown): string {
  const r = validateSettings({ model: value });
  assert.equal(r.ok, false, `sparsityLens.model ${JSON.stringify(value)} was accepted`);
  const p = (r as { problems: { setting: string; message: string }[] }).problems;
  assert.equal(p.length, 1, JSON.stringify(p));
  assert.equal(p[0].setting, 'sparsityLens.model');
  assert.ok(p[0].message.startsWith('Setting sparsityLens.model '), p[0].message);
  return p[0].message;
}

describe('settings: sparsityLens.model takes model references', () => {
  it('accepts files and every kind of reference', () => {
    for (const v of [
      '',
      'models/alexnet.onnx',
      '/abs/web_model/model.json',
      '~/models/vgg11.onnx',
      '${workspaceFolder}/m.onnx',
      'C:\\models\\net.onnx',
      'file:/abs/m.onnx',
      'torchvision:alexnet',
      'torchvision:vgg11:random',
      'torchvision:AlexNet:RANDOM',
      'torchvision:resnet50:pretrained',
      'torchvision:efficientnet_b3:random:2',
      'torchvision:convnext_base',
      'catalog:resnet50-v1',
      'catalog:ALEXNET-BVLC',
      'https://example.org/models/net.onnx',
      'http://127.0.0.1:8080/m.onnx',
      'cache:torchvision-alexnet-random',
    ]) {
      assert.equal(settingsOf({ model: v }).model, v.trim(), v);
    }
  });

  it('rejects unknown sources, architectures, catalog ids, plain-http URLs and bad cache ids, naming the setting and the fix', () => {
    assert.match(modelProblem('torchvision:alex-net'), /"alex-net", which is not a torchvision architecture name.*torchvision:alexnet/);
    assert.match(modelProblem('torchvision:alexnet:imagenet'), /must be "random"/);
    assert.match(modelProblem('torchvision:'), /name an architecture/);
    assert.match(modelProblem('catalog:nonesuch'), /"catalog:nonesuch", which is not in the model catalog; use one of catalog:alexnet-bvlc/);
    assert.match(modelProblem('http://example.org/m.onnx'), /plain http/);
    assert.match(modelProblem('ftp://example.org/m.onnx'), /unknown model source "ftp:"/);
    assert.match(modelProblem('hub:alexnet'), /unknown model source "hub:".*torchvision:<arch>, catalog:<id>/);
    assert.match(modelProblem('cache:Bad Id'), /not a valid cache id/);
    assert.match(modelProblem(7), /must be a string/);
  });

  it('validates sparsityLens.maxDownloadMB (default 2048 MB, whole number ≥ 1)', () => {
    assert.equal(settingsOf({}).maxDownloadMB, 2048);
    assert.equal(settingsOf({ maxDownloadMB: 1 }).maxDownloadMB, 1);
    for (const bad of [0, -5, 1.5, '100', null]) {
      const r = validateSettings({ maxDownloadMB: bad });
      assert.equal(r.ok, false, `maxDownloadMB ${JSON.stringify(bad)}`);
      assert.match((r as { problems: { message: string }[] }).problems[0].message, /sparsityLens\.maxDownloadMB must be a whole number from 1 to 1000000/);
    }
  });

  it('a reference leaves the request model path to the worker', () => {
    const s = settingsOf({ model: 'torchvision:alexnet:random' });
    const req = buildAnalyzeRequest(s, { datasetPath: '/d', modelPath: '', outputRoot: '/o', modelSource: s.model });
    assert.equal(req.modelPath, '');
    assert.equal(req.modelSource, 'torchvision:alexnet:random');
  });
});

describe('model reference helpers', () => {
  it('tells references from files and which of them may fetch', () => {
    assert.equal(isModelReference('torchvision:alexnet'), true);
    assert.equal(isModelReference('cache:x'), true);
    assert.equal(isModelReference('https://h/m.onnx'), true);
    assert.equal(isModelReference('models/m.onnx'), false);
    assert.equal(isModelReference('file:/m.onnx'), false);
    // Any torchvision name is a reference (torchvision says at export whether it exists, as in the CLI).
    assert.equal(isModelReference('torchvision:efficientnet_b3'), true);
    assert.equal(isModelReference('torchvision:alex-net'), false);
    const ref = (v: string) => {
      const r = checkModelRef(v);
      assert.ok(r.ok && r.ref);
      return r.ref;
    };
    assert.equal(mayFetch(ref('torchvision:alexnet')), true);
    assert.equal(mayFetch(ref('catalog:vgg16')), true);
    assert.equal(mayFetch(ref('https://h/m.onnx')), true);
    assert.equal(mayFetch(ref('cache:torchvision-alexnet')), false);
    assert.equal(mayFetch(ref('/m.onnx')), false);
    assert.equal(cacheIdOfRef(ref('torchvision:alexnet')), 'torchvision-alexnet');
    assert.equal(cacheIdOfRef(ref('torchvision:mobilenet_v2:random')), 'torchvision-mobilenet-v2-random');
    assert.equal(cacheIdOfRef(ref('catalog:vgg16')), 'catalog-vgg16');
    assert.equal(cacheIdOfRef(ref('https://h/x/m.onnx')), defaultUrlId('https://h/x/m.onnx'));
    assert.equal(describeModelRef(ref('torchvision:vgg11:random')), 'torchvision vgg11 exported from PyTorch (random weights)');
    assert.equal(describeModelRef(ref('catalog:vgg16')), 'VGG-16 (MXNet Gluon) from the model catalog');
  });

  it('recent entries: a path is used as is, a reference is resolved later', () => {
    assert.deepEqual(pickedFromRecent('/m/alexnet.onnx'), { path: '/m/alexnet.onnx', ref: '/m/alexnet.onnx', source: 'file' });
    assert.deepEqual(pickedFromRecent('catalog:vgg16'), { path: '', ref: 'catalog:vgg16', source: 'catalog:vgg16' });
  });

  it("orders the torchvision picker with the study's AlexNet and VGG11 first", () => {
    const archs = orderedTorchvisionArchs();
    assert.deepEqual(archs.slice(0, 2).map((a) => a.arch), ['alexnet', 'vgg11']);
    assert.ok(archs.slice(0, 2).every((a) => a.study));
    assert.equal(archs.length, TORCHVISION_ARCHS.length);
  });

  it('validates the download URL input', () => {
    assert.match(validateDownloadUrl('') ?? '', /https:\/\//);
    assert.match(validateDownloadUrl('example.org/m.onnx') ?? '', /starting with https:\/\//);
    assert.match(validateDownloadUrl('http://example.org/m.onnx') ?? '', /plain http/);
    assert.match(validateDownloadUrl('ftp://example.org/m.onnx') ?? '', /only https:\/\//);
    assert.equal(validateDownloadUrl(' https://example.org/m.onnx '), undefined);
    assert.equal(validateDownloadUrl('http://localhost:9000/m.onnx'), undefined);
  });

  it('formats download progress with percentage and bytes', () => {
    assert.equal(formatDownloadProgress({ received: 5 * 1024 * 1024, total: 20 * 1024 * 1024 }), '25% · 5.0 MB of 20.0 MB');
    assert.equal(formatDownloadProgress({ received: 1536, total: null }), '1.5 KB');
    assert.equal(downloadPercent({ received: 1, total: 4 }), 25);
    assert.equal(downloadPercent({ received: 1, total: null }), null);
    const e = modelProgressEvent(`Downloading m.onnx: ${formatDownloadProgress({ received: 1, total: 2 })}`);
    assert.equal(e.phase, 'load');
    assert.equal(e.total, 0, 'no bar percentage: the run notification keeps its scale for the analysis');
    assert.equal(modelProgressEvent('x'.repeat(300)).message!.length, 140);
  });

  it('resolves sparsityLens.pythonPath: commands as is, paths absolute', () => {
    assert.equal(resolvePythonPath('', '/ws', '/home/u'), undefined);
    assert.equal(resolvePythonPath('python3.11', '/ws', '/home/u'), 'python3.11');
    assert.equal(resolvePythonPath('/usr/bin/python3', '/ws', '/home/u'), '/usr/bin/python3');
    assert.equal(resolvePythonPath('~/venv/bin/python', '/ws', '/home/u'), '/home/u/venv/bin/python');
    assert.equal(resolvePythonPath('${workspaceFolder}/.venv/bin/python', '/ws', '/home/u'), '/ws/.venv/bin/python');
    assert.equal(resolvePythonPath('.venv/bin/python', '/ws', '/home/u'), '/ws/.venv/bin/python');
    assert.equal(modelCacheDir('/g/storage'), path.join('/g/storage', 'models'));
  });

  it('refForCacheEntry gives the portable reference that resolves to the same entry, else cache:<id>', async () => {
    const dir = tmp('sl-refs-');
    const cache = new ModelCache(dir);
    const model = buildClosedFormOnnx(path.join(tmp('sl-refs-src-'), 'tiny.onnx'));
    const add = async (id: string, input: Omit<CommitInput, 'mainFile' | 'format' | 'preprocessing'>) => {
      const st = cache.stage(id);
      fs.copyFileSync(model, path.join(st.dir, 'tiny.onnx'));
      return cache.commit(st, { ...input, mainFile: 'tiny.onnx', format: 'onnx', preprocessing: null });
    };
    const url = 'https://example.org/zoo/tiny.onnx';
    const m = catalog()[0];
    const entries = [
      await add('torchvision-alexnet-random', { source: 'torchvision', origin: 'alexnet', details: { weights: 'none', seed: 0 } }),
      await add('torchvision-vgg11', { source: 'torchvision', origin: 'vgg11', details: { weights: 'VGG11_Weights.IMAGENET1K_V1' } }),
      await add('my-alexnet', { source: 'torchvision', origin: 'alexnet', details: { weights: 'none' } }),
      await add(catalogCacheId(m.id), { source: 'catalog', origin: m.url, details: { catalogId: m.id } }),
      await add(defaultUrlId(url), { source: 'url', origin: url }),
      await add('url-custom', { source: 'url', origin: url }),
    ];
    const local = await cache.addLocalFile(model);
    const refs = entries.map((e) => refForCacheEntry(e));
    assert.deepEqual(refs, ['torchvision:alexnet:random', 'torchvision:vgg11', 'cache:my-alexnet', `catalog:${m.id}`, url, 'cache:url-custom']);
    assert.equal(refForCacheEntry(local), model);
    // Each reference resolves to its own entry without exporting or downloading anything.
    for (const [i, e] of entries.entries()) {
      if (e.source === 'catalog') continue; // the real catalog URL has a sha256 the fixture does not match; reuse is by id + origin alone
      const r = await resolveModel(refs[i], { cacheDir: dir, pythonPath: '/nonexistent/python' });
      assert.equal(r.fetched, false, refs[i]);
      assert.equal(r.entry?.id, e.id, refs[i]);
    }
    const c = await resolveModel(`catalog:${m.id}`, { cacheDir: dir });
    assert.equal(c.fetched, false);
    assert.equal(c.entry?.id, catalogCacheId(m.id));
  });

  it("reads a workspace's sparsityLens.model from settings text (comments, escapes, .code-workspace)", () => {
    const settings = `{
      // "sparsityLens.model": "commented/out.onnx",
      /* block "sparsityLens.model": "also/out.onnx" */
      "files.exclude": { "**/x": true },
      "sparsityLens.model": "torchvision:alexnet:random", // trailing comment
      "sparsityLens.pythonPath": "C:\\\\py\\\\python.exe",
    }`;
    assert.equal(findStringSetting(settings, 'sparsityLens.model'), 'torchvision:alexnet:random');
    assert.equal(findStringSetting(settings, 'sparsityLens.pythonPath'), 'C:\\py\\python.exe');
    assert.equal(findStringSetting('{ "folders": [], "settings": { "sparsityLens.model" : "https://h/m.onnx" } }', 'sparsityLens.model'), 'https://h/m.onnx');
    assert.equal(findStringSetting('{ "url": "http://x//y", "sparsityLens.model": "" }', 'sparsityLens.model'), undefined);
    assert.equal(findStringSetting('{ "sparsityLens.modelX": "a" }', 'sparsityLens.model'), undefined);
    assert.equal(findStringSetting('{ "a": "say \\"sparsityLens.model\\": \\"no\\"" }', 'sparsityLens.model'), undefined, 'an escaped key inside a string value is not a setting');
  });

  it('the worker protocol checks the model spec of an analyze job', () => {
    const request = { datasetPath: '/d', modelPath: '', outputRoot: '/o' };
    assert.equal(isHostToWorker({ type: 'analyze', jobId: 'j', request }), true);
    assert.equal(isHostToWorker({ type: 'analyze', jobId: 'j', request, model: { ref: parseModelRef('torchvision:alexnet'), cacheDir: '/c', maxBytes: 10 } }), true);
    assert.equal(isHostToWorker({ type: 'analyze', jobId: 'j', request, model: { ref: '', cacheDir: '/c' } }), false);
    assert.equal(isHostToWorker({ type: 'analyze', jobId: 'j', request, model: { ref: parseModelRef('x'), cacheDir: '/c', pythonPath: 3 } }), false);
    assert.equal(isHostToWorker({ type: 'analyze', jobId: 'j', request, model: { ref: parseModelRef('x'), cacheDir: '/c', maxBytes: 0 } }), false);
  });
});

// ---------------------------------------------------------------- the worker resolves references

const WORKER = path.join(__dirname, '..', '..', 'src', 'extension', 'analysisWorker.ts');
const workerOpts = (o: Partial<WorkerSpawnOptions> = {}): WorkerSpawnOptions => ({ script: WORKER, execArgv: ['--import', 'tsx'], killAfterMs: 20_000, ...o });

describe('analysis worker: model references', () => {
  let server: http.Server;
  let base = '';
  let onnxBytes: Buffer;
  let dataset = '';
  const hits: Record<string, number> = {};
  const slow = new Set<http.ServerResponse>();

  before(async () => {
    const src = tmp('sl-wref-src-');
    onnxBytes = fs.readFileSync(buildClosedFormOnnx(path.join(src, 'tiny.onnx')));
    dataset = path.join(src, 'data');
    await writeStimuli(dataset);
    server = http.createServer((req, res) => {
      const p = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'GET') hits[p] = (hits[p] ?? 0) + 1;
      if (p === '/m/tiny.onnx') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': onnxBytes.length });
        return void res.end(req.method === 'HEAD' ? undefined : onnxBytes);
      }
      if (p === '/m/slow.onnx') {
        // 4 MB announced, 64 KB sent, then nothing: a download that is cancelled half-way.
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 4 << 20 });
        if (req.method === 'HEAD') return void res.end();
        res.write(Buffer.alloc(64 << 10, 1));
        slow.add(res);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const r of slow) r.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** A job for the model written as `spec.ref`, parsed once as the extension host does before it starts the worker. */
  function job(spec: Omit<ModelResolveSpec, 'ref'> & { ref: string }, out: string) {
    const s = settingsOf({ model: spec.ref, accuracy: 'none', 'controls.permutedWeights': 0, 'controls.noNonlinearity': false });
    const request = buildAnalyzeRequest(s, { datasetPath: dataset, modelPath: '', outputRoot: out, modelSource: spec.ref });
    request.html = false;
    const progress: ProgressEvent[] = [];
    const logs: string[] = [];
    const j = startAnalyze(workerOpts(), request, { onProgress: (e) => progress.push(e), onLog: (l) => logs.push(l) }, { ...spec, ref: parseModelRef(spec.ref) });
    return { j, progress, logs };
  }

  const cacheLeftovers = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('.tmp-')) : []);

  it('downloads a URL reference into the cache with load progress, analyses it, and records source and sha256; the next run reuses the cache', async () => {
    const cacheDir = path.join(tmp('sl-wref-cache-'), 'models');
    const out = tmp('sl-wref-out-');
    const url = `${base}/m/tiny.onnx`;
    const { j, progress, logs } = job({ ref: url, cacheDir, maxBytes: 1 << 20 }, out);
    const result = await j.done;
    const entry = new ModelCache(cacheDir).get(defaultUrlId(url));
    assert.ok(entry, 'the download is indexed in the cache');
    const report: SparsityReport = result.report;
    assert.equal(report.model.source, url);
    assert.equal(report.model.path, entry.path);
    assert.equal(report.model.sha256, entry.sha256);
    assert.deepEqual(report.passes[0].layers.map((l) => l.name), ['conv1', 'fc1']);
    const load = progress.filter((e) => e.phase === 'load' && e.message);
    assert.ok(load.some((e) => /^Preparing model downloaded from http:\/\/127\.0\.0\.1/.test(e.message!)), JSON.stringify(load));
    assert.ok(load.some((e) => /^Downloading tiny\.onnx: /.test(e.message!)), JSON.stringify(load));
    assert.ok(logs.some((l) => /^Model ready: .*tiny\.onnx \(http:.*fetched now; sha256 /.test(l)), logs.join('\n'));
    assert.equal(hits['/m/tiny.onnx'], 1);

    const again = job({ ref: url, cacheDir, maxBytes: 1 << 20 }, out);
    const r2 = await again.j.done;
    assert.equal(r2.report.model.sha256, entry.sha256);
    assert.equal(hits['/m/tiny.onnx'], 1, 'the second run downloads nothing');
    assert.ok(again.logs.some((l) => /from the cache/.test(l)), again.logs.join('\n'));
    assert.deepEqual(cacheLeftovers(cacheDir), []);
  });

  it('cancel during the download stops the job: cancelled, no report, nothing cached', async () => {
    const cacheDir = path.join(tmp('sl-wref-cache-'), 'models');
    const out = tmp('sl-wref-out-');
    let cancelled = false;
    const s = settingsOf({ model: `${base}/m/slow.onnx`, accuracy: 'none', 'controls.permutedWeights': 0 });
    const request = buildAnalyzeRequest(s, { datasetPath: dataset, modelPath: '', outputRoot: out });
    const j = startAnalyze(workerOpts(), request, {
      onProgress: (e) => {
        if (!cancelled && e.phase === 'load' && /^Downloading slow\.onnx/.test(e.message ?? '')) {
          cancelled = true;
          j.cancel();
        }
      },
    }, { ref: parseModelRef(`${base}/m/slow.onnx`), cacheDir });
    const t0 = Date.now();
    await assert.rejects(j.done, (e: unknown) => e instanceof WorkerCancelledError && !e.killed);
    assert.ok(cancelled, 'the download was under way when cancelled');
    assert.ok(Date.now() - t0 < 15_000);
    assert.deepEqual(fs.readdirSync(out), [], 'no run folder');
    assert.deepEqual(new ModelCache(cacheDir).list(), []);
    assert.deepEqual(cacheLeftovers(cacheDir), [], 'no staging folder left');
  });

  it('the download limit and HTTP errors come back as user errors with their codes', async () => {
    const cacheDir = path.join(tmp('sl-wref-cache-'), 'models');
    const out = tmp('sl-wref-out-');
    const big = job({ ref: `${base}/m/tiny.onnx`, cacheDir, maxBytes: 100 }, out);
    await assert.rejects(big.j.done, (e: unknown) => e instanceof WorkerError && e.isUserError && e.code === 'E_DOWNLOAD_SIZE' && /over the download limit/.test(e.message));
    const missing = job({ ref: `${base}/m/missing.onnx`, cacheDir }, out);
    await assert.rejects(missing.j.done, (e: unknown) => e instanceof WorkerError && e.isUserError && e.code === 'E_DOWNLOAD' && /404/.test(e.message));
    assert.deepEqual(new ModelCache(cacheDir).list(), []);
    assert.deepEqual(fs.readdirSync(out), []);
  });
});
