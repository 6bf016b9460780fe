/**
 * Figure export (webview/figure/, issue 15): the size and DPI arithmetic, the figure specs (print
 * colours on white, panel lettering, title and caption), and the fit to the chosen size, rendered
 * headless by vega in CSP-safe mode (as the webview draws them offscreen) from the sample report.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { SparsityReport } from '../../src/core/report/schema';
import { sanitizeFigureOptions, type FigureOptions } from '../../src/shared/protocol';
import { renderFigure, figureBuilder } from '../../webview/figure/export';
import { convertUnit, DEFAULT_FIGURE_OPTIONS, describeSize, figureOptionErrors, figureSize, layoutPx, pngPixels, pngScale } from '../../webview/figure/options';
import { fitFigure, svgSize, withOffscreenView, type VegaKit } from '../../webview/figure/render';
import { ESTIMATED_TEXT_WIDTH, figureConfig, figureTheme, multiPanelPanels, multiPanelPlots, multiPanelSpec, PANEL_LETTERS, scalePlots, wrapText } from '../../webview/figure/spec';
import { CHART_MODULES, type ChartViewState } from '../../webview/charts';
import { accuracyScatterSpec, defaultScatterLayer, psiAccuracyRSpec, psiByLayerSpec } from '../../webview/specs';
import { DARK_THEME, PRINT_THEME } from '../../webview/theme';
import { nodeVegaKit } from './figureKit';

const report: SparsityReport = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/report/sample.sparsity.json'), 'utf8'));
/** The panel's chart view state with nothing chosen: the scatter shows its default layer (the decoder layer, fc2). */
const chartState: ChartViewState = { persisted: {}, memory: new Map() };
let kit: VegaKit;
before(async () => {
  kit = await nodeVegaKit();
});

const opts = (o: Partial<FigureOptions>): FigureOptions => ({ ...DEFAULT_FIGURE_OPTIONS, ...o });

/** Every title text (and subtitle) of a compiled vega spec, in order. */
function titleTexts(vg: unknown): string[] {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (!x || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    if (o.title && typeof o.title === 'object') {
      const t = o.title as Record<string, unknown>;
      for (const k of ['text', 'subtitle']) {
        const v = t[k];
        if (typeof v === 'string') out.push(v);
        else if (Array.isArray(v)) out.push(...v.filter((s): s is string => typeof s === 'string'));
        else if (v && typeof v === 'object' && typeof (v as { signal?: unknown }).signal === 'string') out.push((v as { signal: string }).signal);
      }
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(vg);
  return out;
}

describe('figure size and DPI', () => {
  it('turns mm into 96-per-inch layout px and a PNG at D dpi into scale D / 96', () => {
    assert.equal(layoutPx(25.4, 'mm'), 96);
    assert.equal(layoutPx(85, 'mm'), 321); // 85 / 25.4 * 96 = 321.26
    assert.equal(layoutPx(640, 'px'), 640);
    assert.equal(pngScale(300), 3.125);
    assert.equal(pngPixels(321, 300), 1003); // 321 * 3.125 = 1003.1
    const s = figureSize(opts({ unit: 'mm', width: 180, height: 150, dpi: 300 }));
    assert.deepEqual(s, { width: 680, height: 567, pngWidth: 2125, pngHeight: 1771 });
    assert.equal(convertUnit(180, 'mm', 'px'), 680);
    assert.equal(convertUnit(680, 'px', 'mm'), 180);
    assert.match(describeSize(opts({ unit: 'mm', width: 180, height: 150, dpi: 300 })), /180 x 150 mm; PNG 2125 x 1771 pixels at 300 dpi/);
  });

  it('names the field and the range of a bad option, and refuses a PNG larger than a canvas can hold', () => {
    assert.deepEqual(figureOptionErrors(DEFAULT_FIGURE_OPTIONS), []);
    assert.match(figureOptionErrors(opts({ width: 5 })).join(' '), /Width must be from 30 to 1000 mm/);
    assert.match(figureOptionErrors(opts({ unit: 'px', height: 99999 })).join(' '), /Height must be from 120 to 4000 px/);
    assert.match(figureOptionErrors(opts({ dpi: 72.5 })).join(' '), /DPI must be a whole number from 50 to 1200/);
    assert.match(figureOptionErrors(opts({ width: 1000, height: 800, dpi: 1200 })).join(' '), /longest side can be at most 16000/);
    assert.deepEqual(figureOptionErrors(opts({ width: 1000, height: 800, dpi: 1200, format: 'svg' })), [], 'an SVG has no pixel limit');
  });

  it('restores remembered options from webview state only when every field is valid', () => {
    assert.deepEqual(sanitizeFigureOptions({ ...DEFAULT_FIGURE_OPTIONS }), DEFAULT_FIGURE_OPTIONS);
    assert.equal(sanitizeFigureOptions({ ...DEFAULT_FIGURE_OPTIONS, dpi: 5 }), null);
    assert.equal(sanitizeFigureOptions({ ...DEFAULT_FIGURE_OPTIONS, style: 'neon' }), null);
    assert.equal(sanitizeFigureOptions({ ...DEFAULT_FIGURE_OPTIONS, unit: 'px', width: 160 }), null, 'a height of 100 px is under the 120 px minimum');
    assert.equal(sanitizeFigureOptions({ ...DEFAULT_FIGURE_OPTIONS, title: 'x'.repeat(5000) })!.title.length, 300);
  });
});

describe('figure specs', () => {
  it('print style: white background and the print theme whatever the panel theme is', () => {
    const t = figureTheme('print', DARK_THEME);
    assert.equal(t, PRINT_THEME);
    assert.equal(figureConfig(t).background, '#ffffff');
    // "as shown" keeps the panel's theme but is never transparent
    assert.equal(figureConfig(figureTheme('shown', DARK_THEME)).background, DARK_THEME.background);
  });

  it('wraps a caption into lines that fit the width', () => {
    const lines = wrapText('one two three four five six seven eight nine ten', 100, 10, (l) => l.length * 8);
    assert.ok(lines.length > 1);
    for (const l of lines) assert.ok(l.length * 8 <= 100 || !l.includes(' '), `"${l}" fits in 100 px`);
    assert.equal(lines.join(' '), 'one two three four five six seven eight nine ten');
    assert.deepEqual(wrapText('a\nb', 100, 10, (l) => l.length), ['a', 'b'], 'paragraphs are kept');
  });

  it('letters the multi-panel figure A, B, C (PSI by layer, r by layer, accuracy vs PSI) and adds title and caption', () => {
    const { panels, missing } = multiPanelPanels(report, PRINT_THEME, chartState);
    assert.deepEqual(missing, []);
    assert.equal(panels.length, 3);
    const spec = multiPanelSpec(panels, { title: 'Figure 2', caption: 'Sparseness by layer.', measure: ESTIMATED_TEXT_WIDTH }, PRINT_THEME, multiPanelPlots(3, 900, 700), 900);
    const titles = titleTexts(spec);
    assert.equal(titles[0], 'Sparseness by layer.', 'caption (outermost title, at the bottom)');
    assert.equal((spec.title as { orient?: string }).orient, 'bottom');
    assert.equal(titles[1], 'Figure 2');
    const letters = titles.filter((t) => (PANEL_LETTERS as readonly string[]).includes(t));
    assert.deepEqual(letters, ['A', 'B', 'C']);
    assert.ok(titles.some((t) => /^PSI by layer/.test(t)) && titles.some((t) => /r by layer/.test(t)) && titles.some((t) => /^Accuracy vs PSI/.test(t)));
  });

  it('panel C shows the layer the panel\'s accuracy scatter shows: the chart view state\'s choice', async () => {
    assert.equal(defaultScatterLayer(report), 'fc2');
    const chosen: ChartViewState = { persisted: { selectedLayer: 'conv2' }, memory: new Map() };
    const byDefault = multiPanelPanels(report, PRINT_THEME, chartState).panels[2];
    const byChoice = multiPanelPanels(report, PRINT_THEME, chosen).panels[2];
    assert.deepEqual(byDefault.spec, accuracyScatterSpec(report, PRINT_THEME, 'fc2'));
    assert.deepEqual(byChoice.spec, accuracyScatterSpec(report, PRINT_THEME, 'conv2'));
    // The same spec the panel's scatter card draws for that state.
    const scatterCard = CHART_MODULES.find((m) => m.id === 'accuracy-scatter')!;
    assert.deepEqual(byChoice.spec, scatterCard.spec(report, PRINT_THEME, report, chosen));
    // A saved layer this report lacks (another model's): the default, as the panel's scatter shows.
    const stale: ChartViewState = { persisted: { selectedLayer: 'layer4.2' }, memory: new Map() };
    assert.deepEqual(multiPanelPanels(report, PRINT_THEME, stale).panels[2].spec, byDefault.spec);
    // And the exported figure draws it (the scatter's x axis names its layer).
    const o = opts({ figure: 'multi-panel', unit: 'px', width: 1100, height: 900, format: 'svg' });
    const svg = await renderFigure({ options: o, report, shownTheme: DARK_THEME, chartState: chosen, kit, measure: ESTIMATED_TEXT_WIDTH });
    assert.ok(svg.includes('PSI (conv2)'), 'panel C on conv2');
    assert.ok(!svg.includes('PSI (fc2)'), 'not on the default layer');
  });

  it('says which panels a report without accuracy lacks, and letters the rest', () => {
    const noAcc: SparsityReport = { ...report, accuracy: undefined, psiAccuracy: undefined } as unknown as SparsityReport;
    const { panels, missing } = multiPanelPanels(noAcc, PRINT_THEME, chartState);
    assert.equal(panels.length, 1);
    assert.equal(missing.length, 2);
    assert.match(missing.join(' '), /no PSI–accuracy correlation/);
  });

  it('the print figure draws black text on a white background rect (no theme colour in it)', async () => {
    const { panels } = multiPanelPanels(report, PRINT_THEME, chartState);
    const spec = multiPanelSpec(panels, { title: 'T', caption: '', measure: ESTIMATED_TEXT_WIDTH }, PRINT_THEME, multiPanelPlots(3, 1000, 800), 1000);
    const svg = await withOffscreenView(kit, spec, figureConfig(PRINT_THEME), (v) => v.toSVG());
    assert.match(svg, /<rect[^>]*class="background"[^>]*style="fill: #ffffff;?"|<rect[^>]*fill="#ffffff"/, 'a white background rect');
    assert.ok(!svg.includes(DARK_THEME.background) && !svg.includes(DARK_THEME.foreground), 'no dark-theme colours');
    const textFills = [...svg.matchAll(/<text[^>]*fill="([^"]+)"/g)].map((m) => m[1].toLowerCase());
    assert.ok(textFills.length > 10);
    for (const f of textFills) assert.ok(['#000000', '#000', '#404040', 'black'].includes(f), `text fill ${f} is black or the print muted grey`);
    const vg = kit.compile(spec, { config: figureConfig(PRINT_THEME) }).spec;
    assert.ok(titleTexts(vg).filter((t) => ['"A"', 'A', '"B"', 'B', '"C"', 'C'].includes(t)).length >= 3, 'compiled vega keeps the letters');
  });
});

describe('fitting a figure to the chosen size', () => {
  it('makes the multi-panel figure exactly the chosen size (measured, then padded)', async () => {
    const o = opts({ figure: 'multi-panel', unit: 'px', width: 1100, height: 900, format: 'svg', title: 'Figure 1', caption: 'A: PSI by layer. B: r by layer. C: accuracy vs PSI.' });
    const svg = await renderFigure({ options: o, report, shownTheme: DARK_THEME, chartState, kit, measure: ESTIMATED_TEXT_WIDTH });
    assert.deepEqual(svgSize(svg), { width: 1100, height: 900 });
    assert.ok(svg.includes('Figure 1') && svg.includes('C: accuracy vs PSI.'));
  });

  it('makes one chart the chosen size in mm, and a different size gives a different figure', async () => {
    for (const [w, h] of [[300, 120], [260, 150]] as const) {
      const o = opts({ unit: 'mm', width: w, height: h, format: 'svg' });
      const svg = await renderFigure({ options: o, report, shownTheme: DARK_THEME, chartSpec: (t) => psiAccuracyRSpec(report, t), chartState, kit, measure: ESTIMATED_TEXT_WIDTH });
      assert.deepEqual(svgSize(svg), { width: layoutPx(w, 'mm'), height: layoutPx(h, 'mm') });
    }
  });

  it('says the smallest size it reached when axes and legends alone do not fit', async () => {
    const o = opts({ unit: 'px', width: 130, height: 130, format: 'svg' });
    const { build, config, width, height } = figureBuilder({ options: o, report, shownTheme: DARK_THEME, chartSpec: (t) => psiByLayerSpec(report, t), chartState, kit, measure: ESTIMATED_TEXT_WIDTH });
    await assert.rejects(fitFigure(kit, build, { width, height }, config), /does not fit in 130 x 130 px: its axes, legends and text alone take about \d+ x \d+ px/);
  });

  it('the multi-panel plots scale with (sx, sy)', () => {
    const p = multiPanelPlots(3, 1000, 800);
    const q = scalePlots(p, 2, 0.5);
    assert.equal(q[1].width, p[1].width * 2);
    assert.equal(q[2].height, p[2].height * 0.5);
  });
});
