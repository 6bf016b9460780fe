/**
 * From the dialog's options to the exported data (issue 15): the figure spec (figure/spec.ts) in
 * the chosen style, fitted to the chosen size and drawn offscreen (figure/render.ts). The panel's
 * own charts and their views are never used or changed.
 */
import type { SparsityReport } from '../../src/core/report/schema';
import type { FigureOptions } from '../../src/shared/protocol';
import type { ChartViewState } from '../charts/types';
import type { VlSpec } from '../specs';
import type { ChartTheme } from '../theme';
import { figureSize } from './options';
import { legendForPlotWidth } from './legend';
import { figureData, fitFigure, type FigureBuilder, type VegaKit } from './render';
import { figureConfig, figureTheme, multiPanelPanels, multiPanelPlots, multiPanelSpec, scalePlots, singleFigureSpec, type TextWidth } from './spec';

export interface FigureRequest {
  options: FigureOptions;
  /** The report as the panel shows it (through the chosen index). */
  report: SparsityReport;
  /** The panel's theme (used by the "as shown" style). */
  shownTheme: ChartTheme;
  /** The single chart's spec in a theme (for options.figure 'chart'). */
  chartSpec?: (t: ChartTheme) => VlSpec;
  /** The panel's chart view state (its controls' choices): the multi-panel figure's panels show what the panel's charts show. */
  chartState: ChartViewState;
  kit: VegaKit;
  measure: TextWidth;
}

/** The builder of the chosen figure (a function of the plot scale and padding), with its target size. */
export function figureBuilder(q: FigureRequest): { build: FigureBuilder; config: Record<string, unknown>; width: number; height: number } {
  const o = q.options;
  const theme = figureTheme(o.style, q.shownTheme);
  const size = figureSize(o);
  const text = { title: o.title, caption: o.caption, measure: q.measure };
  let build: FigureBuilder;
  if (o.figure === 'multi-panel') {
    const shown = multiPanelPanels(q.report, theme, q.chartState).panels;
    const plots = multiPanelPlots(shown.length, size.width, size.height);
    // A narrow panel gets the compact legend (figure/legend.ts), decided at scale 1.
    const panels = shown.map((p, i) => ({ ...p, spec: legendForPlotWidth(p.spec, theme, plots[i].width) }));
    build = (sx, sy, pad) => multiPanelSpec(panels, text, theme, scalePlots(plots, sx, sy), size.width, pad);
  } else {
    if (!q.chartSpec) throw new Error('No chart to export.');
    const plot = { width: Math.max(40, size.width - 80), height: Math.max(40, size.height - 90) };
    // A small figure gets the compact legend (figure/legend.ts), decided at scale 1.
    const chart = legendForPlotWidth(q.chartSpec(theme), theme, plot.width);
    build = (sx, sy, pad) => singleFigureSpec(chart, text, theme, { width: plot.width * sx, height: plot.height * sy }, size.width, pad);
  }
  return { build, config: figureConfig(theme), width: size.width, height: size.height };
}

/** The figure's SVG document or PNG data URL. */
export async function renderFigure(q: FigureRequest): Promise<string> {
  const { build, config, width, height } = figureBuilder(q);
  const fitted = await fitFigure(q.kit, build, { width, height }, config);
  return figureData(q.kit, fitted.spec, config, q.options.format, q.options.dpi);
}
