/** One chart of the report UI: one module per chart in this folder, listed in charts/index.ts. */
import type { Result } from 'vega-embed';
import type { SparsityReport } from '../../src/core/report/schema';
import type { ChartId, WebviewPersistedState } from '../../src/shared/protocol';
import type { ChartTheme } from '../theme';
import type { VlSpec } from '../specs';

/** A chart's view state (what its controls chose), kept by the panel, read by a module's controls and spec. */
export interface ChartViewState {
  /** Saved with the panel through the host (survives a reload of the webview); `ChartContext.save()` writes it. */
  readonly persisted: WebviewPersistedState;
  /** In memory only, one value per chart; the panel clears it when it shows another report source. */
  readonly memory: Map<ChartId, string>;
}

/** What the panel lends a chart module: its view state, plus the actions a control or a view listener may take. */
export interface ChartContext extends ChartViewState {
  /** The report itself (not the index selector's view of it) that the chart is drawn from. */
  readonly report: SparsityReport;
  /** Writes `persisted` through the host's saveState. */
  save(): void;
  /** Draws this chart again (after its view state changed). */
  redraw(): void;
  /** Opens the drill-down of category `index` (report.categories order); ignored once another report is shown. */
  openCategory(index: number): void;
}

/** A dropdown in the chart's card head, beside its Export… button. */
export interface ChartDropdown {
  label: string;
  /** The dropdown's data-testid (the e2e tests' hook). */
  testId: string;
  /** Its choices for this report, as [value, text]; null: not offered for this report (e.g. a single pass). */
  options(r: SparsityReport): [string, string][] | null;
  /** The choice shown: the view state's when it is still among the options, else the default for this report. */
  value(r: SparsityReport, state: ChartViewState): string;
  /** Records a choice in the view state (saving it when it is persisted) and redraws the chart. */
  onChange(value: string, ctx: ChartContext): void;
}

export interface ChartModule {
  /** Also in src/shared/protocol.ts CHART_IDS (the host validates exported charts by it). */
  id: ChartId;
  /** "PSI" in it is replaced by the label of the index the selector shows. */
  title: string;
  /** The caption under the title; a function when it says what this report's chart draws. */
  note: string | ((r: SparsityReport) => string);
  available(r: SparsityReport): boolean;
  /**
   * `r` is the report as the index selector shows it (src/core/report/indexView.ts); `full` the
   * report itself; `state` the chart's view state (its controls' choices).
   */
  spec(r: SparsityReport, t: ChartTheme, full: SparsityReport, state: ChartViewState): VlSpec;
  /** The card's control, if the chart has one. */
  controls?: ChartDropdown;
  /** Called each time the chart's vega view has been drawn (e.g. to listen for clicks on its marks). */
  onView?(view: Result['view'], ctx: ChartContext): void;
}
