/**
 * The report UI's charts as modules (one per chart, listed here once, in the panel's order; vega-lite
 * does the same for its marks). A new chart: a module exporting a ChartModule (./types.ts: title,
 * note, availability, spec, and optionally a card control and a hook on its drawn view), one line
 * below, and its id in src/shared/protocol.ts CHART_IDS. render.ts draws every card from this list
 * and knows no chart by id.
 */
import type { SparsityReport } from '../../src/core/report/schema';
import { ACCURACY_SCATTER } from './accuracyScatter';
import { INDEX_SMALL_MULTIPLES } from './indexSmallMultiples';
import { LAYER_DIAGNOSTICS } from './layerDiagnostics';
import { PSI_ACCURACY_R } from './psiAccuracyR';
import { PSI_BY_LAYER } from './psiByLayer';
import { PSI_DISTRIBUTION } from './psiDistribution';
import type { ChartModule } from './types';

export const CHART_MODULES: readonly ChartModule[] = [PSI_BY_LAYER, PSI_DISTRIBUTION, PSI_ACCURACY_R, ACCURACY_SCATTER, INDEX_SMALL_MULTIPLES, LAYER_DIAGNOSTICS];

/** The chart's caption for report `r` (the index selector's view of the report). */
export function chartNote(m: ChartModule, r: SparsityReport): string {
  return typeof m.note === 'function' ? m.note(r) : m.note;
}

export type { ChartContext, ChartDropdown, ChartModule, ChartViewState } from './types';
