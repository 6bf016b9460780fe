/**
 * Issue 15, a fast first chart: permuted controls spliced into one encoded template and shuffled
 * in worker threads are the very models buildSessionModel makes; a pass-major run (trained pass
 * first, controls prepared in the background, images decoded once) gives a report identical
 * (===) to the old everything-together, main-thread run; partial reports come during the
 * controls; cancel while controls are being prepared leaves nothing behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../src/core/analyze';
import { decodeNpy } from '../../src/core/npy';
import type { SparsityReport } from '../../src/core/report/schema';
import { CancelledError } from '../../src/core/types';
import { readOnnxModel } from '../../src/core/engines/onnx';
import { analyseModel, buildPermutationTemplate, buildSessionModel } from '../../src/core/engines/onnxGraph';
import { shuffleRegions } from '../../src/core/shuffleRegions';
import { defaultTapIds } from '../../src/core/taps/select';
import { buildConvNet } from '../helpers/onnxBuilder';
import { buildClosedFormOnnx, writeStimuli } from '../helpers/tinyModels';
import { tempDir } from '../helpers/tempDir';

const SMALL_NET = {
  input: [3, 16, 16] as [number, number, number],
  layers: [
    { type: 'conv' as const, out: 5, kernel: 3, pad: 1 },
    { type: 'maxpool' as const, kernel: 2, stride: 2 },
    { type: 'conv' as const, out: 6, kernel: 3, pad: 1 },
    { type: 'fc' as const, out: 7 },
    { type: 'fc' as const, out: 4, relu: false },
  ],
  seed: 3,
};

test('a spliced permuted control is byte for byte the model buildSessionModel makes (weights, biases, pruned logits layer)', async () => {
  const dir = tempDir('tpl-');
  for (const file of [buildConvNet(SMALL_NET).save(path.join(dir, 'net.onnx')), buildClosedFormOnnx(path.join(dir, 'tiny.onnx'))]) {
    const a = analyseModel(await readOnnxModel(file));
    const taps = defaultTapIds(a.plan, undefined).map((id) => ({ id, name: a.plan.names.get(id)!, shape: a.shapes.get(id) ?? null, kind: 'conv' as const }));
    for (const target of ['weights', 'biases'] as const) {
      for (const includeLogits of [false, true]) {
        const tpl = buildPermutationTemplate(a, taps, { kind: 'permuted', seed: 0, target }, 'channel', includeLogits);
        assert.ok(tpl, `${path.basename(file)}: raw_data weights make a template`);
        if (!includeLogits) assert.ok(tpl.regions.some((r) => r.offset < 0), 'the logits layer is pruned without logits, and still advances the stream');
        for (const seed of [1001, 1002, 7_000_003]) {
          const ref = buildSessionModel(a, taps, { kind: 'permuted', seed, target }, 'channel', includeLogits);
          const bytes = new Uint8Array(tpl.bytes); // a copy (Buffer#slice is a view)
          shuffleRegions(bytes, tpl.regions, seed);
          assert.ok(Buffer.from(bytes).equals(Buffer.from(ref.bytes)), `${path.basename(file)} ${target} logits=${includeLogits} seed ${seed}`);
          assert.deepEqual(tpl.changes, ref.changes);
          assert.deepEqual(tpl.tapOutputs, ref.tapOutputs);
        }
      }
    }
  }
});

test('float_data weights take buildSessionModel (no template), not a wrong splice', async () => {
  const dir = tempDir('tpl-');
  const file = buildConvNet({ ...SMALL_NET, layers: SMALL_NET.layers }).save(path.join(dir, 'net.onnx'));
  const m = await readOnnxModel(file);
  const init = m.graph!.initializer![0];
  init.floatData = Array.from(new Float32Array(new Uint8Array(init.rawData!).slice().buffer));
  init.rawData = new Uint8Array(0);
  const a = analyseModel(m);
  const taps = defaultTapIds(a.plan, undefined).map((id) => ({ id, name: a.plan.names.get(id)!, shape: a.shapes.get(id) ?? null, kind: 'conv' as const }));
  assert.equal(buildPermutationTemplate(a, taps, { kind: 'permuted', seed: 0, target: 'weights' }, 'channel', false), null);
});

/** Every number of the report that the pipeline computes (not timings, dates, paths). */
function numbers(r: SparsityReport) {
  const picked = { passes: r.passes, categories: r.categories, skipped: r.skipped.map((s) => path.basename(s.file)), controls: r.controls, accuracy: r.accuracy, psiAccuracy: r.psiAccuracy, indexAccuracy: r.indexAccuracy, dataset: r.dataset };
  return JSON.parse(JSON.stringify(picked, (k, v) => (k === 'trainSeconds' ? undefined : v)));
}

async function fixture() {
  const dir = tempDir('first-');
  const data = path.join(dir, 'data');
  await writeStimuli(data);
  fs.writeFileSync(path.join(data, 'cat_b', 'broken.jpg'), 'this is not a jpeg');
  const model = buildConvNet({ ...SMALL_NET, input: [3, 4, 4], layers: [{ type: 'conv', out: 5, kernel: 3, pad: 1 }, { type: 'fc', out: 6 }, { type: 'fc', out: 3, relu: false }] }).save(path.join(dir, 'net.onnx'));
  return { dir, data, model };
}

const settings = { controls: { permutations: 3, noNonlinearity: true }, accuracy: 'decoder' as const, batchSize: 2 };

async function withWorkers<T>(n: string, fn: () => Promise<T>): Promise<T> {
  const old = process.env.SPARSITY_LENS_CONTROL_WORKERS;
  process.env.SPARSITY_LENS_CONTROL_WORKERS = n;
  try {
    return await fn();
  } finally {
    if (old === undefined) delete process.env.SPARSITY_LENS_CONTROL_WORKERS;
    else process.env.SPARSITY_LENS_CONTROL_WORKERS = old;
  }
}

test('pass-major run with background controls = all passes together, controls made on the main thread (===)', async () => {
  const { dir, data, model } = await fixture();
  const out = path.join(dir, 'out');
  const logs: string[] = [];
  const partials: SparsityReport[] = [];
  const fast = await withWorkers('2', () => analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings, html: false, partialSeconds: 0 }, { onLog: (l) => logs.push(l), onPartial: (r) => partials.push(r) }));
  assert.ok(logs.some((l) => /one after another/.test(l)), 'auto chose pass-major for a run whose images fit the cache');
  const state = JSON.parse(fs.readFileSync(path.join(fast.runDir, 'state', 'state.json'), 'utf8'));
  assert.equal(state.meta.passGroupSize, 1);
  const reference = await withWorkers('0', () => analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings: { ...settings, concurrentPasses: 5 }, html: false }));
  assert.deepEqual(numbers(fast.report), numbers(reference.report));
  assert.ok(fast.report.accuracy, 'the decoder ran on the trained pass');
  for (const p of reference.report.passes) {
    for (const l of p.layers) {
      const a = decodeNpy(fs.readFileSync(path.join(fast.runDir, l.responsesFile!)));
      const b = decodeNpy(fs.readFileSync(path.join(reference.runDir, l.responsesFile!)));
      assert.deepEqual(Array.from(a.data), Array.from(b.data), `${p.id} ${l.name}`);
    }
  }
  // Live charts: the trained pass first, then trained + controls done so far; all flagged partial.
  assert.ok(partials.length >= 2, `${partials.length} partial reports`);
  assert.ok(partials.every((r) => r.complete === false));
  assert.equal(partials[0].passes.length, 1);
  assert.ok(partials.some((r) => r.passes.length > 1), 'partials keep coming while the controls run');
  // A partial's numbers are the final ones for what it shows (complete passes, every category).
  const later = partials.find((r) => r.passes.length > 1 && r.categories.length === fast.report.categories.length)!;
  assert.deepEqual(later.passes.map((p) => p.layers.map((l) => l.psi)), fast.report.passes.slice(0, later.passes.length).map((p) => p.layers.map((l) => l.psi)));
});

test('cancel while the controls are being prepared: CancelledError, no run folder, workers stopped', async () => {
  const { dir, data, model } = await fixture();
  const out = path.join(dir, 'out');
  const ac = new AbortController();
  const t0 = performance.now();
  await assert.rejects(
    withWorkers('2', () => analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings, html: false }, { signal: ac.signal, onPartial: () => ac.abort() })),
    CancelledError,
  );
  assert.ok(performance.now() - t0 < 20_000);
  assert.deepEqual(fs.existsSync(out) ? fs.readdirSync(out) : [], []);
});
