/**
 * Small DOM and chart helpers shared by the report UI (render.ts, standalone.ts) and the
 * comparison UI (compareRender.ts, compareStandalone.ts).
 */
import embed, { type Result } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
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

/** SVG text or PNG data URL of a drawn chart, on the theme's background (the live chart is transparent). */
export async function chartExportData(v: Result, background: string, format: ChartExportFormat): Promise<string> {
  const view = v.view as unknown as { background(c?: string): unknown };
  view.background(background);
  try {
    return format === 'svg' ? await v.view.toSVG() : await v.view.toImageURL('png', 2);
  } finally {
    view.background('transparent');
  }
}
