/**
 * Small DOM and chart helpers shared by the report UI (render.ts, standalone.ts) and the
 * comparison UI (compareRender.ts, compareStandalone.ts).
 */
import embed, { type Result } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import type { StatsTable } from '../src/core/report/tables';
import type { ChartExportFormat } from '../src/shared/protocol';

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Offers a Blob (or a data: URL) as a download from a static page. */
export function download(name: string, data: Blob | string): void {
  const a = document.createElement('a');
  const url = typeof data === 'string' ? data : URL.createObjectURL(data);
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  if (typeof data !== 'string') setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Runs `start` once the DOM is ready. */
export function whenReady(start: () => void): void {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}

/**
 * The data a standalone page embeds in <script type="application/json" id=dataId>, parsed, and
 * the page's #root (made if missing). On missing or invalid data, says why in #root and returns null.
 */
export function readEmbedded<T>(dataId: string, noun: string, parse: (text: string, name: string) => T): { root: HTMLElement; value: T } | null {
  const dataEl = document.getElementById(dataId);
  const root = document.getElementById('root') ?? document.body.appendChild(document.createElement('div'));
  if (!dataEl?.textContent) {
    root.textContent = `This page holds no ${noun} data.`;
    return null;
  }
  try {
    return { root, value: parse(dataEl.textContent, `The ${noun} embedded in this page`) };
  } catch (e) {
    root.textContent = (e as Error).message;
    return null;
  }
}

/**
 * Draws a vega-lite spec into `target` the way every chart here is drawn: SVG, no actions,
 * vega's expression interpreter (no eval, CSP-safe), the theme's config.
 */
export function embedChart(target: HTMLElement, spec: object, config: Record<string, unknown>, id: string): Promise<Result> {
  return embed(target, spec, {
    renderer: 'svg',
    mode: 'vega-lite',
    actions: false,
    ast: true,
    expr: expressionInterpreter,
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true },
    config,
    downloadFileName: id,
  });
}

export { chartExportData } from './chartExport';

/**
 * Draws one chart into its container (`makeSpec` runs here, so its errors show too) and keeps the
 * view in `views`, finalizing the one it replaces. A failure shows in the container and is logged.
 * Returns false when `isStale()` says the page moved on while drawing (the caller stops).
 */
export async function drawChartInto<Id extends string>(
  container: HTMLElement,
  id: Id,
  makeSpec: () => object,
  config: Record<string, unknown>,
  views: Map<Id, Result>,
  isStale: () => boolean,
  log: (level: 'error', message: string) => void,
): Promise<boolean> {
  try {
    const spec = makeSpec();
    const target = el('div', { class: 'sl-chart-inner' });
    const result = await embedChart(target, spec, config, id);
    if (isStale()) {
      result.finalize();
      return false;
    }
    views.get(id)?.finalize();
    views.set(id, result);
    container.replaceChildren(target);
    container.dataset.rendered = 'true';
  } catch (e) {
    container.replaceChildren(el('p', { class: 'sl-error' }, `Could not draw this chart: ${(e as Error).message}`));
    log('error', `chart ${id}: ${(e as Error).stack ?? String(e)}`);
  }
  return true;
}

/** Finalizes and forgets every drawn chart. */
export function finalizeViews<Id>(views: Map<Id, Result>): void {
  for (const v of views.values()) v.finalize();
  views.clear();
}

/** A statistics table (caption, column headers, first cell of each row as its header). */
export function statsTable(t: StatsTable, testId: string): HTMLElement {
  const table = el('table', { class: 'sl-table', 'data-testid': testId });
  table.append(el('caption', {}, t.caption));
  const thead = el('thead');
  const tr = el('tr');
  for (const c of t.columns) tr.append(el('th', { scope: 'col' }, c));
  thead.append(tr);
  const tbody = el('tbody');
  for (const row of t.rows) {
    const r = el('tr');
    row.forEach((cell, i) => r.append(el(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : {}, cell)));
    tbody.append(r);
  }
  table.append(thead, tbody);
  return table;
}
