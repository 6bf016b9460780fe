/**
 * Preprocessing resolution (preset < cache/catalog entry < sidecar < overrides), validation
 * messages, sidecar naming, the shipped catalog, and model references.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { catalog, findCatalogEntry, loadCatalog, parseCatalog } from '../../../src/core/models/catalog';
import { findSidecar, resolvePreprocessing, sidecarCandidates, validatePartialPreprocessing } from '../../../src/core/models/preprocessing';
import { parseModelRef } from '../../../src/core/models/ref';
import { resolveLocalModelPath } from '../../../src/core/models/resolve';
import { torchvisionPreprocessing } from '../../../src/core/models/torchExport';
import { LIU2020_PREPROCESSING, UserError, type Preprocessing } from '../../../src/core/types';

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function dirWithModel(name = 'net.onnx'): { dir: string; model: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-pre-'));
  made.push(dir);
  const model = path.join(dir, name);
  fs.writeFileSync(model, 'x');
  return { dir, model };
}

function writeJson(file: string, v: unknown): void {
  fs.writeFileSync(file, JSON.stringify(v));
}

function userError(...words: (RegExp | string)[]): (e: unknown) => true {
  return (e) => {
    assert.ok(e instanceof UserError, `expected UserError, got ${String(e)}`);
    for (const w of words) {
      if (typeof w === 'string') assert.ok(e.message.includes(w), `"${e.message}" lacks "${w}"`);
      else assert.match(e.message, w);
    }
    return true;
  };
}

const BGR_ENTRY = { id: 'catalog-alexnet-bvlc', source: 'catalog', preprocessing: { channelOrder: 'BGR', scale: 1, mean: [123.68, 116.779, 103.939], std: [1, 1, 1] } as Partial<Preprocessing> };

describe('resolvePreprocessing precedence', () => {
  it('no entry, no sidecar, no overrides: the preset', () => {
    const { model } = dirWithModel();
    const r = resolvePreprocessing({ preset: 'liu2020', modelPath: model });
    assert.deepEqual(r.preprocessing, LIU2020_PREPROCESSING);
    assert.deepEqual(r.sources, ['preset liu2020']);
    assert.equal(r.sidecarPath, undefined);
    // The preset object is copied, never shared.
    r.preprocessing.mean[0] = 99;
    assert.equal(LIU2020_PREPROCESSING.mean[0], 0.485);
  });

  it('entry over preset', () => {
    const { model } = dirWithModel();
    const r = resolvePreprocessing({ modelPath: model, cacheEntry: BGR_ENTRY });
    assert.equal(r.preprocessing.channelOrder, 'BGR');
    assert.equal(r.preprocessing.scale, 1);
    assert.equal(r.preprocessing.width, 224); // not set by the entry: from the preset
    assert.deepEqual(r.sources, ['preset liu2020', 'catalog entry catalog-alexnet-bvlc (channelOrder, scale, mean, std)']);
    assert.equal(r.modelSource, 'catalog:catalog-alexnet-bvlc');
  });

  it('sidecar over entry, overrides over sidecar; each layer only changes its own fields', () => {
    const { dir, model } = dirWithModel();
    const sidecar = path.join(dir, 'net.sparsity.json');
    writeJson(sidecar, { preprocessing: { channelOrder: 'RGB', width: 227, height: 227, resize: 'shorter-crop', shorterSide: 256 }, source: 'my lab', labels: ['cat', 'dog'] });
    const r = resolvePreprocessing({ modelPath: model, cacheEntry: BGR_ENTRY, overrides: { width: 240, height: 240 }, overridesLabel: 'sparsityLens.preprocessing' });
    assert.deepEqual(r.preprocessing, {
      width: 240,
      height: 240,
      resize: 'shorter-crop',
      shorterSide: 256,
      channelOrder: 'RGB',
      scale: 1,
      mean: [123.68, 116.779, 103.939],
      std: [1, 1, 1],
    });
    assert.deepEqual(r.sources, [
      'preset liu2020',
      'catalog entry catalog-alexnet-bvlc (channelOrder, scale, mean, std)',
      `sidecar ${sidecar} (width, height, resize, shorterSide, channelOrder)`,
      'sparsityLens.preprocessing (width, height)',
    ]);
    assert.equal(r.sidecarPath, sidecar);
    assert.equal(r.modelSource, 'my lab');
    assert.deepEqual(r.labels, ['cat', 'dog']);
  });

  it('a preset given as an object, and a sidecar without preprocessing', () => {
    const { dir, model } = dirWithModel();
    writeJson(path.join(dir, 'net.sparsity.json'), { source: 'x', extra: 1 });
    const custom: Preprocessing = { ...LIU2020_PREPROCESSING, width: 128, height: 128 };
    const r = resolvePreprocessing({ preset: custom, modelPath: model });
    assert.equal(r.preprocessing.width, 128);
    assert.deepEqual(r.sources, ['preset', `sidecar ${path.join(dir, 'net.sparsity.json')} (no preprocessing fields)`]);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], /unknown key "extra" ignored/);
  });

  it('scale may be written as a fraction string', () => {
    const { dir, model } = dirWithModel();
    writeJson(path.join(dir, 'net.sparsity.json'), { preprocessing: { scale: '1/255' } });
    assert.equal(resolvePreprocessing({ modelPath: model, cacheEntry: BGR_ENTRY }).preprocessing.scale, 1 / 255);
  });
});

describe('sidecar naming', () => {
  it('<stem>.sparsity.json, or <file>.sparsity.json; model.json → model.sparsity.json', () => {
    assert.deepEqual(sidecarCandidates('/m/resnet50.onnx'), ['/m/resnet50.sparsity.json', '/m/resnet50.onnx.sparsity.json']);
    assert.deepEqual(sidecarCandidates('/m/web/model.json'), ['/m/web/model.sparsity.json', '/m/web/model.json.sparsity.json']);
    const { dir, model } = dirWithModel('model.json');
    assert.equal(findSidecar(model), undefined);
    writeJson(path.join(dir, 'model.json.sparsity.json'), { preprocessing: { channelOrder: 'BGR' } });
    assert.equal(resolvePreprocessing({ modelPath: model }).preprocessing.channelOrder, 'BGR');
    writeJson(path.join(dir, 'model.sparsity.json'), { preprocessing: { channelOrder: 'RGB' } });
    assert.throws(() => resolvePreprocessing({ modelPath: model }), userError('two sidecar files', 'model.sparsity.json'));
  });
});

describe('validation names the file and the field', () => {
  const cases: [string, unknown, (string | RegExp)[]][] = [
    ['unknown field', { stdev: [1, 1, 1] }, ['unknown preprocessing field "stdev"', 'Known fields']],
    ['bad channel order', { channelOrder: 'rgb' }, ['"channelOrder"', '"RGB" or "BGR"']],
    ['bad resize', { resize: 'crop' }, ['"resize"', 'shorter-crop']],
    ['mean not a triple', { mean: [0.5, 0.5] }, ['"mean"', 'list of 3 numbers']],
    ['zero std', { std: [0.2, 0, 0.2] }, ['"std"', 'greater than 0']],
    ['negative scale', { scale: -1 }, ['"scale"', '1/255']],
    ['scale text', { scale: 'a lot' }, ['"scale"']],
    ['fractional width', { width: 224.5 }, ['"width"', 'whole number']],
    ['preprocessing not an object', 5, ['must be an object']],
  ];
  for (const [name, pre, words] of cases) {
    it(name, () => {
      const { dir, model } = dirWithModel();
      const sidecar = path.join(dir, 'net.sparsity.json');
      writeJson(sidecar, { preprocessing: pre });
      assert.throws(() => resolvePreprocessing({ modelPath: model }), userError(`Sidecar ${sidecar}`, ...words));
    });
  }

  it('invalid JSON in a sidecar', () => {
    const { dir, model } = dirWithModel();
    fs.writeFileSync(path.join(dir, 'net.sparsity.json'), '{ preprocessing: ');
    assert.throws(() => resolvePreprocessing({ modelPath: model }), userError('is not valid JSON', 'Fix or delete it'));
  });

  it('labels must be strings', () => {
    const { dir, model } = dirWithModel();
    writeJson(path.join(dir, 'net.sparsity.json'), { labels: [1, 2] });
    assert.throws(() => resolvePreprocessing({ modelPath: model }), userError('"labels"'));
  });

  it('overrides are validated under their setting name', () => {
    const { model } = dirWithModel();
    assert.throws(
      () => resolvePreprocessing({ modelPath: model, overrides: { channelOrder: 'XYZ' as 'RGB' }, overridesLabel: 'sparsityLens.preprocessing' }),
      userError('Setting sparsityLens.preprocessing', '"channelOrder"'),
    );
  });

  it('a crop larger than shorterSide is rejected after merging', () => {
    const { model } = dirWithModel();
    assert.throws(() => resolvePreprocessing({ modelPath: model, overrides: { resize: 'shorter-crop', shorterSide: 200 } }), userError('"shorterSide"', 'at least the crop size'));
  });

  it('unknown preset', () => {
    const { model } = dirWithModel();
    assert.throws(() => resolvePreprocessing({ preset: 'imagenet', modelPath: model }), userError('Unknown preset "imagenet"', 'liu2020'));
  });

  it('a valid partial passes through unchanged', () => {
    assert.deepEqual(validatePartialPreprocessing({ mean: [1, 2, 3], scale: 1 }, 'x'), { mean: [1, 2, 3], scale: 1 });
  });
});

describe('catalog', () => {
  it('the shipped catalog loads and validates', () => {
    const models = catalog();
    const ids = models.map((m) => m.id);
    for (const id of ['alexnet-bvlc', 'vgg16', 'resnet50-v1', 'resnet50-v2', 'mobilenetv2', 'squeezenet1.1', 'googlenet-bvlc']) assert.ok(ids.includes(id), id);
    for (const m of models) {
      assert.match(m.url, /^https:\/\/github\.com\/onnx\/models\/raw\/main\/validated\/vision\/classification\/.+\.onnx$/);
      assert.ok(m.sizeBytes && m.sizeBytes > 1_000_000, m.id);
      assert.match(m.sha256 ?? '', /^[0-9a-f]{64}$/);
    }
  });

  it('Caffe-origin models are BGR 0..255 with mean subtraction; MXNet ones use ImageNet mean/std on [0,1]', () => {
    const alex = findCatalogEntry('alexnet-bvlc');
    assert.deepEqual(alex.preprocessing, { width: 224, height: 224, resize: 'stretch', shorterSide: 256, channelOrder: 'BGR', scale: 1, mean: [123.68, 116.779, 103.939], std: [1, 1, 1] });
    assert.equal(findCatalogEntry('googlenet-bvlc').preprocessing.channelOrder, 'BGR');
    const r = findCatalogEntry('resnet50-v1').preprocessing;
    assert.equal(r.channelOrder, 'RGB');
    assert.ok(Math.abs(r.scale - 1 / 255) < 1e-15);
    assert.deepEqual(r.mean, LIU2020_PREPROCESSING.mean);
    assert.deepEqual(r.std, LIU2020_PREPROCESSING.std);
    assert.equal(findCatalogEntry('efficientnet-lite4').layout, 'NHWC');
  });

  it('unknown id lists the available ones', () => {
    assert.throws(() => findCatalogEntry('resnet51'), userError('No model "resnet51"', 'resnet50-v1'));
  });

  it('validation errors name the file and the model', () => {
    const base = { schema: 'sparsity-lens/model-catalog', version: 1, presets: {}, models: [] as unknown[] };
    const good = { id: 'x', name: 'X', family: 'x', url: 'https://e.com/x.onnx', page: 'https://e.com', origin: 'caffe', layout: 'NCHW', preprocessing: LIU2020_PREPROCESSING };
    assert.equal(parseCatalog({ ...base, models: [good] }, 'c.json').models[0].id, 'x');
    assert.throws(() => parseCatalog({ ...base, models: [good, good] }, 'c.json'), userError('c.json', 'duplicate id "x"'));
    assert.throws(() => parseCatalog({ ...base, models: [{ ...good, url: 'http://e.com/x.onnx' }] }, 'c.json'), userError('models[0] (x)', 'plain http'));
    assert.throws(() => parseCatalog({ ...base, models: [{ ...good, preprocessing: 'nope' }] }, 'c.json'), userError('unknown preset "nope"'));
    assert.throws(() => parseCatalog({ ...base, models: [{ ...good, preprocessing: { ...LIU2020_PREPROCESSING, std: [0, 1, 1] } }] }, 'c.json'), userError('"std"'));
    assert.throws(() => parseCatalog({ ...base, models: [{ ...good, sha256: 'abc' }] }, 'c.json'), userError('"sha256"'));
    const catDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-cat-'));
    made.push(catDir);
    const f = path.join(catDir, 'cat.json');
    fs.writeFileSync(f, JSON.stringify({ ...base, models: [good] }));
    assert.equal(loadCatalog(f).length, 1);
  });
});

describe('torchvision exports get the study preprocessing', () => {
  it('224 is exactly LIU2020; 299 (inception_v3) scales the size', () => {
    assert.deepEqual(torchvisionPreprocessing(224), LIU2020_PREPROCESSING);
    const p = torchvisionPreprocessing(299);
    assert.equal(p.width, 299);
    assert.equal(p.shorterSide, 342);
    assert.deepEqual(p.mean, LIU2020_PREPROCESSING.mean);
  });
});

describe('model references', () => {
  it('parses every source kind', () => {
    assert.deepEqual(parseModelRef('torchvision:alexnet'), { kind: 'torchvision', arch: 'alexnet', weights: 'DEFAULT' });
    assert.deepEqual(parseModelRef('torchvision:VGG11:random'), { kind: 'torchvision', arch: 'vgg11', weights: 'none', seed: 0 });
    assert.deepEqual(parseModelRef('torchvision:vit_b_16:random:7'), { kind: 'torchvision', arch: 'vit_b_16', weights: 'none', seed: 7 });
    assert.throws(() => parseModelRef('torchvision:alexnet:random:-1'), userError('a whole number'));
    assert.throws(() => parseModelRef('torchvision:alexnet:random:1.5'), userError('a whole number'));
    assert.throws(() => parseModelRef('torchvision:alexnet:pretrained:3'), userError('after "random" only a seed'));
    assert.throws(() => parseModelRef('torchvision:alexnet:random:3:4'), userError('a whole number'));
    assert.deepEqual(parseModelRef('catalog:ResNet50-v1'), { kind: 'catalog', id: 'resnet50-v1' });
    assert.deepEqual(parseModelRef('https://e.com/m.onnx'), { kind: 'url', url: 'https://e.com/m.onnx' });
    assert.deepEqual(parseModelRef('cache:url-m-1234'), { kind: 'cache', id: 'url-m-1234' });
    assert.deepEqual(parseModelRef('./models/a.onnx'), { kind: 'file', path: './models/a.onnx' });
    assert.deepEqual(parseModelRef('C:\\models\\a.onnx'), { kind: 'file', path: 'C:\\models\\a.onnx' });
    assert.throws(() => parseModelRef('hf:foo/bar'), userError('unknown model source "hf:"'));
    assert.throws(() => parseModelRef('torchvision:alexnet:v2'), userError('"random"'));
  });

  it('local paths: a file, or a folder with model.json / one .onnx', () => {
    const { dir, model } = dirWithModel('a.onnx');
    assert.equal(resolveLocalModelPath(model), model);
    assert.equal(resolveLocalModelPath(dir), model);
    fs.writeFileSync(path.join(dir, 'model.json'), '{}');
    assert.equal(resolveLocalModelPath(dir), path.join(dir, 'model.json'));
    assert.throws(() => resolveLocalModelPath(path.join(dir, 'nope.onnx')), userError('does not exist'));
    fs.writeFileSync(path.join(dir, 'weights.pt'), '');
    assert.throws(() => resolveLocalModelPath(path.join(dir, 'weights.pt')), userError('not a .onnx file', 'torchvision:<arch>'));
  });
});
