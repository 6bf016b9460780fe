/**
 * The report UI, shared by the VS Code panel (webview/main.ts) and the standalone report.html
 * (webview/standalone.ts). DOM only through textContent/attributes (never innerHTML with report
 * data). Charts: vega-embed with the SVG renderer in CSP-safe mode (AST + vega-interpreter,
 * no eval), no injected default styles (our CSS styles the tooltip and containers).
 */
import type { Result } from 'vega-embed';
import type { ProgressEvent } from '../src/core/analyzeTypes';
import { formatProgress, progressPercent } from '../src/core/report/format';
import type { SparsityReport } from '../src/core/report/schema';
import {
  type EmptyAction,
  type ChartExportFormat,
  type ChartId,
  type ReportExportFormat,
  type ReportSource,
  type RunStatus,
  type WebviewPersistedState,
} from '../src/shared/protocol';
import {
  accuracySummary,
  categoryColumns,
  categoryRows,
  correlationTable,
  depthTrendTable,
  formatCell,
  headerInfo,
  regressionTable,
  sortRows,
} from '../src/core/report/tables';
import type { VlSpec } from './specs';
import { readTheme, vegaConfig, type ChartTheme } from './theme';
import { CHART_MODULES, chartNote, type ChartContext, type ChartModule, type ChartViewState } from './charts';
import { indexChoices, indexView, viewIndex } from '../src/core/report/indexView';
import * as ui from './toolkit';
import { CategoryDrilldown } from './drilldown';
import type { CategoryImagesMessage } from '../src/shared/protocol';
import { emptyState } from './emptyState';
import { drawChartInto, el, finalizeViews, statsTable } from './pageKit';
import type { FigureId, FigureOptions } from '../src/shared/protocol';
import { openFigureDialog } from './figure/dialog';
import { renderFigure } from './figure/export';
import { CANVAS_TEXT_WIDTH, WEBVIEW_VEGA_KIT } from './figure/kit';
import { DEFAULT_FIGURE_OPTIONS } from './figure/options';
import { multiPanelPanels } from './figure/spec';
import { renderProvenance } from './provenance';

export interface HostAdapter {
  /** Whole-report export formats offered by buttons. */
  reportFormats: ReportExportFormat[];
  exportReport(format: ReportExportFormat, report: SparsityReport): void;
  exportChart(chart: ChartId, format: ChartExportFormat, data: string): void;
  /** Save a figure from the figure dialog (issue 15); absent: single charts go through exportChart, no multi-panel figure. */
  exportFigure?(figure: FigureId, format: ChartExportFormat, dpi: number, data: string): void;
  cancelRun?(runId: string): void;
  revealSkipped?(index: number): void;
  /** Thumbnails of a category for the drill-down (by index); absent on the standalone page (no host to list files). */
  listCategoryImages?(index: number): void;
  /** A button of the empty panel (webview/emptyState.ts); absent on the standalone page. */
  emptyAction?(action: EmptyAction): void;
  /** "Run again" with the report's settings (the VS Code panel only; issue 15). */
  runAgain?(): void;
  /** "Resume" of an interrupted run the host offered (the VS Code panel only). */
  resumeRun?(): void;
  /** Put text on the clipboard (the panel asks the host; absent: the page's own clipboard). */
  copyText?(text: string): void;
  /** The "Analysis Options…" command (images per category, preprocessing): the VS Code panel only. */
  openAnalysisOptions?(): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  saveState(state: WebviewPersistedState): void;
}

/** One chart's card, as drawn: kept in `sections.cards` so a live update changes it in place. */
interface ChartCard {
  card: HTMLElement;
  /** The caption under the title (`ChartModule.note`): each new report's. */
  note: HTMLElement;
  /** The container the chart's vega view is drawn into. */
  view: HTMLElement;
}

const FORMAT_LABEL: Record<ReportExportFormat, string> = { json: 'Export JSON', csv: 'Export CSV', html: 'Export HTML' };

export class ReportApp {
  private report: SparsityReport | null = null;
  private source: ReportSource | null = null;
  private state: WebviewPersistedState;
  private theme: ChartTheme;
  /** The charts' in-memory view state (ChartViewState.memory, for a chart whose choice is not worth saving with the panel; none uses it today), cleared for a new report source. */
  private chartMemory = new Map<ChartId, string>();
  /** The sparseness index every chart and table shows (index selector; webview/indexView.ts). */
  private indexId = 'psi';
  private views = new Map<ChartId, Result>();
  private renderQueued = false;
  private rendering: Promise<void> = Promise.resolve();
  private liveRun: { runId: string; status: RunStatus; progress?: ProgressEvent; message?: string; reportPath?: string } | null = null;

  private readonly statusEl: HTMLElement;
  private readonly mainEl: HTMLElement;
  private readonly toastEl: HTMLElement;
  /** The per-category detail (issue 15): opened from a category table row or an accuracy scatter point. */
  private readonly drilldown: CategoryDrilldown;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: HostAdapter,
    initial: WebviewPersistedState = {},
  ) {
    this.state = { ...initial };
    this.theme = readTheme();
    root.replaceChildren();
    root.classList.add('sl-root');
    root.setAttribute('data-testid', 'report-root');
    this.statusEl = el('div', { class: 'sl-status', 'data-testid': 'run-status', role: 'status', 'aria-live': 'polite', hidden: '' });
    this.toastEl = el('div', { class: 'sl-toast', role: 'status', 'aria-live': 'polite', hidden: '' });
    this.mainEl = el('div', { class: 'sl-main' });
    root.append(this.statusEl, this.mainEl, this.toastEl);
    this.drilldown = new CategoryDrilldown(root, host);
    this.showEmpty('Waiting for a report…');
    // Re-render charts when VS Code switches theme (it changes <body>'s class and CSS variables).
    new MutationObserver(() => {
      const t = readTheme();
      if (JSON.stringify(t) !== JSON.stringify(this.theme)) {
        this.theme = t;
        this.scheduleCharts();
      }
    }).observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
  }

  // ------------------------------------------------------------ inputs

  showReport(report: SparsityReport, source: ReportSource): void {
    // One run's reports are one source: its live partials (no reportPath yet) and then its saved
    // report (the host adds the reportPath), so the choices made while it ran stay on the result.
    const sameRun = source.runId !== undefined && this.source?.runId === source.runId;
    const first = this.report === null || (!sameRun && (this.source?.reportPath !== source.reportPath || this.source?.runId !== source.runId));
    this.report = report;
    this.source = source;
    this.state.source = source;
    if (first) {
      this.chartMemory.clear();
      this.indexId = 'psi';
      // Cards of another source are not kept: their controls would show that source's choices.
      this.sections = null;
    }
    this.host.saveState(this.state);
    this.renderAll();
  }

  showEmpty(message: string, actions: readonly EmptyAction[] = []): void {
    this.report = null;
    this.sections = null;
    this.disposeCharts();
    this.drilldown.close();
    this.mainEl.replaceChildren(emptyState(message, actions, this.host.emptyAction?.bind(this.host)));
  }

  showProgress(runId: string, progress: ProgressEvent): void {
    if (!this.liveRun || this.liveRun.runId !== runId) this.liveRun = { runId, status: 'running' };
    this.liveRun.progress = progress;
    this.renderStatus();
  }

  showRunStatus(runId: string, status: RunStatus, message?: string, reportPath?: string): void {
    this.liveRun = { ...(this.liveRun?.runId === runId ? this.liveRun : { runId }), runId, status, message, reportPath };
    if (reportPath && this.source) {
      this.source = { ...this.source, reportPath };
      this.state.source = this.source;
      this.host.saveState(this.state);
    }
    this.renderStatus();
  }

  /** After showEmpty: the host can resume this panel's interrupted run (issue 15). */
  showResumable(description: string): void {
    if (this.report || !this.host.resumeRun) return;
    const box = el('div', { class: 'sl-resumable', 'data-testid': 'resumable' });
    box.append(el('p', { 'data-testid': 'resumable-run' }, description));
    box.append(ui.button('Resume', { testId: 'resume-run', appearance: 'primary', title: 'Continue the interrupted run from its checkpoint', onClick: () => this.host.resumeRun!() }));
    this.mainEl.append(box);
  }

  /** Whether the provenance section is open (kept across partial-report updates). */
  private provenanceOpen = false;

  private renderProvenanceSection(r: SparsityReport): HTMLElement {
    const section = renderProvenance(r, {
      button: (label, o) => ui.button(label, o),
      copy: (text, what) => {
        if (this.host.copyText) this.host.copyText(text);
        else
          void navigator.clipboard.writeText(text).then(
            () => this.showToast(true, `Provenance copied as ${what}.`),
            (e: unknown) => this.showToast(false, `Could not copy: ${String(e)}`),
          );
      },
      runAgain: this.host.runAgain ? () => this.host.runAgain!() : undefined,
    });
    if (this.provenanceOpen) section.setAttribute('open', '');
    section.addEventListener('toggle', () => (this.provenanceOpen = (section as HTMLDetailsElement).open));
    return section;
  }

  /** The host's thumbnails for the drill-down. */
  showCategoryImages(m: CategoryImagesMessage): void {
    this.drilldown.receiveImages(m);
  }

  /** Opens the drill-down of category `index` (report.categories order) in the index the panel shows. */
  private openCategory(index: number, opener: HTMLElement | null): void {
    if (!this.report) return;
    this.drilldown.open(indexView(this.report, this.indexId), index, this.theme, opener);
  }

  showToast(ok: boolean, message: string): void {
    this.toastEl.textContent = message;
    this.toastEl.classList.toggle('sl-error', !ok);
    this.toastEl.hidden = false;
    window.setTimeout(() => {
      if (this.toastEl.textContent === message) this.toastEl.hidden = true;
    }, 5000);
  }

  // ------------------------------------------------------------ status line

  private renderStatus(): void {
    const run = this.liveRun;
    const s = this.statusEl;
    if (!run) {
      s.hidden = true;
      return;
    }
    s.hidden = false;
    s.replaceChildren();
    s.dataset.status = run.status;
    if (run.status === 'running') {
      s.append(ui.spinner());
      const text = run.progress ? formatProgress(run.progress) : 'Starting…';
      s.append(el('span', { class: 'sl-status-text' }, text));
      if (run.progress) {
        const pct = progressPercent(run.progress);
        const bar = el('div', { class: 'sl-bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.floor(pct)) });
        const fill = el('div', { class: 'sl-bar-fill' });
        fill.style.width = `${pct.toFixed(1)}%`;
        bar.append(fill);
        s.append(bar);
      }
      if (this.host.cancelRun) {
        s.append(ui.button('Cancel', { testId: 'cancel-run', title: 'Cancel the analysis (no report is kept)', onClick: () => this.host.cancelRun!(run.runId) }));
      }
    } else if (run.status === 'done') {
      s.append(el('span', { class: 'sl-status-text' }, run.reportPath ? `Done. Saved ${run.reportPath}` : 'Done.'));
    } else if (run.status === 'cancelled') {
      s.append(el('span', { class: 'sl-status-text' }, run.message ?? 'Cancelled. No report was written.'));
    } else {
      s.append(el('span', { class: 'sl-status-text sl-error' }, `Failed: ${run.message ?? 'see the "Sparsity Lens" output'}`));
    }
  }

  // ------------------------------------------------------------ full render

  /**
   * Sections of the rendered report; charts are kept across updates of the same report source.
   * `cards`: each drawn chart's card elements, by chart id (what a kept card updates, where its chart is drawn).
   */
  private sections: { header: HTMLElement; charts: HTMLElement; cards: Map<ChartId, ChartCard>; chartKey: string; stats: HTMLElement; categories: HTMLElement; skipped: HTMLElement } | null = null;

  private renderAll(): void {
    const full = this.report;
    if (!full) return;
    // Charts and tables see the report through the chosen index; the header (and its exports) the report itself.
    const r = indexView(full, this.indexId);
    const available = CHART_MODULES.filter((m) => m.available(r));
    // The cards are rebuilt only when what they hold changes: which charts, their controls' choices, the passes.
    const chartKey = JSON.stringify([available.map((m) => m.id), available.map((m) => m.controls?.options(r) ?? null), r.passes.map((p) => p.id), this.host.reportFormats, this.indexId]);
    const header = this.renderHeader(full);
    header.append(this.renderIndexSelector(full));
    header.append(this.renderProvenanceSection(full));
    const stats = this.renderStats(r);
    const categories = this.renderCategoryTable(r);
    const skipped = this.renderSkipped(r);
    const prev = this.sections;
    if (prev && prev.chartKey === chartKey && this.mainEl.contains(prev.charts)) {
      // Same charts (a partial report of the same run, or the final one): swap the other
      // sections in place and redraw the charts into their containers, so nothing jumps.
      prev.header.replaceWith(header);
      prev.stats.replaceWith(stats);
      prev.categories.replaceWith(categories);
      prev.skipped.replaceWith(skipped);
      this.sections = { ...prev, header, stats, categories, skipped };
      // A note may say what this report's chart draws (psi-by-layer: intervals once the run is complete).
      for (const m of available) {
        const card = prev.cards.get(m.id);
        if (card) card.note.textContent = chartNote(m, r);
      }
    } else {
      this.disposeCharts();
      const charts = el('div', { class: 'sl-charts' });
      const cards = new Map<ChartId, ChartCard>();
      for (const m of available) {
        const card = this.renderChartCard(m, r, full);
        cards.set(m.id, card);
        charts.append(card.card);
      }
      this.mainEl.replaceChildren(header, charts, stats, categories, skipped);
      this.sections = { header, charts, cards, chartKey, stats, categories, skipped };
    }
    this.scheduleCharts();
    if (this.drilldown.openCategory !== null) this.drilldown.refresh(r, this.theme);
  }

  private renderHeader(r: SparsityReport): HTMLElement {
    const h = headerInfo(r);
    const header = el('header', { class: 'sl-header', 'data-testid': 'report-header' });
    const title = el('h1', {}, `Sparsity: ${h.model} on ${h.dataset}`);
    // A live report says how much it rests on: the categories finished so far of those being analysed.
    const badge = ui.badge(h.partialOf ? `partial: ${h.partialOf}` : 'complete', h.partialOf ? `Statistics on the ${h.partialOf} finished so far; the run is still going and the numbers change` : 'All passes finished');
    badge.setAttribute('data-testid', 'report-completeness');
    title.append(' ', badge);
    header.append(title);
    const dl = el('dl', { class: 'sl-facts' });
    const fact = (label: string, value: string, attrs: Record<string, string> = {}, title?: string): void => {
      const item = el('div', { class: 'sl-fact' });
      const dd = el('dd', attrs, value);
      if (title) dd.title = title;
      item.append(el('dt', {}, label), dd);
      dl.append(item);
    };
    fact('Model', `${h.model} (${h.modelFormat})`, { 'data-testid': 'header-model' }, h.modelPath);
    if (h.weights) fact('Weights', h.weights, { 'data-testid': 'header-weights' });
    fact('Dataset', h.dataset, { 'data-testid': 'header-dataset' }, h.datasetPath);
    fact('Images', h.images, { 'data-testid': 'header-images', 'data-value': String(r.dataset.imagesUsed) });
    fact('Categories', h.categories, { 'data-testid': 'header-categories', 'data-value': String(r.dataset.categoriesUsed) });
    const skippedText = `${h.skipped} file${h.skipped === 1 ? '' : 's'}${h.droppedCategories ? `, ${h.droppedCategories} categor${h.droppedCategories === 1 ? 'y' : 'ies'} dropped` : ''}`;
    fact('Skipped', h.skipped || h.droppedCategories ? '' : skippedText, { 'data-testid': 'header-skipped', 'data-value': String(h.skipped) });
    if (h.skipped || h.droppedCategories) {
      // A link to the list of what was skipped (further down): scrolls there and focuses it.
      const link = el('a', { href: '#sl-skipped', class: 'sl-link', 'data-testid': 'header-skipped-link', title: 'Show the list of skipped files' }, skippedText);
      link.addEventListener('click', (ev) => {
        ev.preventDefault();
        this.focusSkippedList();
      });
      dl.querySelector('[data-testid="header-skipped"]')!.append(link);
    }
    fact('Passes', h.passes, { 'data-testid': 'header-passes' });
    fact('Backend', h.backend, { 'data-testid': 'header-backend' });
    fact('Duration', h.duration, { 'data-testid': 'header-duration' });
    header.append(dl);
    // Report warnings (left-out statistics, replaced images, controls that changed nothing): the
    // reader must see them beside the numbers they qualify (issue 14).
    if (r.warnings?.length) {
      const list = el('ul', { class: 'sl-warnings', 'data-testid': 'report-warnings', role: 'note', 'aria-label': 'Warnings' });
      for (const w of r.warnings) list.append(el('li', {}, `Warning: ${w}`));
      header.append(list);
    }
    const acc = accuracySummary(r);
    if (acc) header.append(el('p', { class: 'sl-note' }, acc));
    const tools = el('div', { class: 'sl-toolbar', role: 'toolbar', 'aria-label': 'Export report' });
    for (const f of this.host.reportFormats) {
      tools.append(ui.button(FORMAT_LABEL[f], { testId: `export-${f}`, title: `${FORMAT_LABEL[f]} of the whole report`, onClick: () => this.host.exportReport(f, r) }));
    }
    if (this.host.exportFigure) {
      tools.append(ui.button('Figure…', { testId: 'export-figure', title: 'Export a figure for a paper: the multi-panel figure (PSI by layer, r by layer, accuracy vs PSI) or one chart, in print style, at a chosen size and DPI', onClick: () => this.openFigure(null) }));
    }
    if (this.host.openAnalysisOptions) {
      const open = this.host.openAnalysisOptions.bind(this.host);
      tools.append(ui.button('Analysis Options…', { testId: 'analysis-options', title: 'Images per category and preprocessing (mean, std) of the next run, saved in the workspace settings', onClick: () => open() }));
    }
    header.append(tools);
    return header;
  }

  /** The index selector: switches every chart and table (only when the report has more than PSI). */
  private renderIndexSelector(full: SparsityReport): HTMLElement {
    const box = el('div', { class: 'sl-toolbar', role: 'group', 'aria-label': 'Sparseness index' });
    const choices = indexChoices(full);
    if (choices.length < 2) return box;
    box.append(
      ui.dropdown(
        choices.map((c) => [c.id, c.id === c.label ? c.id : `${c.label} — ${c.id}`]),
        this.indexId,
        {
          label: 'Index',
          testId: 'index-selector',
          onChange: (v) => {
            this.indexId = v;
            this.renderAll();
          },
        },
      ),
    );
    return box;
  }

  /** The charts' view state: what their controls chose (webview/charts/types.ts). */
  private chartState(): ChartViewState {
    return { persisted: this.state, memory: this.chartMemory };
  }

  /** What chart `m` may do in the panel: its view state, saving it, redrawing itself, opening a category of `full`. */
  private chartContext(m: ChartModule, full: SparsityReport): ChartContext {
    return {
      ...this.chartState(),
      report: full,
      save: () => this.host.saveState(this.state),
      redraw: () => this.scheduleCharts([m.id]),
      openCategory: (index) => {
        if (this.report === full) this.openCategory(index, null);
      },
    };
  }

  /** Chart `m`'s spec for `r` (the index selector's view of the report) in theme `t`. */
  private chartSpec(m: ChartModule, r: SparsityReport, t: ChartTheme): VlSpec {
    return m.spec(r, t, this.report ?? r, this.chartState());
  }

  private renderChartCard(m: ChartModule, r: SparsityReport, full: SparsityReport): ChartCard {
    // Titles name the index the selector shows ("PSI by layer" → "Hoyer (raw) by layer").
    const def = { id: m.id, title: m.title.replace(/PSI/g, viewIndex(r).label), note: chartNote(m, r) };
    const card = el('section', { class: 'sl-card', 'aria-labelledby': `h-${def.id}` });
    const head = el('div', { class: 'sl-card-head' });
    head.append(el('h2', { id: `h-${def.id}` }, def.title));
    const controls = el('div', { class: 'sl-card-controls' });
    const options = m.controls?.options(r);
    if (m.controls && options) {
      const c = m.controls;
      const ctx = this.chartContext(m, full);
      controls.append(ui.dropdown(options, c.value(r, ctx), { label: c.label, testId: c.testId, onChange: (v) => c.onChange(v, ctx) }));
    }
    controls.append(
      ui.button('Export…', {
        testId: `export-${def.id}`,
        title: `Save "${def.title}" as PNG or SVG: print style or as shown, size, DPI, title and caption`,
        onClick: () => this.openFigure(def.id),
      }),
    );
    head.append(controls);
    card.append(head);
    const note = el('p', { class: 'sl-note', 'data-chart-note': def.id }, def.note);
    const view = el('div', { class: 'sl-chart', 'data-testid': `chart-${def.id}`, 'data-chart': def.id });
    card.append(note, view);
    return { card, note, view };
  }

  private pendingCharts: Set<ChartId> | 'all' = new Set();

  /** Re-render charts (coalesced: partial reports may arrive faster than vega renders). */
  private scheduleCharts(ids?: ChartId[]): void {
    if (!ids) this.pendingCharts = 'all';
    else if (this.pendingCharts !== 'all') for (const i of ids) this.pendingCharts.add(i);
    if (this.renderQueued) return;
    this.renderQueued = true;
    this.rendering = this.rendering.then(async () => {
      await new Promise((res) => requestAnimationFrame(() => res(undefined)));
      this.renderQueued = false;
      const which = this.pendingCharts;
      this.pendingCharts = new Set();
      await this.renderCharts(which);
    });
  }

  private async renderCharts(which: Set<ChartId> | 'all'): Promise<void> {
    const full = this.report;
    if (!full) return;
    const indexId = this.indexId;
    const r = indexView(full, indexId);
    const t0 = performance.now();
    const config = vegaConfig(this.theme);
    for (const m of CHART_MODULES) {
      if (which !== 'all' && !which.has(m.id)) continue;
      const container = this.sections?.cards.get(m.id)?.view;
      if (!container || !m.available(r)) continue;
      const stale = () => this.report !== full || this.indexId !== indexId;
      const drawn = await drawChartInto(container, m.id, () => this.chartSpec(m, r, this.theme), config, this.views, stale, (level, msg) => this.host.log(level, msg));
      if (!drawn) return;
      // E.g. the accuracy scatter listens for clicks on its points (they open the category).
      const view = this.views.get(m.id)?.view;
      if (view && m.onView) m.onView(view, this.chartContext(m, full));
    }
    this.root.dataset.chartsRendered = String(Date.now());
    const ms = Math.round(performance.now() - t0);
    if (ms > 1500) this.host.log('warn', `charts took ${ms} ms to render`);
  }

  private disposeCharts(): void {
    finalizeViews(this.views);
  }

  /**
   * The figure dialog (webview/figure/): one chart (`id`) or the multi-panel figure (null). The
   * figure is drawn offscreen in its own view; the charts of the panel are not touched.
   */
  private openFigure(id: ChartId | null): void {
    const full = this.report;
    if (!full) return;
    const r = indexView(full, this.indexId);
    const def = id ? CHART_MODULES.find((m) => m.id === id) : undefined;
    // The multi-panel figure's panels show what the panel's charts show (their view state: e.g. the scatter's layer).
    const multi = this.host.exportFigure ? multiPanelPanels(r, this.theme, this.chartState()) : { panels: [], missing: [] };
    const remembered = this.state.figure ?? DEFAULT_FIGURE_OPTIONS;
    openFigureDialog(this.root, {
      chartTitle: def ? def.title.replace(/PSI/g, viewIndex(r).label) : null,
      multiPanelAvailable: multi.panels.length > 0,
      multiPanelMissing: multi.missing,
      options: remembered,
      onChange: (o: FigureOptions) => {
        this.state.figure = o;
        this.host.saveState(this.state);
      },
      onExport: async (o: FigureOptions) => {
        const data = await renderFigure({
          options: o,
          report: r,
          shownTheme: this.theme,
          chartSpec: def ? (t) => this.chartSpec(def, r, t) : undefined,
          chartState: this.chartState(),
          kit: WEBVIEW_VEGA_KIT,
          measure: CANVAS_TEXT_WIDTH,
        }).catch((e: unknown) => {
          this.host.log('error', `figure export ${o.figure} ${id ?? ''}: ${(e as Error).stack ?? String(e)}`);
          throw e;
        });
        const figure: FigureId = o.figure === 'multi-panel' || !id ? 'multi-panel' : id;
        if (this.host.exportFigure) this.host.exportFigure(figure, o.format, o.dpi, data);
        else if (figure !== 'multi-panel') this.host.exportChart(figure, o.format, data);
        this.root.dataset.figureExported = String(Date.now());
      },
    });
  }

  // ------------------------------------------------------------ tables

  private renderStats(r: SparsityReport): HTMLElement {
    const sec = el('section', { class: 'sl-card', 'aria-labelledby': 'h-stats', 'data-testid': 'stats' });
    sec.append(el('h2', { id: 'h-stats' }, 'Statistics'));
    // Live statistics say how much they rest on beside the numbers, not only in the header's badge.
    const partialOf = headerInfo(r).partialOf;
    if (partialOf) sec.append(el('p', { class: 'sl-note', 'data-testid': 'stats-partial' }, `Live: on the ${partialOf} finished so far; these numbers change as the run goes on.`));
    const grid = el('div', { class: 'sl-tables' });
    grid.append(statsTable(depthTrendTable(r), 'stats-depth'));
    const corr = correlationTable(r);
    if (corr) grid.append(statsTable(corr, 'stats-correlation'));
    const reg = regressionTable(r);
    if (reg) grid.append(statsTable(reg, 'stats-regression'));
    sec.append(grid);
    return sec;
  }

  private renderCategoryTable(r: SparsityReport): HTMLElement {
    const sec = el('section', { class: 'sl-card', 'aria-labelledby': 'h-categories' });
    sec.append(el('h2', { id: 'h-categories' }, `Categories (${r.categories.length})`));
    const wrap = el('div', { class: 'sl-scroll' });
    const table = el('table', { class: 'sl-table sl-sortable', 'data-testid': 'category-table' });
    const cols = categoryColumns(r);
    const rows = categoryRows(r);
    const thead = el('thead');
    const tbody = el('tbody');
    const htr = el('tr');
    const draw = (): void => {
      const sort = this.state.sort && cols.some((c) => c.key === this.state.sort!.column) ? this.state.sort : null;
      const sorted = sort ? sortRows(rows, sort.column, sort.descending) : rows;
      htr.querySelectorAll('th').forEach((th) => {
        const key = th.dataset.key;
        th.setAttribute('aria-sort', sort && key === sort.column ? (sort.descending ? 'descending' : 'ascending') : 'none');
      });
      tbody.replaceChildren(
        ...sorted.map((row) => {
          // Each row opens its category's drill-down: click, or Enter / Space when focused (tab stops).
          const index = rows.indexOf(row);
          const tr = el('tr', { class: 'sl-row-link', tabindex: '0', 'data-testid': 'category-row', 'data-category': String(row.category), title: 'Show this category: its curve, accuracy, images and skipped files' });
          tr.addEventListener('click', () => this.openCategory(index, tr));
          tr.addEventListener('keydown', (ev) => {
            if (ev.key === 'Enter' || ev.key === ' ') {
              ev.preventDefault();
              this.openCategory(index, tr);
            }
          });
          cols.forEach((c, i) => {
            const cell = el(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : {}, formatCell(c, row[c.key]));
            if (c.numeric) cell.classList.add('sl-num');
            tr.append(cell);
          });
          return tr;
        }),
      );
    };
    for (const c of cols) {
      const th = el('th', { scope: 'col', 'data-key': c.key, 'aria-sort': 'none' });
      const b = el('button', { type: 'button', class: 'sl-sort', title: `Sort by ${c.label}` }, c.label);
      b.addEventListener('click', () => {
        const cur = this.state.sort;
        const descending = cur?.column === c.key ? !cur.descending : c.numeric;
        this.state.sort = { column: c.key, descending };
        this.host.saveState(this.state);
        draw();
      });
      th.append(b);
      if (c.numeric) th.classList.add('sl-num');
      htr.append(th);
    }
    thead.append(htr);
    table.append(thead, tbody);
    draw();
    wrap.append(table);
    sec.append(wrap);
    return sec;
  }

  /** The header's "Skipped N files" link: brings the skipped list into view and moves focus to it. */
  private focusSkippedList(): void {
    const list = this.mainEl.querySelector<HTMLElement>('[data-testid="skipped-list"]');
    const sec = this.mainEl.querySelector<HTMLElement>('#sl-skipped');
    if (!list || !sec) return;
    sec.scrollIntoView({ block: 'start' });
    list.focus({ preventScroll: true });
  }

  private renderSkipped(r: SparsityReport): HTMLElement {
    const sec = el('section', { class: 'sl-card', id: 'sl-skipped', 'aria-labelledby': 'h-skipped' });
    sec.append(el('h2', { id: 'h-skipped' }, `Skipped files (${r.skipped.length})`));
    // tabindex -1: focusable from the header's link, not a tab stop of its own.
    const list = el('ul', { class: 'sl-skipped', 'data-testid': 'skipped-list', 'data-count': String(r.skipped.length), tabindex: '-1', 'aria-labelledby': 'h-skipped' });
    if (r.skipped.length === 0) list.append(el('li', { class: 'sl-muted' }, 'None: every image was read.'));
    r.skipped.forEach((s, i) => {
      const li = el('li');
      if (this.host.revealSkipped) {
        const a = el('button', { type: 'button', class: 'sl-link', title: 'Reveal in the Explorer' }, s.file);
        a.addEventListener('click', () => this.host.revealSkipped!(i));
        li.append(a);
      } else li.append(el('code', {}, s.file));
      li.append(el('span', { class: 'sl-muted' }, ` — ${s.reason}`));
      list.append(li);
    });
    sec.append(list);
    if (r.dataset.droppedCategories.length) {
      sec.append(el('h3', {}, 'Dropped categories'));
      const dl = el('ul', { class: 'sl-skipped', 'data-testid': 'dropped-list' });
      for (const d of r.dataset.droppedCategories) {
        const li = el('li');
        li.append(el('code', {}, d.name), el('span', { class: 'sl-muted' }, ` — ${d.reason}`));
        dl.append(li);
      }
      sec.append(dl);
    }
    return sec;
  }
}
