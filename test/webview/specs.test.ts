/**
 * Chart spec builders of the report UI (webview/specs.ts; its tables are test/core/report/tables.test.ts),
 * on the hand-built report test/fixtures/report/sample.sparsity.json. Specs are compiled with
 * vega-lite and rendered headless by vega in CSP-safe mode (AST + vega-interpreter, as in the
 * webview) to SVG, whose marks are counted.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { SparsityReport } from '../../src/core/report/schema';
import {
  accuracyScatterData,
  accuracyScatterSpec,
  defaultScatterLayer,
  jitter,
  psiAccuracyRData,
  psiAccuracyRSpec,
  psiByLayerData,
  psiByLayerSpec,
  psiDistributionData,
  psiDistributionSpec,
  trainedMedianLabel,
  type VlSpec,
} from '../../webview/specs';
import { DARK_THEME, LIGHT_THEME, themeKindOf, vegaConfig, type ChartTheme } from '../../webview/theme';

const report: SparsityReport = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/report/sample.sparsity.json'), 'utf8'));
const HC: ChartTheme = { ...DARK_THEME, kind: 'high-contrast', foreground: '#ffffff', grid: '#6fc3df' };
const LAYERS = ['conv1', 'conv2', 'conv3', 'fc1', 'fc2'];

type Vl = { compile(spec: object, o?: object): { spec: object } };
type Vega = { parse(s: object, c?: object, o?: object): unknown; View: new (r: unknown, o: object) => { toSVG(): Promise<string>; finalize(): void } };
let vl: Vl;
let vega: Vega;
let interpreter: unknown;

/** Renders a Vega-Lite spec to SVG exactly as the webview does (AST mode, no eval). */
async function renderSvg(spec: VlSpec, theme: ChartTheme = LIGHT_THEME): Promise<string> {
  const vg = vl.compile(spec, { config: vegaConfig(theme) }).spec;
  const view = new vega.View(vega.parse(vg, undefined, { ast: true }), { renderer: 'none', expr: interpreter, logLevel: 0 });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
function count(svg: string, re: RegExp): number {
  return (svg.match(re) ?? []).length;
}
/** `<path ... role="graphics-symbol">` items inside the mark group with this class. */
function marksIn(svg: string, cls: string): string[] {
  const start = svg.indexOf(`class="mark-`);
  assert.ok(start >= 0);
  const re = new RegExp(`<g class="mark-[a-z]+ role-mark ${cls}"[^>]*>(.*?)</g>`, 's');
  const m = svg.match(re);
  if (!m) return [];
  return m[1].match(/<path[^>]*role="graphics-symbol"[^>]*>/g) ?? [];
}

before(async () => {
  vl = (await import('vega-lite')) as unknown as Vl;
  vega = (await import('vega')) as unknown as Vega;
  interpreter = (await import('vega-interpreter')).expressionInterpreter;
});

describe('PSI by layer', () => {
  it('takes trained medians/quartiles, the permuted spread and the no-ReLU medians from the report', () => {
    const d = psiByLayerData(report);
    assert.deepEqual(d.layers, LAYERS);
    const trained = report.passes[0];
    d.trained.forEach((t, i) => {
      assert.equal(t.median, trained.layers[i].summary.median);
      assert.equal(t.q1, trained.layers[i].summary.q1);
      assert.equal(t.q3, trained.layers[i].summary.q3);
      assert.equal(t.aria, trainedMedianLabel(LAYERS[i], t.median));
    });
    assert.deepEqual(d.permuted.map((p) => p.median), report.controls!.permutedSpread!.median);
    assert.deepEqual(d.permuted.map((p) => p.max), report.controls!.permutedSpread!.max);
    assert.ok(d.permuted.every((p) => p.models === 3));
    const norelu = report.passes.find((p) => p.kind === 'norelu')!;
    assert.deepEqual(d.norelu.map((p) => p.median), norelu.layers.map((l) => l.summary.median));
    assert.equal(d.reference.psi, 0.36);
  });

  it('computes the permuted spread from the passes when controls.permutedSpread is absent', () => {
    const r: SparsityReport = { ...report, controls: undefined };
    const d = psiByLayerData(r);
    const perm = report.passes.filter((p) => p.kind === 'permuted');
    d.permuted.forEach((p, i) => {
      const meds = perm.map((x) => x.layers[i].summary.median).sort((a, b) => a - b);
      assert.equal(p.median, meds[1]);
      assert.equal(p.min, meds[0]);
      assert.equal(p.max, meds[2]);
    });
  });

  it('renders one trained-median symbol per layer with a stable class and aria-label, plus controls and reference', async () => {
    const svg = await renderSvg(psiByLayerSpec(report, LIGHT_THEME));
    const medians = marksIn(svg, 'trainedMedian_marks');
    assert.equal(medians.length, LAYERS.length);
    for (const l of LAYERS) {
      const med = report.passes[0].layers.find((x) => x.name === l)!.summary.median;
      assert.ok(svg.includes(`aria-label="${trainedMedianLabel(l, med)}"`), l);
    }
    assert.equal(count(svg, /role-mark [^"]*marks"[^>]*aria-roledescription="area mark container"/g), 2, 'trained quartile band + permuted range');
    assert.equal(count(svg, /mark-rule role-mark reference_marks/g), 1, 'reference line');
    assert.ok(svg.includes('Macaque extrastriate cortex (0.36)'));
    assert.ok(svg.includes('permuted weights') && svg.includes('no ReLU'), 'legend names the controls');
  });

  it('leaves out control series the report does not have', async () => {
    const trainedOnly: SparsityReport = { ...report, passes: [report.passes[0]], controls: undefined };
    const spec = psiByLayerSpec(trainedOnly, LIGHT_THEME);
    const svg = await renderSvg(spec);
    assert.equal(marksIn(svg, 'trainedMedian_marks').length, LAYERS.length);
    assert.ok(!svg.includes('permuted weights'));
    assert.ok(!svg.includes('no ReLU'));
  });

  it('uses the theme colours, thicker marks in high contrast', async () => {
    const light = JSON.stringify(psiByLayerSpec(report, LIGHT_THEME));
    const hc = JSON.stringify(psiByLayerSpec(report, HC));
    assert.ok(light.includes(LIGHT_THEME.trained) && light.includes(LIGHT_THEME.reference));
    assert.ok(hc.includes(HC.foreground));
    assert.equal((vegaConfig(HC).line as { strokeWidth: number }).strokeWidth, 3);
    assert.equal((vegaConfig(LIGHT_THEME).line as { strokeWidth: number }).strokeWidth, 2);
    const svg = await renderSvg(psiByLayerSpec(report, HC), HC);
    assert.equal(marksIn(svg, 'trainedMedian_marks').length, LAYERS.length);
    assert.ok(svg.includes(`stroke="${HC.foreground}"`));
  });
});

describe('PSI distribution', () => {
  it('has one point per category and layer with deterministic jitter', async () => {
    const rows = psiDistributionData(report);
    assert.equal(rows.length, report.categories.length * LAYERS.length);
    assert.deepEqual(psiDistributionData(report), rows, 'deterministic');
    assert.ok(rows.every((r) => r.jitter >= -1 && r.jitter <= 1));
    assert.notEqual(jitter(1), jitter(2));
    assert.equal(rows[6].category, 'cat\'s <eye> & "friends"');
    assert.equal(rows[0].category, 'n01440764 (tench)');
    const svg = await renderSvg(psiDistributionSpec(report, LIGHT_THEME));
    assert.equal(marksIn(svg, 'categoryPoints_marks').length, rows.length);
    assert.ok(!svg.includes('<eye>'), 'category names are escaped in SVG');
  });

  it('shows another pass on request', () => {
    const rows = psiDistributionData(report, 'norelu');
    const norelu = report.passes.find((p) => p.id === 'norelu')!;
    assert.equal(rows[0].psi, norelu.layers[0].psi[0]);
    assert.ok(JSON.stringify(psiDistributionSpec(report, LIGHT_THEME, 'norelu')).includes(LIGHT_THEME.norelu));
  });
});

describe('PSI–accuracy r per layer', () => {
  it('marks significance with stars, in layer order', async () => {
    const rows = psiAccuracyRData(report);
    assert.deepEqual(rows.map((r) => r.layer), LAYERS);
    const fc2 = rows.find((r) => r.layer === 'fc2')!;
    assert.ok(fc2.p < 0.001);
    assert.equal(fc2.stars, '***');
    assert.equal(fc2.significance, 'p < 0.05');
    assert.ok(rows.filter((r) => r.layer !== 'fc2').every((r) => r.stars === '' && r.significance === 'n.s.'));
    const svg = await renderSvg(psiAccuracyRSpec(report, LIGHT_THEME));
    assert.equal(marksIn(svg, 'rBars_marks').length, LAYERS.length);
    assert.equal(count(svg, />\*\*\*</g), 1);
  });

  it('has nothing to draw without PSI–accuracy statistics', () => {
    assert.deepEqual(psiAccuracyRData({ ...report, psiAccuracy: undefined }), []);
  });
});

describe('accuracy vs PSI scatter', () => {
  it('defaults to the decoder layer and fits accuracy on PSI by least squares', async () => {
    assert.equal(defaultScatterLayer(report), 'fc2');
    const d = accuracyScatterData(report, 'fc2');
    assert.equal(d.rows.length, report.categories.length);
    const xs = d.rows.map((r) => r.psi);
    const ys = d.rows.map((r) => r.accuracy);
    const n = xs.length;
    const mx = xs.reduce((a, b) => a + b) / n;
    const my = ys.reduce((a, b) => a + b) / n;
    // Normal equations: residuals sum to zero and are orthogonal to x.
    const res = xs.map((x, i) => ys[i] - (d.intercept! + d.slope! * x));
    assert.ok(Math.abs(res.reduce((a, b) => a + b)) < 1e-9);
    assert.ok(Math.abs(res.reduce((a, r, i) => a + r * (xs[i] - mx), 0)) < 1e-9);
    assert.ok(Math.abs(d.intercept! + d.slope! * mx - my) < 1e-12);
    assert.ok(d.slope! > 0, 'fc2 r is positive in the fixture');
    assert.equal(d.r, report.psiAccuracy!.perLayer.find((c) => c.layer === 'fc2')!.r);
    assert.deepEqual(d.fit!.map((p) => p.psi), [Math.min(...xs), Math.max(...xs)]);
    const svg = await renderSvg(accuracyScatterSpec(report, LIGHT_THEME, 'fc2'));
    assert.equal(marksIn(svg, 'categoryScatter_marks').length, report.categories.length);
    assert.equal(count(svg, /role-mark fitLine_marks/g), 1);
    assert.ok(svg.includes('r = 0.960'));
  });

  it('is absent without accuracy', () => {
    assert.equal(defaultScatterLayer({ ...report, accuracy: undefined }), undefined);
  });
});

describe('all charts render in CSP-safe mode for every theme kind', () => {
  it('compiles and renders without eval', async () => {
    for (const t of [LIGHT_THEME, DARK_THEME, HC]) {
      for (const spec of [psiByLayerSpec(report, t), psiDistributionSpec(report, t), psiAccuracyRSpec(report, t), accuracyScatterSpec(report, t, 'conv1')]) {
        const svg = await renderSvg(spec, t);
        assert.ok(svg.startsWith('<svg'), 'svg output');
      }
    }
  });

  it('reads the theme kind from VS Code body classes', () => {
    const cl = (...c: string[]) => ({ contains: (x: string) => c.includes(x) });
    assert.equal(themeKindOf(cl('vscode-light')), 'light');
    assert.equal(themeKindOf(cl('vscode-dark')), 'dark');
    assert.equal(themeKindOf(cl('vscode-high-contrast')), 'high-contrast');
    assert.equal(themeKindOf(cl('vscode-high-contrast', 'vscode-high-contrast-light')), 'high-contrast-light');
    assert.equal(themeKindOf(cl(), true), 'dark');
  });
});
