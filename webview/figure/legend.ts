/**
 * The legend of a small figure (issue 15): a chart's legend as the panel lays it out (two columns
 * of 20 px glyphs, labels up to the chart's width) can be wider than a single-column figure, and
 * then the figure's plot shrinks to make room for it, or the figure cannot be made at all. Below
 * `COMPACT_LEGEND_BELOW_PX` of plot width the figure lays the same entries out again, as paper
 * figures do: below the plot, in as many columns as fit the plot's width, with smaller glyphs
 * (the same dash in px as the marks) and labels. The entries come from the chart's own legend
 * layer (specs.ts legendLayer), so they stay those of the marks.
 */
import { legendLayer, LEGEND_LAYER_NAME, type LegendEntry, type LegendLayout, type VlSpec } from '../specs';
import type { ChartTheme } from '../theme';

/**
 * A plot narrower than this (layout px at scale 1: the figure's width less the axes' allowance)
 * gets the compact legend. 420 px: the panel's two-column legend of the PSI-by-layer chart is
 * about 400 px wide, so a figure under 130 mm (491 px) would be narrower than its legend.
 */
export const COMPACT_LEGEND_BELOW_PX = 420;

/** The small figure's legend: 14 px glyphs, 8 px labels (6 pt; journals ask for at least 5 pt) in every style, tight rows. */
export function compactLegendLayout(theme: ChartTheme): LegendLayout {
  return { symbolSize: 196, labelFontSize: Math.max(7, Math.min(8, theme.fontSize - 3)), columnPadding: 8, rowPadding: 2, fitColumns: true };
}

/** The legend entries a chart's legend layer carries (empty when the chart has none). */
export function legendEntriesOf(spec: VlSpec): LegendEntry[] {
  const layer = (spec.layer as VlSpec[] | undefined)?.find((l) => l.name === LEGEND_LAYER_NAME);
  const rows = (layer?.data as { values?: { entry?: LegendEntry }[] } | undefined)?.values ?? [];
  return rows.map((r) => r.entry).filter((e): e is LegendEntry => !!e);
}

/**
 * `spec` with its legend laid out for a plot `plotWidth` px wide: unchanged from `plotWidth`
 * `COMPACT_LEGEND_BELOW_PX` up (and for charts without a legend layer), else the compact legend.
 * Decide from the plot's width at scale 1, not the fitted scale, so the layout does not change
 * while render.ts fits the figure to its size.
 */
export function legendForPlotWidth(spec: VlSpec, theme: ChartTheme, plotWidth: number): VlSpec {
  if (plotWidth >= COMPACT_LEGEND_BELOW_PX) return spec;
  const entries = legendEntriesOf(spec);
  if (entries.length === 0) return spec;
  const layers = spec.layer as VlSpec[];
  return { ...spec, layer: layers.map((l) => (l.name === LEGEND_LAYER_NAME ? legendLayer(entries, theme, plotWidth, compactLegendLayout(theme)) : l)) };
}
