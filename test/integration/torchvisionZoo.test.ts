/**
 * Issue 10 acceptance ("Done when"), live PyTorch: every torchvision network of the issue is
 * exported with `torchvision:<arch>:random` (opset 14, seed 0) through the product's own exporter,
 * analysed by the real CLI with the default taps on a small seeded image set (4 categories x 2
 * PNGs, lossless so PIL and sharp decode the same pixels), and compared with PyTorch forward hooks
 * on the module of the same name (test/fixtures/crosscheck/torchvision_reference.py: channel mean
 * over space for NCHW, feature mean over tokens for [N, T, D]; a tap outside every module, such
 * as DenseNet's final F.relu, through torch.fx feature extraction under its node name `relu`):
 *   - every default tap is a module that runs once per forward pass, with the same unit count and
 *     per-category PSIs within 1e-4;
 *   - no default tap is the classifier output (each finishes before the class layer starts);
 *   - every block module (residual, inverted residual, MBConv, CNBlock, Inception, Fire, dense
 *     block, transition, encoder block) is a default tap;
 *   - AlexNet and VGG11 keep the study's taps (conv1..convK, fc1, fc2);
 *   - EfficientNet's no-nonlinearity control differs from the trained model;
 *   - the report says the weights were random with seed 0, and every layer carries its depth.
 * One test per network, so the result of each is visible; failures list every mismatch.
 *
 *   node --import tsx --test test/integration/torchvisionZoo.test.ts
 *   SL_TV_CACHE=/tmp/tv-cache ...   keeps the exported models between runs (default: a temp folder)
 *
 * Fails (never skips) without Debian's python3-torch/python3-torchvision (prerequisites.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { resolveModel } from '../../src/core/models/resolve';
import type { SparsityReport } from '../../src/core/report/schema';
import { PYTHON, requireIntegrationPrerequisites } from './prerequisites';
import { SYNTHETIC_CATEGORIES, writeSyntheticImages } from '../helpers/syntheticImages';

const execFileP = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');
const SCRIPT = path.join(ROOT, 'test', 'fixtures', 'crosscheck', 'torchvision_reference.py');
const TOL = 1e-4;
const SIZE = 224;
const OPSET = 14;

/** The networks of issue 10, then the study's two (whose taps must not change). */
const NETWORKS = [
  'resnet18',
  'resnet50',
  'mobilenet_v2',
  'mobilenet_v3_small',
  'densenet121',
  'googlenet',
  'squeezenet1_1',
  'shufflenet_v2_x1_0',
  'efficientnet_b0',
  'convnext_tiny',
  'vit_b_16',
  'regnet_x_400mf',
  'alexnet',
  'vgg11',
];
const STUDY_TAPS: Record<string, string[]> = {
  alexnet: ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc1', 'fc2'],
  vgg11: ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'conv6', 'conv7', 'conv8', 'fc1', 'fc2'],
};

interface RefTap {
  name: string;
  /** The module hooked; null for a tap compared through torch.fx feature extraction (fxNode). */
  module: string | null;
  fxNode?: string;
  calls: number;
  layout: string | null;
  beforeClassifier: boolean;
  units?: number;
  psi?: number[];
  fractionUnitsConstant?: number;
}
interface Reference {
  categories: string[];
  images: number[];
  classLayer: string | null;
  taps: RefTap[];
  missing: string[];
  blocks: string[];
}

const IMAGES_PER_CATEGORY = 2;

function writeImages(root: string): Promise<void> {
  return writeSyntheticImages(root, { perCategory: IMAGES_PER_CATEGORY, size: SIZE, gratingPhase: false });
}

async function reference(arch: string, taps: string[]): Promise<Reference> {
  try {
    const { stdout } = await execFileP(PYTHON, [SCRIPT, '--arch', arch, '--seed', '0', '--data', data, '--taps', taps.join(',')], { maxBuffer: 64 << 20, timeout: 600_000 });
    return JSON.parse(stdout) as Reference;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${path.basename(SCRIPT)} --arch ${arch} failed: ${err.stderr || err.message}`);
  }
}

async function analyzeCli(model: string, controls: string, out: string): Promise<SparsityReport> {
  try {
    const { stdout } = await execFileP(
      process.execPath,
      ['--import', 'tsx', CLI, 'analyze', data, '--model', model, '--cache-dir', cacheDir, '--controls', controls, '--accuracy', 'none', '--json', '--no-html', '--no-checkpoint', '--quiet', '--out', out],
      { cwd: ROOT, maxBuffer: 256 << 20, timeout: 900_000 },
    );
    return JSON.parse(stdout) as SparsityReport;
  } catch (e) {
    const err = e as { code?: number; stderr?: string; message: string };
    throw new Error(`sparsity-lens analyze --model ${model} failed (exit ${err.code}): ${err.stderr || err.message}`);
  }
}

let dir = '';
let data = '';
let cacheDir = '';

before(async () => {
  requireIntegrationPrerequisites();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-tvzoo-'));
  data = path.join(dir, 'data');
  cacheDir = process.env.SL_TV_CACHE ? path.resolve(process.env.SL_TV_CACHE) : path.join(dir, 'cache');
  await writeImages(data);
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('torchvision:<arch>:random — exports are seeded', () => {
  it('two exports of one reference are byte-identical; another seed is another model with its own cache id', async () => {
    const own = path.join(dir, 'seed-cache');
    const a = await resolveModel('torchvision:squeezenet1_1:random', { cacheDir: own, pythonPath: PYTHON, opset: OPSET });
    const b = await resolveModel('torchvision:squeezenet1_1:random:0', { cacheDir: own, pythonPath: PYTHON, opset: OPSET, refresh: true });
    assert.equal(a.entry?.id, 'torchvision-squeezenet1-1-random');
    assert.equal(b.entry?.id, a.entry?.id, ':random is seed 0');
    assert.equal(b.fetched, true, 'refresh exported again');
    assert.equal(b.entry?.sha256, a.entry?.sha256, 'same seed, same bytes');
    const c = await resolveModel('torchvision:squeezenet1_1:random:1', { cacheDir: own, pythonPath: PYTHON, opset: OPSET });
    assert.equal(c.entry?.id, 'torchvision-squeezenet1-1-random-seed1');
    assert.equal(c.entry?.details?.seed, 1);
    assert.notEqual(c.entry?.sha256, a.entry?.sha256, 'another seed, other weights');
    assert.equal(c.source, 'torchvision:squeezenet1_1:random:1');
    // Both stay cached side by side, and each is reused for its own seed.
    const again = await resolveModel('torchvision:squeezenet1_1:random', { cacheDir: own, pythonPath: PYTHON, opset: OPSET });
    assert.equal(again.fetched, false);
    assert.equal(again.entry?.sha256, a.entry?.sha256);
  });
});

describe('torchvision networks: default taps equal PyTorch forward hooks (issue 10)', () => {
  for (const arch of NETWORKS) {
    it(arch, async (t) => {
      const t0 = performance.now();
      const model = await resolveModel(`torchvision:${arch}:random`, { cacheDir, pythonPath: PYTHON, opset: OPSET });
      assert.ok(model.entry, 'exported into the cache');
      assert.equal(model.entry.details?.opset, OPSET);
      assert.equal(model.entry.details?.seed, 0);
      const controls = arch === 'efficientnet_b0' ? 'norelu' : 'none';
      const report = await analyzeCli(`cache:${model.entry.id}`, controls, path.join(dir, `out-${arch}`));
      const tAnalyze = performance.now();
      assert.equal(report.complete, true);
      assert.deepEqual(report.model.weights, { kind: 'random', seed: 0 }, 'the report says: random weights, seed 0');
      assert.deepEqual(
        report.categories.map((c) => [c.name, c.images]),
        [...SYNTHETIC_CATEGORIES].map((c) => [c, IMAGES_PER_CATEGORY]),
      );
      const layers = report.passes[0].layers;
      const names = layers.map((l) => l.name);
      t.diagnostic(`${arch}: ${names.length} default taps: ${names.join(' ')}`);
      assert.ok(names.length > 0, 'some default taps');

      const ref = await reference(arch, names);
      const failures: string[] = [];
      if (ref.missing.length) failures.push(`taps that are neither modules nor torch.fx nodes of the PyTorch network: ${ref.missing.join(', ')}`);
      if (STUDY_TAPS[arch]) {
        if (JSON.stringify(names) !== JSON.stringify(STUDY_TAPS[arch])) failures.push(`study taps changed: ${names.join(',')} instead of ${STUDY_TAPS[arch].join(',')}`);
      } else {
        const missingBlocks = ref.blocks.filter((b) => !names.includes(b));
        if (missingBlocks.length) failures.push(`block modules that are not default taps: ${missingBlocks.join(', ')}`);
      }
      let worst = 0;
      for (const l of layers) {
        const r = ref.taps.find((x) => x.name === l.name);
        if (!r) continue; // listed as missing above
        if (r.calls !== 1) {
          failures.push(`${l.name}: the module ${r.module} runs ${r.calls} times per forward pass, so no single output can be compared`);
          continue;
        }
        if (!r.beforeClassifier) failures.push(`${l.name}: is the classifier output (finishes after ${ref.classLayer} starts)`);
        if (r.units !== l.units) {
          failures.push(`${l.name}: ${l.units} units, PyTorch's ${r.layout} output has ${r.units}`);
          continue;
        }
        const d = Math.max(...l.psi.map((v, c) => Math.abs(v - r.psi![c])));
        worst = Math.max(worst, d);
        if (!(d <= TOL)) failures.push(`${l.name} (${r.layout}, ${l.units} units): max |PSI diff| ${d.toExponential(2)}: ${JSON.stringify(l.psi)} vs PyTorch ${JSON.stringify(r.psi)}`);
      }
      // Depth for comparing networks: (index - 1) / (L - 1).
      layers.forEach((l, i) => {
        const expected = layers.length === 1 ? 0 : i / (layers.length - 1);
        if (l.index !== i + 1 || typeof l.relativeDepth !== 'number' || !(Math.abs(l.relativeDepth - expected) <= 1e-12)) failures.push(`${l.name}: index ${l.index}, relativeDepth ${l.relativeDepth} (expected ${i + 1}, ${expected})`);
      });
      if (arch === 'efficientnet_b0') {
        const norelu = report.passes.find((p) => p.kind === 'norelu');
        if (!norelu) failures.push('no no-nonlinearity pass');
        else {
          const diff = Math.max(...norelu.layers.flatMap((l, li) => l.psi.map((v, c) => Math.abs(v - layers[li].psi[c]))));
          t.diagnostic(`${arch}: no-nonlinearity control differs from trained by up to ${diff.toExponential(2)}`);
          if (!(diff > 1e-3)) failures.push(`the no-nonlinearity control equals the trained model (max |PSI diff| ${diff})`);
        }
      }
      t.diagnostic(`${arch}: max |PSI diff| vs PyTorch ${worst.toExponential(2)}; export+analyse ${((tAnalyze - t0) / 1000).toFixed(1)} s, reference ${((performance.now() - tAnalyze) / 1000).toFixed(1)} s`);
      assert.deepEqual(failures, [], `${arch}:\n${failures.join('\n')}`);
    });
  }
});
