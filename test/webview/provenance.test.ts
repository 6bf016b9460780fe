/**
 * The provenance section's content (webview/provenance.ts, issue 15): what a report records is
 * shown as recorded (sha256, seed, mean/std, controls, engine, backend, weights); what an older
 * report (schema 1) lacks says "not recorded" and is absent from the JSON copy, never a default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseReportJson } from '../../src/core/report/parse';
import type { SparsityReport } from '../../src/core/report/schema';
import { NOT_RECORDED, provenanceGroups, provenanceJson, provenanceText, shownProvenance } from '../../webview/provenance';

const load = (name: string): SparsityReport => {
  const f = path.join(__dirname, '..', 'fixtures', 'report', name);
  return parseReportJson(fs.readFileSync(f, 'utf8'), f);
};
const text = (r: SparsityReport, id: string): string | undefined => provenanceGroups(r).flatMap((g) => g.fields).find((f) => f.id === id)?.text;

test('a current report: model path and sha256, settings in effect, engine and backend as recorded', () => {
  const base = load('sample.sparsity.json');
  const r: SparsityReport = {
    ...base,
    model: { ...base.model, sha256: 'ab'.repeat(32), weights: { kind: 'pretrained', name: 'IMAGENET1K_V1', enum: 'AlexNet_Weights.IMAGENET1K_V1' } },
    settings: { ...base.settings, seed: 42, imagesPerCategory: 25, controls: { ...base.settings.controls, keepNorms: true }, concurrentPasses: 'auto', taps: 'blocks', tokens: 'mean', decoding: 'pil' },
  };
  assert.equal(text(r, 'model-path'), '/data/models/alexnet-mini.onnx');
  assert.equal(text(r, 'model-sha256'), 'ab'.repeat(32));
  assert.equal(text(r, 'model-weights'), 'pretrained IMAGENET1K_V1 (AlexNet_Weights.IMAGENET1K_V1)');
  assert.equal(text(r, 'seed'), '42');
  assert.equal(text(r, 'images-per-category'), '25');
  assert.equal(text(r, 'pre-mean'), '[0.485, 0.456, 0.406]');
  assert.equal(text(r, 'pre-std'), '[0.229, 0.224, 0.225]');
  assert.equal(text(r, 'pre-scale'), '1/255');
  assert.equal(text(r, 'pre-size'), '224 x 224');
  assert.equal(text(r, 'decoding'), 'pil');
  assert.equal(text(r, 'controls-permutations'), '3');
  assert.equal(text(r, 'controls-keep-norms'), 'yes');
  assert.equal(text(r, 'engine'), 'onnxruntime-node 1.30.0');
  assert.equal(text(r, 'backend'), 'cpu');
  assert.equal(text(r, 'created'), '2026-11-25T15:00:00.000Z');
  const t = provenanceText(r);
  assert.match(t, new RegExp(`sha256: ${'ab'.repeat(32)}`));
  assert.match(t, /Seed: 42/);
  const j = JSON.parse(provenanceJson(r)) as { model: { sha256: string }; settings: { seed: number; controls: { keepNorms: boolean } }; engine: { backend: string } };
  assert.equal(j.model.sha256, 'ab'.repeat(32));
  assert.equal(j.settings.seed, 42);
  assert.equal(j.settings.controls.keepNorms, true);
  assert.equal(j.engine.backend, 'cpu');
  const random = { ...r, model: { ...r.model, weights: { kind: 'random' as const, seed: 3 } } };
  assert.equal(text(random, 'model-weights'), 'random initialisation, seed 3');
});

test('a schema-1 report: what it does not record says "not recorded", and the JSON copy leaves it out', () => {
  const r = load('sample-v1.sparsity.json');
  for (const id of ['model-weights', 'controls-keep-norms', 'concurrent-passes', 'taps', 'tokens', 'decoding']) {
    assert.equal(text(r, id), NOT_RECORDED, `${id} is not recorded in a schema-1 report`);
  }
  // What it does record is shown as recorded.
  assert.equal(text(r, 'model-sha256'), '0'.repeat(63) + '1');
  assert.equal(text(r, 'seed'), '0');
  assert.equal(text(r, 'controls-nonlinearity'), 'yes');
  assert.match(provenanceText(r), /Keep normalisation: not recorded/);
  assert.match(provenanceText(r), /Weights: not recorded/);
  const j = JSON.parse(provenanceJson(r)) as { model: Record<string, unknown>; settings: { controls: Record<string, unknown> } };
  assert.equal('weights' in j.model, false);
  assert.equal('keepNorms' in j.settings.controls, false);
});

test('missing blocks (engine, timings) say "not recorded"; optional-by-meaning fields are only shown when present', () => {
  const base = load('sample.sparsity.json') as unknown as Record<string, unknown>;
  const { engine: _e, ...noEngine } = base;
  const r = { ...noEngine, settings: { ...(base.settings as object), shard: undefined, labelFile: undefined } } as unknown as SparsityReport;
  assert.equal(text(r, 'engine'), NOT_RECORDED);
  assert.equal(text(r, 'backend'), NOT_RECORDED);
  const shown = shownProvenance(r).flatMap((g) => g.fields.map((f) => f.id));
  assert.ok(!shown.includes('shard') && !shown.includes('label-file'), 'no shard, no label file: not listed');
  assert.ok(shown.includes('model-weights'), 'weights are listed (as not recorded) when absent');
  const sharded = { ...r, settings: { ...r.settings, shard: '2/4' } };
  assert.equal(shownProvenance(sharded).flatMap((g) => g.fields).find((f) => f.id === 'shard')?.text, '2/4');
});
