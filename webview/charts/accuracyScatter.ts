/**
 * Accuracy vs PSI of one layer, one point per category (spec in webview/specs.ts). Its Layer
 * dropdown's choice is saved with the panel (WebviewPersistedState.selectedLayer, through the
 * host); a click on a point opens that category's drill-down.
 */
import type { SparsityReport } from '../../src/core/report/schema';
import { accuracyScatterSpec, defaultScatterLayer, scatterLayers } from '../specs';
import type { ChartModule, ChartViewState } from './types';

/** The layer the scatter shows: the saved choice while this report has it, else the decoder layer, else the last layer. */
export function shownScatterLayer(r: SparsityReport, state: ChartViewState): string {
  const layers = scatterLayers(r);
  const s = state.persisted.selectedLayer;
  return s && layers.includes(s) ? s : (defaultScatterLayer(r) ?? layers[0] ?? '');
}

export const ACCURACY_SCATTER: ChartModule = {
  id: 'accuracy-scatter',
  title: 'Accuracy vs PSI',
  note: 'One point per category; line: least-squares fit.',
  available: (r) => scatterLayers(r).length > 0,
  spec: (r, t, _full, state) => accuracyScatterSpec(r, t, shownScatterLayer(r, state)),
  controls: {
    label: 'Layer',
    testId: 'scatter-layer',
    options: (r) => scatterLayers(r).map((l) => [l, l]),
    value: shownScatterLayer,
    onChange: (v, ctx) => {
      ctx.persisted.selectedLayer = v;
      ctx.save();
      ctx.redraw();
    },
  },
  // The scatter's rows carry the category name, unique per report.
  onView: (view, ctx) => {
    view.addEventListener('click', (_e, item) => {
      const datum = (item as { datum?: { category?: unknown } } | null | undefined)?.datum;
      if (typeof datum?.category !== 'string') return;
      const index = ctx.report.categories.findIndex((c) => c.name === datum.category);
      if (index >= 0) ctx.openCategory(index);
    });
  },
};
