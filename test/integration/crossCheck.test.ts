/**
 * Issue 2 acceptance ("Done when"): `sparsity-lens analyze` on a folder of 224x224 images with a
 * torch.onnx.export of torchvision AlexNet gives per-category PSIs that an independent numpy
 * implementation of METHOD.md, fed with PyTorch's own activations of the same model, reproduces
 * within 1e-4; the same for a TF.js LayersModel holding the same weights.
 *
 * The PyTorch side is test/fixtures/crosscheck/torch_reference.py (Debian's /usr/bin/python3 with
 * python3-torch and python3-torchvision). AlexNet has seeded random weights (weights=None,
 * torch.manual_seed(0)): nothing is downloaded. The stimuli are seeded PNGs (lossless, so PIL and
 * sharp decode identical pixels), 4 categories x 3 images of distinct structure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { decodeNpy } from '../../src/core/npy';
import type { SparsityReport } from '../../src/core/report/schema';
import { PYTHON, requireIntegrationPrerequisites } from './prerequisites';
import { SYNTHETIC_CATEGORIES, writeSyntheticImages } from '../helpers/syntheticImages';

const execFileP = promisify(execFile);
const PY = PYTHON;
const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');
const SCRIPT = path.join(ROOT, 'test', 'fixtures', 'crosscheck', 'torch_reference.py');
const LAYERS = ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc1', 'fc2'];
const TOL = 1e-4;
const SIZE = 224;

interface Reference {
  layers: string[];
  categories: string[];
  images: number[];
  psi: number[][];
  categoryMeans: number[][][];
  diagnostics: { layer: string; units: number; maxResponse: number; fractionUnitsNonZero: number; fractionUnitsConstant: number }[];
}

function writeImages(root: string): Promise<void> {
  return writeSyntheticImages(root, { perCategory: 3, size: SIZE, gratingPhase: true });
}

async function python(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileP(PY, [SCRIPT, ...args], { maxBuffer: 64 << 20, timeout: 180_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${path.basename(SCRIPT)} ${args[0]} failed: ${err.stderr || err.message}`);
  }
}

/** Runs the real CLI; returns the report and its run folder. */
async function analyzeCli(data: string, model: string, out: string): Promise<{ report: SparsityReport; runDir: string; seconds: number }> {
  const t0 = performance.now();
  let stdout: string;
  try {
    ({ stdout } = await execFileP(
      process.execPath,
      ['--import', 'tsx', CLI, 'analyze', data, '--model', model, '--controls', 'none', '--accuracy', 'none', '--json', '--no-html', '--quiet', '--out', out],
      { cwd: ROOT, maxBuffer: 256 << 20, timeout: 180_000 },
    ));
  } catch (e) {
    const err = e as { code?: number; stderr?: string; message: string };
    throw new Error(`sparsity-lens analyze --model ${model} failed (exit ${err.code}): ${err.stderr || err.message}`);
  }
  const runs = fs.readdirSync(out);
  assert.equal(runs.length, 1, `one run folder in ${out}`);
  return { report: JSON.parse(stdout) as SparsityReport, runDir: path.join(out, runs[0]), seconds: (performance.now() - t0) / 1000 };
}

let dir = '';
let data = '';
let models: { onnx: string; tfjs: string };
let ref: Reference;

before(async () => {
  // Fails (never skips) when Debian's torch, numpy or PIL is missing, naming the apt packages.
  requireIntegrationPrerequisites();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosscheck-'));
  data = path.join(dir, 'data');
  // The export (torch, mostly I/O) and the stimuli (sharp) are independent: overlap them.
  const [exported] = await Promise.all([python(['export', '--out', path.join(dir, 'model'), '--seed', '0']), writeImages(data)]);
  models = JSON.parse(exported);
  ref = JSON.parse(await python(['reference', '--data', data, '--seed', '0'])) as Reference;
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('crosscheck: the PyTorch reference is meaningful (every layer responds, categories differ)', () => {
  assert.deepEqual(ref.layers, LAYERS);
  assert.deepEqual(ref.categories, [...SYNTHETIC_CATEGORIES].sort());
  assert.deepEqual(ref.images, [3, 3, 3, 3]);
  for (const d of ref.diagnostics) {
    // Random init: deep activations are small, but most units must respond (not a dead net).
    assert.ok(d.maxResponse > 0 && d.fractionUnitsNonZero > 0.3, `${d.layer}: ${JSON.stringify(d)}`);
    assert.ok(d.fractionUnitsConstant < 0.5, `${d.layer}: too many units constant across categories ${JSON.stringify(d)}`);
  }
  for (const [li, psi] of ref.psi.entries()) {
    assert.ok(psi.every((v) => Number.isFinite(v) && v > 0 && v < 1), `${LAYERS[li]} PSIs in (0,1): ${psi}`);
    assert.ok(Math.max(...psi) - Math.min(...psi) > 1e-3, `${LAYERS[li]} PSIs differ between categories: ${psi}`);
  }
});

function crossCheck(t: { diagnostic(m: string): void }, label: string, report: SparsityReport, runDir: string): void {
  assert.equal(report.complete, true);
  assert.deepEqual(report.categories.map((c) => [c.name, c.images]), ref.categories.map((c, i) => [c, ref.images[i]]));
  assert.equal(report.skipped.length, 0);
  const layers = report.passes[0].layers;
  assert.deepEqual(layers.map((l) => l.name), LAYERS, `${label} default taps`);
  assert.deepEqual(layers.map((l) => l.kind), ['conv', 'conv', 'conv', 'conv', 'conv', 'fc', 'fc']);
  assert.deepEqual(layers.map((l) => l.units), [64, 192, 384, 256, 256, 4096, 4096]);
  const lines: string[] = [];
  const failures: string[] = [];
  layers.forEach((l, li) => {
    const psiDiff = Math.max(...l.psi.map((v, c) => Math.abs(v - ref.psi[li][c])));
    // Category-mean responses, relative to the layer's largest response: locates a disagreement.
    const npy = decodeNpy(fs.readFileSync(path.join(runDir, l.responsesFile!)));
    const exp = ref.categoryMeans[li].flat();
    assert.deepEqual(npy.shape, [ref.categories.length, l.units]);
    let respDiff = 0;
    exp.forEach((v, i) => (respDiff = Math.max(respDiff, Math.abs(npy.data[i] - v))));
    const scale = Math.max(...exp.map(Math.abs));
    lines.push(`${label} ${l.name}: max |PSI diff| ${psiDiff.toExponential(2)}, max |response diff| ${respDiff.toExponential(2)} (${(respDiff / scale).toExponential(2)} of max ${scale.toExponential(2)})`);
    if (!(psiDiff <= TOL)) failures.push(`${l.name}: PSI ${JSON.stringify(l.psi)} vs reference ${JSON.stringify(ref.psi[li])}`);
    if (!(respDiff <= 1e-4 * scale)) failures.push(`${l.name}: category-mean responses differ by ${respDiff} (max response ${scale})`);
  });
  for (const line of lines) t.diagnostic(line);
  assert.deepEqual(failures, [], `${label} disagrees with PyTorch + numpy:\n${lines.join('\n')}\n${failures.join('\n')}`);
}

test('crosscheck: CLI on a torch.onnx.export of torchvision AlexNet reproduces PyTorch + numpy PSIs within 1e-4', async (t) => {
  const { report, runDir, seconds } = await analyzeCli(data, models.onnx, path.join(dir, 'out-onnx'));
  assert.equal(report.model.format, 'onnx');
  t.diagnostic(`ONNX run ${seconds.toFixed(1)} s on ${report.engine.backend}`);
  crossCheck(t, 'ONNX', report, runDir);
});

test('crosscheck: CLI on the same AlexNet as a TF.js LayersModel reproduces PyTorch + numpy PSIs within 1e-4', async (t) => {
  const { report, runDir, seconds } = await analyzeCli(data, models.tfjs, path.join(dir, 'out-tfjs'));
  assert.equal(report.model.format, 'tfjs-layers');
  t.diagnostic(`TF.js run ${seconds.toFixed(1)} s on ${report.engine.backend}`);
  crossCheck(t, 'TF.js', report, runDir);
});
