/** One chart of the report UI: one module per chart in this folder, listed in charts/index.ts. */
import type { SparsityReport } from '../../src/core/report/schema';
import type { ChartId } from '../../src/shared/protocol';
import type { ChartTheme } from '../theme';
import type { VlSpec } from '../specs';

export interface ChartModule {
  /** Also in src/shared/protocol.ts CHART_IDS (the host validates exported charts by it). */
  id: ChartId;
  title: string;
  note: string;
  available(r: SparsityReport): boolean;
  /** `r` is the report as the index selector shows it (webview/indexView.ts); `full` the report itself. */
  spec(r: SparsityReport, t: ChartTheme, full: SparsityReport): VlSpec;
}
