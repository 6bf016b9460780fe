/**
 * Chart specs of the comparison UI (webview/compareSpecs.ts) on a comparison of two synthetic
 * reports, rendered headless by vega in CSP-safe mode (AST + interpreter) to SVG, marks counted.
 */
import assert from 'node:assert/strict';
import { headlessView, nodeVegaKit } from './figureKit';
import type { VegaKit } from '../../webview/figure/render';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { buildComparison } from '../../src/core/compare/build';
import { parseReport } from '../../src/core/report/parse';
import { depthData, depthSpec, pairedDiffSpec, pairedScatterSpec } from '../../webview/compareSpecs';
import type { VlSpec } from '../../webview/specs';
import { LIGHT_THEME, vegaConfig } from '../../webview/theme';

let kit: VegaKit;
before(async () => {
  kit = await nodeVegaKit();
});

async function renderSvg(spec: VlSpec): Promise<string> {
  const view = headlessView(kit, spec, vegaConfig(LIGHT_THEME));
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
function marksIn(svg: string, cls: string): string[] {
  const m = svg.match(new RegExp(`<g class="mark-[a-z]+ role-mark ${cls}"[^>]*>(.*?)</g>`, 's'));
  return m ? m[1].match(/<path[^>]*role="graphics-symbol"[^>]*>/g) ?? [] : [];
}

const sample = parseReport(JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/report/sample.sparsity.json'), 'utf8')), 'sample');
const other = { ...sample, model: { ...sample.model, path: '/models/other.onnx' }, passes: [{ ...sample.passes[0], layers: sample.passes[0].layers.slice(0, 3) }, ...sample.passes.slice(1)] };

test('depth chart: one median mark per run, pass and layer, labelled with the report medians; controls on request', async () => {
  const c = buildComparison([{ report: sample, file: 'a' }, { report: other, file: 'b' }], { passes: 'all', resamples: 200 });
  const L = sample.passes[0].layers.length;
  const trainedOnly = depthData(c);
  assert.equal(trainedOnly.length, L + 3);
  const marks = marksIn(await renderSvg(depthSpec(c, LIGHT_THEME)), 'runMedian_marks');
  assert.equal(marks.length, L + 3);
  const l0 = sample.passes[0].layers[0];
  assert.ok(marks.some((m) => m.includes(`aria-label="A trained median PSI, layer ${l0.name}: ${l0.summary.median.toFixed(3)}"`)), marks[0]);
  const all = marksIn(await renderSvg(depthSpec(c, LIGHT_THEME, 'all')), 'runMedian_marks');
  assert.equal(all.length, c.runs.reduce((n, r) => n + r.passes.reduce((k, p) => k + p.layers.length, 0), 0));
  assert.ok(all.length > marks.length);
});

test('paired charts: a bar per matched layer, a point per category', async () => {
  const c = buildComparison([{ report: sample, file: 'a' }, { report: other, file: 'b' }], { resamples: 200 });
  assert.equal(c.paired.length, 1);
  const bars = (await renderSvg(pairedDiffSpec(c, 0, LIGHT_THEME))).match(/role="graphics-symbol"/g) ?? [];
  assert.ok(bars.length >= sample.passes[0].layers.length, `bars ${bars.length}`);
  const svg = await renderSvg(pairedScatterSpec(c, 0, LIGHT_THEME));
  assert.match(svg, /Spearman ρ = /);
  assert.equal((svg.match(/<path[^>]*role="graphics-symbol"[^>]*aria-roledescription="point"/g) ?? []).length, sample.categories.length);
});
