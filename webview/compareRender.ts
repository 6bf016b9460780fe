/**
 * The comparison UI (issue 12), shared by the VS Code comparison panel (webview/compareMain.ts)
 * and the standalone comparison.html (webview/compareStandalone.ts). Same rules as the report
 * UI (render.ts): DOM through textContent/attributes only, vega-embed with the SVG renderer in
 * CSP-safe mode (AST + interpreter, no eval), charts re-drawn on theme change.
 */
import type { Result } from 'vega-embed';
import type { Comparison } from '../src/core/compare/schema';
import { differencesTable, pairedTables, trendTable } from '../src/core/compare/tables';
import type { ChartExportFormat } from '../src/shared/protocol';
import type { ComparableIndex, ComparisonChartId, ComparisonExportFormat } from '../src/shared/compareProtocol';
import { depthSpec, pairedDiffSpec, pairedScatterSpec } from './compareSpecs';
import type { VlSpec } from './specs';
import { readTheme, vegaConfig, type ChartTheme } from './theme';
import * as ui from './toolkit';
import { chartExportData, drawChartInto, el, finalizeViews, statsTable } from './pageKit';

export interface ComparisonHost {
  formats: ComparisonExportFormat[];
  exportComparison(format: ComparisonExportFormat, c: Comparison): void;
  exportChart(chart: ComparisonChartId, format: ChartExportFormat, data: string): void;
  /** Rebuild on another index (the VS Code panel; the standalone page has no host to do it). */
  compareIndex?(index: string): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

const FORMAT_LABEL: Record<ComparisonExportFormat, string> = { json: 'Export JSON', csv: 'Export CSV', html: 'Export HTML' };

interface ChartDef {
  id: ComparisonChartId;
  spec: (t: ChartTheme) => VlSpec;
}

export class ComparisonApp {
  private comparison: Comparison | null = null;
  /** Indices the host can rebuild this comparison on (all compared reports hold them). */
  private indices: ComparableIndex[] = [];
  private theme: ChartTheme;
  private views = new Map<ComparisonChartId, Result>();
  private charts: ChartDef[] = [];
  private passes: 'trained' | 'all' = 'trained';
  private readonly mainEl: HTMLElement;
  private readonly toastEl: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: ComparisonHost,
  ) {
    this.root.classList.add('sl-app');
    this.mainEl = el('main', { class: 'sl-main', 'data-testid': 'comparison' });
    this.toastEl = el('div', { class: 'sl-toast', role: 'status', 'aria-live': 'polite', 'data-testid': 'toast' });
    this.toastEl.hidden = true;
    this.root.replaceChildren(this.mainEl, this.toastEl);
    this.theme = readTheme();
    new MutationObserver(() => {
      const t = readTheme();
      if (JSON.stringify(t) !== JSON.stringify(this.theme)) {
        this.theme = t;
        void this.renderCharts();
      }
    }).observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
  }

  showComparison(c: Comparison, indices: ComparableIndex[] = []): void {
    this.comparison = c;
    this.indices = indices;
    this.render();
  }

  showEmpty(message: string): void {
    this.comparison = null;
    this.disposeCharts();
    this.mainEl.replaceChildren(el('p', { class: 'sl-empty', 'data-testid': 'empty' }, message));
  }

  showToast(ok: boolean, message: string): void {
    this.toastEl.textContent = message;
    this.toastEl.classList.toggle('sl-error', !ok);
    this.toastEl.hidden = false;
    window.setTimeout(() => {
      if (this.toastEl.textContent === message) this.toastEl.hidden = true;
    }, 5000);
  }

  private render(): void {
    const c = this.comparison;
    if (!c) return;
    this.disposeCharts();
    const parts: HTMLElement[] = [this.renderHeader(c)];
    if (c.differences.length) parts.push(this.card('differences', 'Settings that differ', statsTable(differencesTable(c), 'differences-table'), 'These runs differ in settings marked "changes the numbers": part of any difference below may come from them.'));
    this.charts = [{ id: 'compare-depth', spec: (t) => depthSpec(c, t, this.passes) }];
    const depth = this.card('depth', `${c.index.label} by relative depth`, this.chartBox('compare-depth'), 'One line per run (median over categories), band: interquartile range; the tooltip has the bootstrap 95% interval of the median.');
    if (c.runs.some((r) => r.passes.length > 1)) {
      depth.querySelector('h2')!.after(
        ui.dropdown(
          [
            ['trained', 'Trained models'],
            ['all', 'Trained models and controls'],
          ],
          this.passes,
          {
            label: 'Passes',
            testId: 'passes-select',
            onChange: (v) => {
              this.passes = v === 'all' ? 'all' : 'trained';
              void this.renderCharts(['compare-depth']);
            },
          },
        ),
      );
    }
    parts.push(depth);
    parts.push(this.card('trends', 'Depth trends', statsTable(trendTable(c), 'trend-table')));
    const tables = pairedTables(c);
    c.paired.forEach((p, i) => {
      const diff: ComparisonChartId = `compare-paired-diff-${i}`;
      const scatter: ComparisonChartId = `compare-paired-scatter-${i}`;
      this.charts.push({ id: diff, spec: (t) => pairedDiffSpec(c, i, t) }, { id: scatter, spec: (t) => pairedScatterSpec(c, i, t) });
      const body = el('div', { class: 'sl-tables' });
      body.append(this.chartBox(diff), this.chartBox(scatter), statsTable(tables[i], `paired-table-${i}`));
      parts.push(this.card(`paired-${i}`, `Paired: run ${p.a} vs run ${p.b}`, body, `${p.categories.length} categories in both; per layer the Wilcoxon signed-rank test of the per-category values (scipy's p); right: the last analysed layers, category by category.`));
    });
    for (const [id, why] of Object.entries(c.unpaired)) parts.push(this.card(`unpaired-${id}`, `Run ${id}: not paired`, el('p', {}, why)));
    this.mainEl.replaceChildren(...parts);
    void this.renderCharts();
  }

  private renderHeader(c: Comparison): HTMLElement {
    const h = el('header', { class: 'sl-card sl-header', 'data-testid': 'comparison-header' });
    h.append(el('h1', {}, `Comparison of ${c.runs.length} runs: ${c.index.label}`));
    const rebuild = this.host.compareIndex;
    if (rebuild && this.indices.length > 1) {
      h.append(
        ui.dropdown(
          this.indices.map((i) => [i.id, `${i.label} (${i.id})`] as [string, string]),
          c.index.id,
          { label: 'Index', testId: 'compare-index', onChange: (v) => rebuild(v) },
        ),
      );
    }
    const list = el('ul', { 'data-testid': 'runs' });
    for (const r of c.runs) {
      const li = el('li', { 'data-run': r.id });
      li.append(el('strong', {}, `${r.id}: `), document.createTextNode(`${r.label} — ${r.categories.length} categories, ${r.dataset.images} images`));
      li.append(el('div', { class: 'sl-muted' }, r.reportFile));
      list.append(li);
    }
    h.append(list);
    h.append(el('p', { class: 'sl-muted' }, `Bootstrap: ${c.bootstrap.resamples} resamples of the categories, seed ${c.bootstrap.seed}, percentile ${Math.round(c.bootstrap.level * 100)}% interval. Created ${c.createdAt}.`));
    const tools = el('div', { class: 'sl-tools' });
    for (const f of this.host.formats) tools.append(ui.button(FORMAT_LABEL[f], { testId: `export-${f}`, title: `${FORMAT_LABEL[f]} of the comparison`, onClick: () => this.host.exportComparison(f, c) }));
    h.append(tools);
    return h;
  }

  private card(id: string, title: string, body: HTMLElement, note?: string): HTMLElement {
    const sec = el('section', { class: 'sl-card', 'aria-labelledby': `h-${id}`, 'data-testid': `card-${id}` });
    sec.append(el('h2', { id: `h-${id}` }, title));
    if (note) sec.append(el('p', { class: 'sl-note' }, note));
    sec.append(body);
    return sec;
  }

  private chartBox(id: ComparisonChartId): HTMLElement {
    const box = el('div', { class: 'sl-chart-card' });
    const target = el('div', { class: 'sl-chart', 'data-chart': id, 'data-testid': `chart-${id}` });
    const tools = el('div', { class: 'sl-tools' });
    for (const f of ['svg', 'png'] as const) tools.append(ui.button(f.toUpperCase(), { testId: `export-${id}-${f}`, title: `Save this chart as ${f.toUpperCase()}`, onClick: () => void this.exportChart(id, f) }));
    box.append(target, tools);
    return box;
  }

  private async renderCharts(only?: ComparisonChartId[]): Promise<void> {
    const c = this.comparison;
    if (!c) return;
    const config = vegaConfig(this.theme);
    for (const def of this.charts) {
      if (only && !only.includes(def.id)) continue;
      const container = this.mainEl.querySelector<HTMLElement>(`[data-chart="${def.id}"]`);
      if (!container) continue;
      const stale = () => this.comparison !== c;
      const drawn = await drawChartInto(container, def.id, () => def.spec(this.theme), config, this.views, stale, (level, m) => this.host.log(level, m));
      if (!drawn) return;
    }
    this.root.dataset.chartsRendered = String(Date.now());
  }

  private disposeCharts(): void {
    finalizeViews(this.views);
  }

  private async exportChart(id: ComparisonChartId, format: ChartExportFormat): Promise<void> {
    const v = this.views.get(id);
    if (!v) return this.showToast(false, 'The chart is not drawn yet.');
    try {
      this.host.exportChart(id, format, await chartExportData(v, this.theme.background, format));
    } catch (e) {
      this.showToast(false, `Export failed: ${(e as Error).message}`);
    }
  }
}
