/** The model cache: index, staging and commit, list/get/remove, verify, locking, sidecars. */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { defaultCacheDir, ModelCache, sanitizeId } from '../../../src/core/models/cache';
import { readSidecar, resolvePreprocessing } from '../../../src/core/models/preprocessing';
import { LIU2020_PREPROCESSING, UserError } from '../../../src/core/types';
import { tempDir } from '../../helpers/tempDir';

const tmp = (): string => tempDir('sl-cache-', ['-moved']);

function sha(b: Buffer | string): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/** Stages and commits a fake model with the given bytes (and optional shards). */
async function put(cache: ModelCache, id: string, body: string, shards: Record<string, string> = {}, format: 'onnx' | 'tfjs' = 'onnx') {
  const st = cache.stage(id);
  const main = format === 'onnx' ? `${id}.onnx` : 'model.json';
  fs.writeFileSync(path.join(st.dir, main), body);
  for (const [n, v] of Object.entries(shards)) fs.writeFileSync(path.join(st.dir, n), v);
  return cache.commit(st, {
    source: 'url',
    origin: `https://example.com/${id}`,
    mainFile: main,
    format,
    extraFiles: Object.keys(shards),
    preprocessing: { channelOrder: 'BGR', scale: 1, mean: [123.68, 116.779, 103.939], std: [1, 1, 1] },
    label: `Model ${id}`,
  });
}

describe('defaultCacheDir', () => {
  it('uses $XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' }), path.join('/x/cache', 'sparsity-lens', 'models'));
    assert.equal(defaultCacheDir({}), path.join(os.homedir(), '.cache', 'sparsity-lens', 'models'));
    // A relative XDG_CACHE_HOME is invalid per the XDG spec and ignored.
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: 'rel' }), path.join(os.homedir(), '.cache', 'sparsity-lens', 'models'));
  });
});

describe('ModelCache', () => {
  it('commits a staged model: folder, sidecar, index entry with sha256 and size', async () => {
    const dir = tmp();
    const cache = new ModelCache(dir);
    const e = await put(cache, 'alpha', 'ONNX-BYTES');
    assert.equal(e.id, 'alpha');
    assert.equal(e.sha256, sha('ONNX-BYTES'));
    assert.equal(e.size, 10);
    assert.equal(e.path, path.join(dir, 'alpha', 'alpha.onnx'));
    assert.match(e.addedAt, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['alpha', 'index.json']); // no staging, lock or temp files
    assert.deepEqual(fs.readdirSync(path.join(dir, 'alpha')).sort(), ['alpha.onnx', 'alpha.sparsity.json']);
    const idx = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
    assert.equal(idx.schema, 'sparsity-lens/model-cache');
    assert.equal(idx.version, 1);
    assert.deepEqual(idx.entries, [e]);
    assert.deepEqual(cache.get('alpha'), e);
    assert.deepEqual(cache.findByPath(e.path), e);
    assert.deepEqual(cache.findByOrigin('url', 'https://example.com/alpha'), [e]);
    // The sidecar makes the entry's preprocessing reach the analysis from the path alone.
    const sc = readSidecar(path.join(dir, 'alpha', 'alpha.sparsity.json'));
    assert.equal(sc.sidecar.source, 'url:https://example.com/alpha');
    const r = resolvePreprocessing({ modelPath: e.path });
    assert.equal(r.preprocessing.channelOrder, 'BGR');
    assert.deepEqual(r.preprocessing.mean, [123.68, 116.779, 103.939]);
    assert.equal(r.modelSource, 'url:https://example.com/alpha');
  });

  it('lists newest first and keeps TF.js shards with the entry', async () => {
    const dir = tmp();
    const cache = new ModelCache(dir);
    await put(cache, 'one', 'A');
    await new Promise((r) => setTimeout(r, 5));
    const two = await put(cache, 'two', '{"modelTopology":{}}', { 'group1-shard1of1.bin': 'WEIGHTS' }, 'tfjs');
    assert.deepEqual(cache.list().map((e) => e.id), ['two', 'one']);
    assert.deepEqual(two.files.map((f) => [f.name, f.size]), [['model.json', 20], ['group1-shard1of1.bin', 7]]);
    assert.equal(two.size, 27);
    assert.equal(two.files[1].sha256, sha('WEIGHTS'));
    assert.ok(fs.existsSync(path.join(dir, 'two', 'model.sparsity.json')));
  });

  it('verify re-hashes and reports missing, resized and altered files; open refuses damaged entries', async () => {
    const dir = tmp();
    const cache = new ModelCache(dir);
    const a = await put(cache, 'a', 'AAAA');
    const b = await put(cache, 'b', 'BBBB', { 'w.bin': 'WWWW' }, 'tfjs');
    await put(cache, 'c', 'CCCC');
    assert.ok((await cache.verify()).every((v) => v.ok));
    fs.writeFileSync(a.path, 'AAAB'); // same size, other bytes
    fs.writeFileSync(path.join(dir, 'b', 'w.bin'), 'WW'); // truncated shard
    fs.rmSync(path.join(dir, 'c', 'c.onnx'));
    const v = Object.fromEntries((await cache.verify()).map((r) => [r.id, r.problems.join('; ')]));
    assert.match(v.a, /a\.onnx has sha256 .*expected/);
    assert.equal(v.b, 'w.bin has 2 bytes, expected 4');
    assert.equal(v.c, 'c.onnx is missing');
    // Without hashing, only the size/missing checks apply.
    assert.deepEqual((await cache.verify('a', { hash: false }))[0].problems, []);
    await assert.rejects(cache.open('a', { hash: true }), (e) => e instanceof UserError && /damaged/.test(e.message) && /models remove a/.test(e.message));
    await assert.rejects(cache.open('b'), /w\.bin has 2 bytes/);
    await assert.rejects(cache.open('zzz'), (e) => e instanceof UserError && /No cached model "zzz"/.test(e.message) && /Cached: [abc], [abc], [abc]\./.test(e.message));
    assert.equal(b.files.length, 2);
  });

  it('remove deletes the folder and the entry', async () => {
    const dir = tmp();
    const cache = new ModelCache(dir);
    await put(cache, 'a', 'A');
    await put(cache, 'b', 'B');
    assert.equal(await cache.remove('a'), true);
    assert.equal(await cache.remove('a'), false);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['b', 'index.json']);
    assert.deepEqual(cache.list().map((e) => e.id), ['b']);
  });

  it('a local file entry is remembered in place and never deleted by remove', async () => {
    const dir = tmp();
    const userDir = tmp();
    const file = path.join(userDir, 'mine.onnx');
    fs.writeFileSync(file, 'MINE');
    const cache = new ModelCache(dir);
    const e = await cache.addLocalFile(file, { label: 'Mine' });
    assert.equal(e.source, 'file');
    assert.equal(e.path, file);
    assert.match(e.id, /^file-mine-[0-9a-f]{8}$/);
    assert.ok((await cache.verify(e.id))[0].ok);
    assert.equal(await cache.remove(e.id), true);
    assert.equal(fs.readFileSync(file, 'utf8'), 'MINE');
  });

  it('recommitting an id replaces the old entry and files', async () => {
    const dir = tmp();
    const cache = new ModelCache(dir);
    await put(cache, 'm', 'OLD');
    const e = await put(cache, 'm', 'NEWER');
    assert.deepEqual(cache.list(), [e]);
    assert.equal(fs.readFileSync(e.path, 'utf8'), 'NEWER');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['index.json', 'm']);
  });

  it('discarded staging leaves nothing; stale staging folders are cleaned', async () => {
    const dir = tmp();
    const cache = new ModelCache(dir);
    const st = cache.stage('x');
    fs.writeFileSync(path.join(st.dir, 'x.onnx.part'), 'partial');
    cache.discard(st);
    assert.deepEqual(fs.readdirSync(dir), []);
    const old = cache.stage('y');
    const t = (Date.now() - 2 * 24 * 3600_000) / 1000;
    fs.utimesSync(old.dir, t, t);
    const fresh = cache.stage('z'); // staging also cleans folders older than a day
    assert.deepEqual(fs.readdirSync(dir), [path.basename(fresh.dir)]);
    assert.equal(cache.list().length, 0); // staging folders are never entries
  });

  it('parallel commits all land in the index (lock), and a stale lock is taken over', async () => {
    const dir = tmp();
    const cache = new ModelCache(dir);
    const ids = Array.from({ length: 12 }, (_, i) => `m${i}`);
    // Separate ModelCache objects, as separate processes would have.
    await Promise.all(ids.map((id) => put(new ModelCache(dir), id, id)));
    assert.deepEqual(cache.list().map((e) => e.id).sort(), [...ids].sort());
    fs.mkdirSync(path.join(dir, 'index.lock'));
    const t = (Date.now() - 120_000) / 1000;
    fs.utimesSync(path.join(dir, 'index.lock'), t, t);
    assert.equal(await cache.remove('m0'), true);
    assert.ok(!fs.existsSync(path.join(dir, 'index.lock')));
  });

  it('a broken index is a UserError naming the file and the fix', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'index.json'), '{"schema": "sparsity-lens/model-cache", "entries": [');
    assert.throws(() => new ModelCache(dir).list(), (e) => e instanceof UserError && e.message.includes(path.join(dir, 'index.json')) && /not valid JSON/.test(e.message) && /Delete it/.test(e.message));
    fs.writeFileSync(path.join(dir, 'index.json'), '{"something": "else"}');
    assert.throws(() => new ModelCache(dir).list(), /not a Sparsity Lens model cache index/);
  });

  it('a moved cache folder still resolves its model paths', async () => {
    const dir = tmp();
    await put(new ModelCache(dir), 'a', 'AAAA');
    const moved = dir + '-moved';
    fs.renameSync(dir, moved);
    const e = new ModelCache(moved).get('a')!;
    assert.equal(e.path, path.join(moved, 'a', 'a.onnx'));
    assert.ok((await new ModelCache(moved).verify('a'))[0].ok);
  });

  it('ids are validated and sanitized', () => {
    assert.equal(sanitizeId('ResNet-50 v1 (MXNet)'), 'resnet-50-v1-mxnet');
    assert.equal(sanitizeId('../../etc'), 'etc');
    const cache = new ModelCache(tmp());
    assert.throws(() => cache.stage('../evil'), UserError);
    assert.throws(() => cache.stage('.tmp-x'), UserError);
    assert.throws(() => cache.stage('index.json'), UserError);
  });

  it('stores full preprocessing for torchvision-like entries', async () => {
    const dir = tmp();
    const cache = new ModelCache(dir);
    const st = cache.stage('tv');
    fs.writeFileSync(path.join(st.dir, 'alexnet.onnx'), 'X');
    const e = await cache.commit(st, { source: 'torchvision', origin: 'alexnet', mainFile: 'alexnet.onnx', format: 'onnx', preprocessing: LIU2020_PREPROCESSING });
    assert.deepEqual(e.preprocessing, LIU2020_PREPROCESSING);
    assert.deepEqual(resolvePreprocessing({ modelPath: e.path, cacheEntry: e }).preprocessing, LIU2020_PREPROCESSING);
  });
});
