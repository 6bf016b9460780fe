/**
 * The per-category drill-down's data and chart (issue 15), pure (no DOM): one category's index
 * value per trained layer against the median (and quartiles) of all categories, its accuracy, and
 * the skipped files of its folder. webview/drilldown.ts draws it; test/webview/drilldown.test.ts
 * checks the numbers. Not a ChartModule: it is drawn in the detail view, not the chart grid.
 *
 * Stable hooks for end-to-end tests (SVG renderer): the category's points are the `point` marks of
 * the unit named `categoryValue` (class `categoryValue_marks`), aria-label
 * `<category> <index>, layer <name>: <value>`; the medians those of `layerMedian`.
 */
import { fmt } from '../../src/core/report/format';
import type { SparsityReport } from '../../src/core/report/schema';
import { trainedPass } from '../../src/core/report/tables';
import { viewIndex } from '../../src/core/report/indexView';
import { isHighContrast, type ChartTheme } from '../theme';
import type { VlSpec } from '../specs';

export interface CategoryDetailLayer {
  layer: string;
  /** 1-based depth index. */
  index: number;
  /** The category's value of the shown index; null when it could not be computed (NaN in the report). */
  value: number | null;
  /** Of all categories (the layer's summary). */
  median: number;
  q1: number;
  q3: number;
}

export interface CategoryAccuracy {
  /** Which accuracy the report's statistics use. */
  method: 'model' | 'decoder';
  /** This category's accuracy (null: not computable), and the overall one. */
  value: number | null;
  overall: number;
  /** Model top-1 / top-5 of this category, when categories map to output classes. */
  top1?: number | null;
  top5?: number | null;
}

export interface CategorySkip {
  /** Index in report.skipped (for "reveal", which the host resolves itself). */
  index: number;
  /** Path relative to the category folder. */
  file: string;
  reason: string;
}

export interface CategoryDetail {
  index: number;
  name: string;
  className: string;
  images: number;
  /** The index the view shows (PSI unless the index selector says otherwise). */
  indexLabel: string;
  /** The shown index's values lie in [0, 1] (the chart fixes its axis there). */
  indexBounded: boolean;
  /** The shown index has one value per unit, not per category: `layers` is empty. */
  perUnit: boolean;
  layers: CategoryDetailLayer[];
  accuracy: CategoryAccuracy | null;
  skipped: CategorySkip[];
}

const finiteOrNull = (x: number | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** `file` relative to the dataset folder `root` ('/'-separated), or null when it lies elsewhere. Pure string work: the webview has no `path`. */
export function relativeToDataset(file: string, root: string): string | null {
  const f = file.replace(/\\/g, '/');
  const r = root.replace(/\\/g, '/').replace(/\/+$/, '');
  if (r && f.startsWith(r + '/')) return f.slice(r.length + 1);
  if (f.startsWith('/') || /^[A-Za-z]:\//.test(f)) return null;
  return f.replace(/^(\.\/)+/, '');
}

/** The skipped files of category `name` (those under its folder), with their index in report.skipped. */
export function skippedOfCategory(report: SparsityReport, name: string): CategorySkip[] {
  const out: CategorySkip[] = [];
  report.skipped.forEach((s, index) => {
    const rel = relativeToDataset(s.file, report.dataset.path);
    if (rel === null) return;
    const slash = rel.indexOf('/');
    if (slash > 0 && rel.slice(0, slash) === name) out.push({ index, file: rel.slice(slash + 1), reason: s.reason });
  });
  return out;
}

/** The drill-down of category `index` of `report` (the index selector's view of it), or null when it has no such category. */
export function categoryDetail(report: SparsityReport, index: number): CategoryDetail | null {
  const c = report.categories[index];
  if (!c) return null;
  const layers = trainedPass(report)?.layers ?? [];
  const perUnit = layers.length > 0 && layers.every((l) => l.psi.length === 0);
  const acc = report.accuracy;
  return {
    index,
    name: c.name,
    className: c.className ?? '',
    images: c.images,
    indexLabel: viewIndex(report).label,
    indexBounded: viewIndex(report).bounded,
    perUnit,
    layers: perUnit
      ? []
      : layers.map((l) => ({ layer: l.name, index: l.index, value: finiteOrNull(l.psi[index]), median: l.summary.median, q1: l.summary.q1, q3: l.summary.q3 })),
    accuracy: acc
      ? {
          method: acc.method,
          value: finiteOrNull(acc.perCategory[index]),
          overall: acc.overall,
          ...(acc.model ? { top1: finiteOrNull(acc.model.top1[index]), top5: finiteOrNull(acc.model.top5[index]) } : {}),
        }
      : null,
    skipped: skippedOfCategory(report, c.name),
  };
}

/** Label of one of the category's points (also its SVG aria-label). */
export function categoryValueLabel(d: CategoryDetail, layer: string, value: number): string {
  return `${d.name} ${d.indexLabel}, layer ${layer}: ${fmt(value, 3)}`;
}

/** The category's curve (points where computable) over the median of all categories and its quartile band. */
export function categoryDetailSpec(d: CategoryDetail, t: ChartTheme): VlSpec {
  const hc = isHighContrast(t);
  const layers = d.layers.map((l) => l.layer);
  const x = { field: 'layer', type: 'ordinal', sort: layers, title: 'layer', axis: { labelAngle: layers.length > 8 ? -40 : 0 } };
  const yScale = d.indexBounded ? { domain: [0, 1] } : { zero: false, nice: true };
  const y = (field: string): Record<string, unknown> => ({ field, type: 'quantitative', title: d.indexLabel, scale: yScale });
  const series = { domain: [d.name, 'median of categories'], range: [t.trained, t.permuted] };
  const color = (s: string): Record<string, unknown> => ({ datum: s, type: 'nominal', scale: series, legend: { title: null, symbolOpacity: 1 } });
  const all = { values: d.layers };
  const own = { values: d.layers.filter((l) => l.value !== null).map((l) => ({ ...l, aria: categoryValueLabel(d, l.layer, l.value!) })) };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${d.indexLabel} of category ${d.name} per layer, against the median of all categories.`,
    width: 'container',
    height: 220,
    layer: [
      { data: all, mark: { type: 'area', opacity: hc ? 0.2 : 0.15 }, encoding: { x, y: y('q1'), y2: { field: 'q3' }, color: color('median of categories') } },
      { data: all, mark: { type: 'line', strokeDash: [5, 4] }, encoding: { x, y: y('median'), color: color('median of categories') } },
      {
        name: 'layerMedian',
        data: all,
        mark: { type: 'point', filled: false, size: 40 },
        encoding: {
          x,
          y: y('median'),
          color: color('median of categories'),
          tooltip: [
            { field: 'layer', title: 'layer' },
            { field: 'median', title: 'median', format: '.3f' },
            { field: 'q1', title: 'Q1', format: '.3f' },
            { field: 'q3', title: 'Q3', format: '.3f' },
          ],
        },
      },
      { data: own, mark: { type: 'line', strokeWidth: hc ? 3 : 2 }, encoding: { x, y: y('value'), color: color(d.name) } },
      {
        name: 'categoryValue',
        data: own,
        mark: { type: 'point', filled: true, size: hc ? 90 : 60, ...(hc ? { stroke: t.foreground } : {}) },
        encoding: {
          x,
          y: y('value'),
          color: color(d.name),
          description: { field: 'aria', type: 'nominal' },
          tooltip: [
            { field: 'layer', title: 'layer' },
            { field: 'value', title: d.name, format: '.3f' },
            { field: 'median', title: 'median', format: '.3f' },
          ],
        },
      },
    ],
  };
}
