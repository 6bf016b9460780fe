/**
 * Export from PyTorch with the shipped python/export_torchvision.py, run by Debian's
 * /usr/bin/python3 with python3-torch + python3-torchvision (nothing is downloaded:
 * weights=None, or pretrained weights pre-seeded in a private TORCH_HOME).
 *
 * The "torch missing" case uses a virtual environment made from the same Python without
 * system packages, so it has no torch on any machine.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { ModelCache } from '../../src/core/models/cache';
import { readSidecar, resolvePreprocessing } from '../../src/core/models/preprocessing';
import { resolveModel } from '../../src/core/models/resolve';
import { checkTorch, exportTorchvision, findPython, pipInstallCommand } from '../../src/core/models/torchExport';
import { CancelledError, LIU2020_PREPROCESSING, UserError } from '../../src/core/types';
import { tempDir } from '../helpers/tempDir';
import { PYTHON, requireIntegrationPrerequisites } from './prerequisites';

const PY = PYTHON;

const tmp = tempDir;

function userError(code: string, ...words: (string | RegExp)[]): (e: unknown) => true {
  return (e) => {
    assert.ok(e instanceof UserError, `expected UserError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const w of words) {
      if (typeof w === 'string') assert.ok(e.message.includes(w), `"${e.message}" lacks "${w}"`);
      else assert.match(e.message, w);
    }
    return true;
  };
}

function decode(file: string): onnx.ModelProto {
  return onnx.ModelProto.decode(fs.readFileSync(file));
}

function dimsOf(vi: onnx.IValueInfoProto): (number | string)[] {
  return (vi.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
}

let noTorchPython = '';

before(() => {
  // Precondition (fails, never skips): Debian's Python has torch and torchvision (the packages this suite is about).
  requireIntegrationPrerequisites();
  const venv = path.join(tmp('sl-venv-'), 'py');
  execFileSync(PY, ['-m', 'venv', '--without-pip', venv]);
  noTorchPython = path.join(venv, 'bin', 'python');
  const t = spawnSync(noTorchPython, ['-c', 'import torch'], { encoding: 'utf8' });
  assert.notEqual(t.status, 0, 'the bare virtual environment must not see torch');
  assert.match(t.stderr, /No module named 'torch'/);
});

describe('torchvision export (weights none)', () => {
  it('exports AlexNet: valid ONNX, 7 ReLUs, dynamic batch, study preprocessing, runs at batch 2', async () => {
    const dir = tmp('sl-tv-');
    const lines: string[] = [];
    const e = await exportTorchvision('alexnet', dir, { pythonPath: PY, weights: 'none', onOutput: (l) => lines.push(l) });
    assert.equal(e.id, 'torchvision-alexnet-random');
    assert.equal(e.source, 'torchvision');
    assert.equal(e.origin, 'alexnet');
    assert.equal(e.format, 'onnx');
    assert.deepEqual(e.preprocessing, LIU2020_PREPROCESSING);
    assert.equal(e.details?.weights, 'none');
    assert.equal(e.details?.opset, 17);
    assert.equal(e.details?.params, 61100840);
    assert.equal(e.size, fs.statSync(e.path).size);
    // The output was streamed, readable.
    assert.ok(lines.some((l) => /^Python 3\.\d+\.\d+ .*torch .*torchvision/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('exporting to ONNX (opset 17')), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('Saved torchvision-alexnet-random')), lines.join('\n'));

    // Decoded independently with onnx-proto.
    const m = decode(e.path);
    assert.equal(Number(m.opsetImport.find((o) => !o.domain)?.version), 17);
    const g = m.graph;
    assert.ok(g?.node && g.initializer && g.input && g.output);
    const ops = g.node.map((n) => n.opType);
    assert.equal(ops.filter((o) => o === 'Relu').length, 7);
    assert.equal(ops.filter((o) => o === 'Conv').length, 5);
    assert.equal(ops.filter((o) => o === 'Gemm').length, 3);
    const inits = new Set(g.initializer.map((t) => t.name));
    const inputs = g.input.filter((i) => !inits.has(i.name));
    assert.deepEqual(inputs.map((i) => i.name), ['input']);
    const inDims = dimsOf(inputs[0]);
    assert.equal(typeof inDims[0], 'string', 'batch axis is symbolic');
    assert.deepEqual(inDims.slice(1), [3, 224, 224]);
    assert.equal(typeof dimsOf(g.output[0])[0], 'string');

    // The dynamic batch works in the runtime the product uses.
    const session = await ort.InferenceSession.create(e.path);
    const x = new ort.Tensor('float32', new Float32Array(2 * 3 * 224 * 224).fill(0.1), [2, 3, 224, 224]);
    const out = await session.run({ input: x });
    assert.deepEqual(out.output.dims, [2, 1000]);
    await session.release();

    // The cache has it, and its sidecar gives the analysis the source and the preprocessing.
    assert.deepEqual(new ModelCache(dir).list().map((x) => x.id), ['torchvision-alexnet-random']);
    const sc = readSidecar(path.join(path.dirname(e.path), 'alexnet.sparsity.json'));
    assert.match(sc.sidecar.source ?? '', /^torchvision:alexnet \(weights=none, torch /);
    const r = resolvePreprocessing({ modelPath: e.path });
    assert.deepEqual(r.preprocessing, LIU2020_PREPROCESSING);
    assert.match(r.modelSource ?? '', /^torchvision:alexnet/);
  });

  it('resolveModel("torchvision:squeezenet1_1:random") exports once, then reuses the cache', async () => {
    const dir = tmp('sl-tv-');
    const a = await resolveModel('torchvision:squeezenet1_1:random', { cacheDir: dir, pythonPath: PY });
    assert.equal(a.fetched, true);
    assert.equal(a.source, 'torchvision:squeezenet1_1:random');
    const b = await resolveModel('torchvision:squeezenet1_1:random', { cacheDir: dir, pythonPath: PY });
    assert.equal(b.fetched, false);
    assert.equal(b.modelPath, a.modelPath);
    assert.equal(b.entry?.sha256, a.entry?.sha256);
  });
});

describe('torchvision export (pretrained weights)', () => {
  it('weights=DEFAULT loads torchvision\'s checkpoint (pre-seeded in TORCH_HOME) into the export', async () => {
    const torchHome = tmp('sl-torchhome-');
    // Stand-in for the real download: a checkpoint with known values under the file name torchvision expects.
    const seed = spawnSync(
      PY,
      [
        '-c',
        [
          'import os, sys, torch, torchvision',
          'w = torchvision.models.SqueezeNet1_1_Weights.IMAGENET1K_V1',
          'd = os.path.join(sys.argv[1], "hub", "checkpoints"); os.makedirs(d)',
          'torch.manual_seed(123)',
          'm = torchvision.models.squeezenet1_1(weights=None)',
          'torch.save(m.state_dict(), os.path.join(d, os.path.basename(w.url)))',
          'print(",".join(repr(v) for v in m.state_dict()["features.0.weight"].flatten()[:6].tolist()))',
        ].join('\n'),
        torchHome,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(seed.status, 0, seed.stderr);
    const expected = seed.stdout.trim().split(',').map(Number);

    const dir = tmp('sl-tv-');
    const e = await exportTorchvision('squeezenet1_1', dir, { pythonPath: PY, weights: 'DEFAULT', env: { TORCH_HOME: torchHome } });
    assert.equal(e.id, 'torchvision-squeezenet1-1');
    assert.equal(e.details?.weights, 'SqueezeNet1_1_Weights.IMAGENET1K_V1');
    assert.match(e.label ?? '', /SqueezeNet1_1_Weights\.IMAGENET1K_V1/);
    const w = (decode(e.path).graph?.initializer ?? []).find((t) => t.name === 'features.0.weight');
    assert.ok(w, 'first conv weight is an initializer');
    const raw = Buffer.from(w.rawData!);
    const got = Array.from({ length: 6 }, (_, i) => raw.readFloatLE(i * 4));
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-7, `weight ${i}: ${got[i]} vs ${expected[i]}`);
  });

  it('weights that cannot be downloaded: a UserError saying where to put them; nothing cached', async () => {
    const torchHome = tmp('sl-torchhome-');
    const dir = tmp('sl-tv-');
    const noNet = { TORCH_HOME: torchHome, https_proxy: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', no_proxy: '', NO_PROXY: '' };
    await assert.rejects(
      exportTorchvision('squeezenet1_1', dir, { pythonPath: PY, weights: 'DEFAULT', env: noNet }),
      userError('E_WEIGHTS_DOWNLOAD', 'Could not get the pretrained weights of squeezenet1_1', path.join(torchHome, 'hub', 'checkpoints'), 'download.pytorch.org'),
    );
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});

describe('torchvision export errors', () => {
  it('torch missing: the exact install command for that Python; nothing cached', async () => {
    const dir = tmp('sl-tv-');
    const cmd = `${noTorchPython} -m pip install torch torchvision`;
    await assert.rejects(exportTorchvision('alexnet', dir, { pythonPath: noTorchPython, weights: 'none' }), userError('E_NO_TORCH', 'PyTorch (torch) is not installed', cmd, 'sparsityLens.pythonPath'));
    await assert.rejects(checkTorch({ pythonPath: noTorchPython }), userError('E_NO_TORCH', cmd));
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.equal(pipInstallCommand({ display: 'python3' }), 'python3 -m pip install torch torchvision');
  });

  it('checkTorch reports the versions of a Python that has them', async () => {
    const c = await checkTorch({ pythonPath: PY });
    assert.equal(c.python.executable, PY);
    assert.match(c.torch, /^\d+\.\d+/);
    assert.match(c.torchvision, /^\d+\.\d+/);
  });

  it('a configured Python that does not exist names the setting', async () => {
    await assert.rejects(findPython('/no/such/python3'), userError('E_NO_PYTHON', '"/no/such/python3"', 'not found', 'sparsityLens.pythonPath'));
  });

  it('a name that cannot be an architecture is refused before running Python; an unknown one by torchvision, with its list', async () => {
    const dir = tmp('sl-tv-');
    await assert.rejects(exportTorchvision('../resnet', dir, { pythonPath: PY }), userError('E_ARCH', '"../resnet" is not a torchvision architecture name'));
    // The list is the user's torchvision's classifiers (detection models are not among them).
    await assert.rejects(
      exportTorchvision('resnet9000', dir, { pythonPath: PY, weights: 'none' }),
      userError('E_ARCH', '"resnet9000" is not an image-classification architecture', "has no image-classification model 'resnet9000'", /It has: alexnet, .*regnet_x_400mf, .*vit_b_16/),
    );
    await assert.rejects(exportTorchvision('fasterrcnn_resnet50_fpn', dir, { pythonPath: PY, weights: 'none' }), userError('E_ARCH', 'fasterrcnn_resnet50_fpn'));
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('cancel stops Python and leaves nothing', async () => {
    const dir = tmp('sl-tv-');
    const ac = new AbortController();
    const lines: string[] = [];
    await assert.rejects(
      exportTorchvision('vgg11', dir, {
        pythonPath: PY,
        weights: 'none',
        signal: ac.signal,
        onOutput: (l) => {
          lines.push(l);
          if (l.startsWith('building torchvision.models.vgg11')) ac.abort();
        },
      }),
      (e) => e instanceof CancelledError,
    );
    assert.ok(lines.some((l) => l.startsWith('building')), lines.join('\n'));
    assert.ok(!lines.some((l) => l.startsWith('Exported')), 'cancelled before the export finished');
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});
