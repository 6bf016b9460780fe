/**
 * PSI distribution per layer of one pass (box and category points; spec in webview/specs.ts, whose
 * title names the pass, so an exported figure says which pass it shows). Its Pass dropdown (only
 * when the report has more than one pass) is saved with the panel as the scatter's Layer is
 * (WebviewPersistedState.distributionPass, through the host): it survives the page being rebuilt.
 */
import type { SparsityReport } from '../../src/core/report/schema';
import { trainedPass } from '../../src/core/report/tables';
import { psiDistributionSpec } from '../specs';
import type { ChartModule, ChartViewState } from './types';

/** The pass the chart shows: the saved choice while this report has that pass, else the trained model. */
export function shownDistributionPass(r: SparsityReport, state: ChartViewState): string {
  const saved = state.persisted.distributionPass;
  return saved !== undefined && r.passes.some((p) => p.id === saved) ? saved : (trainedPass(r)?.id ?? 'trained');
}

export const PSI_DISTRIBUTION: ChartModule = {
  id: 'psi-distribution',
  title: 'PSI distribution per layer',
  note: 'Box: quartiles, whiskers: min–max; points: categories.',
  available: (r) => r.passes.length > 0 && r.categories.length > 0,
  spec: (r, t, _full, state) => psiDistributionSpec(r, t, shownDistributionPass(r, state)),
  controls: {
    label: 'Pass',
    testId: 'distribution-pass',
    options: (r) => (r.passes.length > 1 ? r.passes.map((p) => [p.id, p.id]) : null),
    value: shownDistributionPass,
    onChange: (v, ctx) => {
      ctx.persisted.distributionPass = v;
      ctx.save();
      ctx.redraw();
    },
  },
};
