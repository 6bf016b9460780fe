/** webview/chartExport.ts: the exported image gets the background, the live view keeps its own. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Result } from 'vega-embed';
import { nodeVegaKit } from './figureKit';

test('chartExportData: the export is on the given background; the live view gets its own background back and is redrawn', async () => {
  const { chartExportData } = await import('../../webview/chartExport');
  const kit = await nodeVegaKit();
  const spec = kit.compile({ data: { values: [{ x: 1, y: 2 }] }, mark: 'point', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } } as never, { config: {} }).spec;
  const view = new kit.View(kit.parse(spec, undefined, { ast: true }), { renderer: 'none', expr: kit.expr, logLevel: 0 } as never) as unknown as Result['view'] & { background(c?: string): unknown };
  view.background('transparent');
  await view.runAsync();
  let runs = 0;
  const run = view.runAsync.bind(view);
  view.runAsync = async () => {
    runs++;
    return run();
  };
  const svg = await chartExportData({ view } as unknown as Result, '#ffffff', 'svg');
  assert.match(svg, /<rect[^>]*fill="#ffffff"/, 'the exported SVG is on white');
  assert.equal(view.background(), 'transparent', 'the live view keeps its transparent background');
  assert.ok(runs >= 1, 'and is redrawn with it');
  assert.doesNotMatch(await view.toSVG(), /fill="#ffffff"/, 'a later export without a background is not white');
  view.finalize();
});
