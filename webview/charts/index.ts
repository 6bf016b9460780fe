/**
 * The report UI's charts as modules (one per chart, listed here once). A new chart: a module
 * exporting a ChartModule, one line below, and its id in src/shared/protocol.ts CHART_IDS.
 * (The four original charts are still declared in render.ts chartDefs with their own controls;
 * they render after these are appended there.)
 */
import { INDEX_SMALL_MULTIPLES } from './indexSmallMultiples';
import { LAYER_DIAGNOSTICS } from './layerDiagnostics';
import type { ChartModule } from './types';

export const CHART_MODULES: readonly ChartModule[] = [INDEX_SMALL_MULTIPLES, LAYER_DIAGNOSTICS];
export type { ChartModule } from './types';
