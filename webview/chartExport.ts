/** A drawn chart as an SVG/PNG export (no vega-embed import: node tests run it on a headless vega View). */
import type { Result } from 'vega-embed';
import type { ChartExportFormat } from '../src/shared/protocol';

/**
 * SVG text or PNG data URL of a drawn chart, on the theme's background. The live view's own
 * background (whatever it was) is put back and redrawn at once: restoring a fixed 'transparent'
 * without a redraw left the live chart white after an export until the theme changed.
 */
export async function chartExportData(v: Result, background: string, format: ChartExportFormat): Promise<string> {
  const view = v.view as unknown as { background(c?: string): unknown; runAsync(): Promise<unknown> };
  const previous = view.background() as string | undefined;
  view.background(background);
  try {
    return format === 'svg' ? await v.view.toSVG() : await v.view.toImageURL('png', 2);
  } finally {
    view.background(previous as string);
    await view.runAsync();
  }
}
