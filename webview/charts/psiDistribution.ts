/**
 * PSI distribution per layer of one pass (box and category points; spec in webview/specs.ts). Its
 * Pass dropdown (only when the report has more than one pass) keeps the choice in memory: a new
 * report source starts again at the trained model.
 */
import { psiDistributionSpec } from '../specs';
import type { ChartModule, ChartViewState } from './types';

const ID = 'psi-distribution';

/** The pass the chart shows: the one chosen in this panel, else the trained model. */
export function shownDistributionPass(state: ChartViewState): string {
  return state.memory.get(ID) ?? 'trained';
}

export const PSI_DISTRIBUTION: ChartModule = {
  id: ID,
  title: 'PSI distribution per layer',
  note: 'Box: quartiles, whiskers: min–max; points: categories.',
  available: (r) => r.passes.length > 0 && r.categories.length > 0,
  spec: (r, t, _full, state) => psiDistributionSpec(r, t, shownDistributionPass(state)),
  controls: {
    label: 'Pass',
    testId: 'distribution-pass',
    options: (r) => (r.passes.length > 1 ? r.passes.map((p) => [p.id, p.id]) : null),
    value: (_r, state) => shownDistributionPass(state),
    onChange: (v, ctx) => {
      ctx.memory.set(ID, v);
      ctx.redraw();
    },
  },
};
