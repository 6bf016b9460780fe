/**
 * Figure specs for export (issue 15), pure functions of (chart specs, options, theme): one chart or
 * the multi-panel figure (A: PSI by layer with its controls, B: r by layer, C: accuracy vs PSI) as
 * one vega-lite spec (vconcat / hconcat), with a title above and a caption below, in the print
 * theme (webview/theme.ts PRINT_THEME) or the panel's. The chart specs come from webview/specs.ts
 * unchanged; only their size and their titles are set here. Sizes are plot sizes scaled by (sx, sy):
 * figure/render.ts finds the scale that makes the whole figure the chosen size.
 */
import type { SparsityReport } from '../../src/core/report/schema';
import { viewIndex } from '../../src/core/report/indexView';
import type { FigureOptions } from '../../src/shared/protocol';
import { shownScatterLayer } from '../charts/accuracyScatter';
import type { ChartViewState } from '../charts/types';
import { accuracyScatterSpec, psiAccuracyRSpec, psiByLayerSpec, scatterLayers, type VlSpec } from '../specs';
import { PRINT_THEME, vegaConfig, type ChartTheme } from '../theme';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export const PANEL_LETTERS = ['A', 'B', 'C', 'D', 'E', 'F'] as const;

/** Outer padding of every figure (px); render.ts adds what is left of the chosen size to its right and bottom. */
export const FIGURE_PADDING = 6;

/** The theme a figure is drawn in: the print theme, or the panel's theme as shown. */
export function figureTheme(style: FigureOptions['style'], shown: ChartTheme): ChartTheme {
  return style === 'print' ? PRINT_THEME : shown;
}

/** Vega config of a figure: the theme's, always on an opaque background (an exported figure is never transparent). */
export function figureConfig(theme: ChartTheme): Record<string, unknown> {
  return { ...vegaConfig(theme), background: theme.background };
}

export interface Panel {
  /** Shown beside the panel's letter ("PSI by layer"). */
  name: string;
  spec: VlSpec;
}

/**
 * The multi-panel figure's panels that this report has, and the ones it lacks with the reason.
 * `state` is the panel's chart view state (webview/charts/types.ts): panel C shows the layer the
 * panel's accuracy scatter shows.
 */
export function multiPanelPanels(report: SparsityReport, theme: ChartTheme, state: ChartViewState): { panels: Panel[]; missing: string[] } {
  const label = viewIndex(report).label;
  const scatterLayer = shownScatterLayer(report, state);
  const panels: Panel[] = [];
  const missing: string[] = [];
  if (report.passes.length > 0) panels.push({ name: `${label} by layer (trained and controls)`, spec: psiByLayerSpec(report, theme) });
  else missing.push(`${label} by layer: the report has no passes`);
  if ((report.psiAccuracy?.perLayer.length ?? 0) > 0) panels.push({ name: `${label}–accuracy r by layer`, spec: psiAccuracyRSpec(report, theme) });
  else missing.push(`r by layer: the report has no ${label}–accuracy correlation (no accuracy)`);
  if (scatterLayers(report).includes(scatterLayer)) panels.push({ name: `Accuracy vs ${label}`, spec: accuracyScatterSpec(report, theme, scatterLayer) });
  else missing.push(`accuracy vs ${label}: the report has no per-category accuracy`);
  return { panels, missing };
}

export interface PlotSize {
  width: number;
  height: number;
}

/**
 * Sets a chart spec's plot size: a single or layered view takes width/height; a faceted one
 * (small multiples) takes its cell size, `cells` across and down.
 */
export function sized(spec: VlSpec, plot: PlotSize): VlSpec {
  const w = Math.max(20, Math.round(plot.width));
  const h = Math.max(20, Math.round(plot.height));
  if (spec.facet && spec.spec) {
    const { across, down } = facetCells(spec);
    return { ...spec, spec: { ...(spec.spec as VlSpec), width: Math.max(20, Math.round(w / across)), height: Math.max(20, Math.round(h / down)) } };
  }
  if (spec.vconcat || spec.hconcat || spec.concat) return spec; // keeps its own layout
  return { ...spec, width: w, height: h };
}

/** Cells of a faceted spec across and down (row facets: one across; wrapped facets: `columns` across, two rows guessed). */
function facetCells(spec: VlSpec): { across: number; down: number } {
  const facet = spec.facet as Record<string, unknown>;
  if (facet.row && !facet.column) return { across: 1, down: 3 };
  const columns = typeof spec.columns === 'number' ? spec.columns : 3;
  return { across: columns, down: 2 };
}

/** Width in px of `text` at `fontSize` (canvas measureText in the webview; vega's own estimate in node). */
export type TextWidth = (text: string, fontSize: number, font: string, bold?: boolean) => number;

/** vega's estimate where it has no canvas (0.8 em per character): what vega itself lays out in node. */
export const ESTIMATED_TEXT_WIDTH: TextWidth = (text, fontSize) => 0.8 * fontSize * text.length;

/** Words of `text` in lines at most `width` px wide (a word wider than that gets a line of its own); paragraphs kept. */
export function wrapText(text: string, width: number, fontSize: number, measure: (line: string) => number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      const longer = line ? `${line} ${word}` : word;
      if (line && measure(longer) > width) {
        lines.push(line);
        line = word;
      } else line = longer;
    }
    lines.push(line);
  }
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export interface FigureText {
  title: string;
  caption: string;
  /** Measures the caption's lines for wrapping. */
  measure: TextWidth;
}

/**
 * Wraps `body` in the figure's title (top, bold) and caption (bottom, wrapped to `width`), each
 * only when given: the title and caption are vega-lite titles of two nested concats, so the
 * figure stays one vega-lite spec (SVG and PNG alike carry them).
 */
export function withFigureText(body: VlSpec, text: FigureText, theme: ChartTheme, width: number): VlSpec {
  let spec: VlSpec = body;
  const title = text.title.trim();
  if (title) {
    const size = theme.fontSize + 3;
    const lines = wrapText(title, width - 2 * FIGURE_PADDING - 4, size, (l) => text.measure(l, size, theme.font, true));
    spec = { vconcat: [spec], title: { text: lines.length === 1 ? lines[0] : lines, anchor: 'start', fontSize: size, fontWeight: 700, color: theme.foreground, offset: 8 } };
  }
  const caption = text.caption.trim();
  if (caption) {
    const fontSize = theme.fontSize;
    spec = {
      vconcat: [spec],
      title: {
        text: wrapText(caption, width - 2 * FIGURE_PADDING - 4, fontSize, (l) => text.measure(l, fontSize, theme.font)),
        orient: 'bottom',
        anchor: 'start',
        fontSize,
        fontWeight: 'normal',
        color: theme.foreground,
        lineHeight: Math.round(fontSize * 1.35),
        offset: 10,
      },
    };
  }
  return spec;
}

function top(spec: VlSpec, padding: Record<string, number> | number, description: string): VlSpec {
  return { $schema: SCHEMA, description, padding, ...spec };
}

/** Strips the per-chart `$schema` (only the top level has one). */
function bare(spec: VlSpec): VlSpec {
  const { $schema: _schema, ...rest } = spec;
  return rest;
}

/** One chart as a figure: `plot` is its plot area (render.ts scales it to the chosen size). */
export function singleFigureSpec(chart: VlSpec, text: FigureText, theme: ChartTheme, plot: PlotSize, figureWidth: number, padding: Record<string, number> | number = FIGURE_PADDING): VlSpec {
  const body = sized(bare(chart), plot);
  const spec = withFigureText(body, text, theme, figureWidth);
  return top(spec, padding, String(chart.description ?? 'Chart'));
}

/** The panel's letter as its title; its name (and on a second line the chart's own title, e.g. the scatter's layer and r) as the subtitle. */
export function letteredPanel(panel: Panel, letter: string, theme: ChartTheme): VlSpec {
  const own = panel.spec.title as { text?: unknown; subtitle?: unknown } | string | undefined;
  const ownText = typeof own === 'string' ? own : own?.text;
  const ownSub = typeof own === 'string' ? undefined : own?.subtitle;
  // Lines, not one long line: a long subtitle would set the width of a narrow panel.
  const own2 = [ownText, ownSub].filter((x): x is string => typeof x === 'string' && x.length > 0).join(' · ');
  const subtitle = own2 ? [panel.name, own2] : panel.name;
  return {
    ...bare(panel.spec),
    title: {
      text: letter,
      subtitle,
      anchor: 'start',
      fontSize: theme.fontSize + 4,
      fontWeight: 700,
      color: theme.foreground,
      subtitleColor: theme.foreground,
      subtitleFontSize: theme.fontSize,
      subtitlePadding: 2,
      offset: 6,
    },
  };
}

/** Plot sizes of the multi-panel figure's panels at scale (1, 1) for a figure `width` x `height`: A on top, the rest side by side below. */
export function multiPanelPlots(count: number, width: number, height: number): PlotSize[] {
  const below = Math.max(0, count - 1);
  const rowH = below > 0 ? height / 2 : height;
  const plots: PlotSize[] = [{ width: width - 70, height: rowH - 90 }];
  for (let i = 0; i < below; i++) plots.push({ width: (width - 70 * below) / below, height: rowH - 90 });
  return plots;
}

/** The multi-panel figure: panel A across the top, the others in a row below; lettered A, B, C. */
export function multiPanelSpec(panels: Panel[], text: FigureText, theme: ChartTheme, plots: PlotSize[], figureWidth: number, padding: Record<string, number> | number = FIGURE_PADDING): VlSpec {
  if (panels.length === 0) throw new Error('The report has none of the multi-panel figure\'s charts.');
  const lettered = panels.map((p, i) => sized(letteredPanel(p, PANEL_LETTERS[i], theme), plots[i]));
  // Each panel keeps its own colours and legend (the series of A and the significance of B are different scales).
  const channels = ['color', 'fill', 'stroke', 'shape', 'strokeDash', 'opacity', 'size'];
  const independent = Object.fromEntries(channels.map((c) => [c, 'independent']));
  const resolve = { scale: independent, legend: independent };
  const body: VlSpec = lettered.length === 1 ? { vconcat: lettered } : { vconcat: [lettered[0], { hconcat: lettered.slice(1), spacing: 24, resolve }], spacing: 18, resolve };
  const spec = withFigureText(body, text, theme, figureWidth);
  return top(spec, padding, `Multi-panel figure: ${panels.map((p, i) => `${PANEL_LETTERS[i]} ${p.name}`).join('; ')}.`);
}

/** Plot sizes scaled by (sx, sy). */
export function scalePlots(plots: PlotSize[], sx: number, sy: number): PlotSize[] {
  return plots.map((p) => ({ width: p.width * sx, height: p.height * sy }));
}
