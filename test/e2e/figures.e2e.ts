/**
 * Figures for a paper in a real VS Code (issue 15), under a DARK colour theme: a saved report opens
 * in the report panel; one chart (PSI by layer) and then the multi-panel figure are exported in
 * print style as PNG through the figure dialog and VS Code's save dialog. The saved PNGs are
 * decoded with sharp: white corners, the chosen DPI in the file, the chosen size in pixels. The
 * panel's own chart keeps its (transparent, dark-theme) background throughout.
 *
 * Run: flock /tmp/e2e.lock node --import tsx --test --test-concurrency=1 test/e2e/figures.e2e.ts
 * Screenshots: test-output/e2e/figures-*.png, and the exported figures as figures-export-*.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import sharp from 'sharp';
import {
  OUT, ROOT, clearNotifications, closeAllEditors, explorerRow, log, notificationTexts, screenshot, sleep, timed, webview, withDiagnostics, workbenchSession,
} from './harness';

const session = workbenchSession({
  name: 'figures',
  prepare(ws) {
    fs.mkdirSync(path.join(ws, 'figures'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'report', 'sample.sparsity.json'), path.join(ws, 'sample.sparsity.json'));
  },
  codeServer: { userSettings: { 'workbench.colorTheme': 'Default Dark Modern' } },
});

/** The live chart's background as drawn in the panel: the fill of the SVG's background rect (or none). */
async function liveBackground(frame: FrameLocator, chart: string): Promise<string> {
  return frame.locator(`[data-testid="chart-${chart}"] svg`).first().evaluate((svg) => {
    const rect = svg.querySelector(':scope > rect');
    return rect ? `${rect.getAttribute('fill') ?? ''}|${(rect as SVGElement).style.fill}` : 'no background rect';
  });
}

/** Answers VS Code's save dialog (the simple, quick-input one the harness enables) with `file`. */
async function answerSaveDialog(p: Page, file: string): Promise<void> {
  const input = p.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 30_000 }).catch(() => {
    throw new Error('no save dialog appeared after Export');
  });
  // The dialog fills in its default path a moment after it shows: wait for it, or it overwrites ours.
  const deadline = Date.now() + 10_000;
  while (!/\.png$|\.svg$/.test(await input.inputValue()) && Date.now() < deadline) await sleep(200);
  await sleep(300);
  await input.fill(file);
  for (let i = 0; i < 20 && (await input.inputValue()) !== file; i++) {
    await sleep(200);
    await input.fill(file);
  }
  assert.equal(await input.inputValue(), file, 'the save dialog holds the chosen path');
  await p.locator('.quick-input-widget').getByRole('button', { name: 'OK' }).click();
}

async function waitForFile(file: string, timeoutMs: number, p: Page): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file) || fs.statSync(file).size === 0) {
    if (Date.now() > deadline) throw new Error(`${file} was not written; notifications: ${JSON.stringify(await notificationTexts(p))}`);
    await sleep(250);
  }
  await sleep(300); // the rename is atomic; let the toast come
}

/** Export in the open dialog, saved as figures/<name> in the workspace (a copy in test-output/e2e/<copyAs>); returns its path. */
async function exportTo(p: Page, frame: FrameLocator, name: string, copyAs: string, timeoutMs: number): Promise<string> {
  await frame.locator('[data-testid="figure-export"]').click();
  const file = path.join(session.ws, 'figures', name);
  await answerSaveDialog(p, file);
  await timed(`${name} written`, () => waitForFile(file, timeoutMs, p));
  fs.copyFileSync(file, path.join(OUT, copyAs));
  return file;
}

async function expectWhitePng(file: string, size: { width: number; height: number }, dpi: number): Promise<void> {
  const bytes = fs.readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file} is a PNG`);
  const meta = await sharp(bytes).metadata();
  assert.equal(meta.density, dpi, 'the chosen DPI is in the file');
  assert.ok(Math.abs((meta.width ?? 0) - size.width) <= 1 && Math.abs((meta.height ?? 0) - size.height) <= 1, `PNG is ${meta.width} x ${meta.height}, expected ${size.width} x ${size.height}`);
  const w = meta.width!;
  const h = meta.height!;
  for (const [x, y] of [[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]]) {
    const { data, info } = await sharp(bytes).extract({ left: x, top: y, width: 1, height: 1 }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 4);
    assert.deepEqual([...data], [255, 255, 255, 255], `pixel (${x}, ${y}) is opaque white, not the dark theme (${[...data]})`);
  }
  // Mostly white, with dark ink: a print figure, not a dark one.
  const stats = await sharp(bytes).removeAlpha().greyscale().stats();
  assert.ok(stats.channels[0].mean > 200, `mean grey ${stats.channels[0].mean.toFixed(0)} > 200 (a white figure)`);
  assert.ok(stats.channels[0].min < 60, 'there is black ink (text, axes, marks)');
}

async function fillDialog(frame: FrameLocator, o: { what?: string; format: string; style: string; unit: string; width: number; height: number; dpi: number; title: string; caption: string }): Promise<void> {
  const d = frame.locator('[data-testid="figure-dialog"]');
  await d.waitFor({ state: 'visible', timeout: 10_000 });
  if (o.what) await d.locator('[data-testid="figure-what"]').selectOption(o.what);
  await d.locator('[data-testid="figure-format"]').selectOption(o.format);
  await d.locator('[data-testid="figure-style"]').selectOption(o.style);
  await d.locator('[data-testid="figure-unit"]').selectOption(o.unit);
  await d.locator('[data-testid="figure-width"]').fill(String(o.width));
  await d.locator('[data-testid="figure-height"]').fill(String(o.height));
  await d.locator('[data-testid="figure-dpi"]').fill(String(o.dpi));
  await d.locator('[data-testid="figure-title"]').fill(o.title);
  await d.locator('[data-testid="figure-caption"]').fill(o.caption);
  const err = (await d.locator('[data-testid="figure-error"]').innerText()).trim();
  assert.equal(err, '', `the dialog accepts the options: ${err}`);
}

describe('Figures for a paper (code-server, dark theme)', () => {
  before(() => session.start());
  after(() => session.stop());

  test('print-style PNGs of one chart and of the multi-panel figure have a white background; the panel chart is unchanged', async () => {
    await withDiagnostics('figures', session.workbench, session.codeServer, async () => {
      const p = session.page();
      await closeAllEditors(p);
      await clearNotifications(p);
      const row = explorerRow(p, 'sample.sparsity.json').first();
      await row.waitFor({ timeout: 30_000 });
      const frame = webview(p);
      const chart = frame.locator('[data-testid="chart-psi-by-layer"] svg').first();
      // On a cold start the extension's custom editor is registered a little after the Explorer shows:
      // a double-click then opens the JSON as text. Open it again until the report editor takes it.
      await timed('report panel', async () => {
        for (let attempt = 1; ; attempt++) {
          await row.dblclick();
          if (await chart.waitFor({ timeout: 20_000 }).then(() => true, () => false)) return;
          if (attempt >= 5) throw new Error('sample.sparsity.json did not open in the report editor (5 tries)');
          log(`attempt ${attempt}: no report panel yet; closing editors and opening again`);
          await closeAllEditors(p);
          await sleep(3_000);
        }
      });
      const bodyClass = await frame.locator('body').getAttribute('class');
      assert.match(bodyClass ?? '', /vscode-dark/, `the webview is in the dark theme (body class "${bodyClass}")`);
      const bgBefore = await liveBackground(frame, 'psi-by-layer');
      assert.doesNotMatch(bgBefore, /#fff(fff)?\b|white/i, `the live chart is not white in the dark theme: ${bgBefore}`);
      await screenshot(p, 'figures-1-panel-dark');

      // 1. One chart: PSI by layer, print style, 120 x 80 mm at 200 dpi.
      await frame.locator('[data-testid="export-psi-by-layer"]').click();
      await fillDialog(frame, { format: 'png', style: 'print', unit: 'mm', width: 120, height: 80, dpi: 200, title: 'PSI by layer', caption: 'Median category PSI per layer with the permuted-weights and no-ReLU controls.' });
      const note = await frame.locator('[data-testid="figure-size-note"]').innerText();
      // 120 x 80 mm = 454 x 302 layout px; at 200 dpi (scale 200 / 96) 945.8 x 629.2, cut to whole pixels as the canvas does
      assert.match(note, /PNG 945 x 629 pixels at 200 dpi/, `size note: ${note}`);
      await screenshot(p, 'figures-2-dialog');
      const chartFile = await exportTo(p, frame, 'psi-by-layer-print.png', 'figures-export-chart.png', 60_000);
      await expectWhitePng(chartFile, { width: 945, height: 629 }, 200);
      assert.equal(await liveBackground(frame, 'psi-by-layer'), bgBefore, 'the panel chart background did not change after the export');
      await sleep(1_500);
      assert.equal(await liveBackground(frame, 'psi-by-layer'), bgBefore, 'nor a moment later');

      // 2. The multi-panel figure from the header's Figure… button: 180 x 150 mm at 150 dpi.
      await frame.locator('[data-testid="export-figure"]').click();
      await fillDialog(frame, { format: 'png', style: 'print', unit: 'mm', width: 180, height: 150, dpi: 150, title: 'Figure 1', caption: 'A: PSI by layer with controls. B: PSI–accuracy r by layer. C: accuracy vs PSI.' });
      assert.equal(await frame.locator('[data-testid="figure-what"]').inputValue(), 'multi-panel');
      const multiFile = await exportTo(p, frame, 'multi-panel-print.png', 'figures-export-multi-panel.png', 90_000);
      await expectWhitePng(multiFile, { width: 1062, height: 885 }, 150);
      assert.equal(await liveBackground(frame, 'psi-by-layer'), bgBefore, 'the panel chart background did not change after the multi-panel export');
      await screenshot(p, 'figures-3-after-exports');

      // 3. The choices are remembered in the panel: the dialog opens with them.
      await frame.locator('[data-testid="export-figure"]').click();
      const d = frame.locator('[data-testid="figure-dialog"]');
      await d.waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal(await d.locator('[data-testid="figure-dpi"]').inputValue(), '150');
      assert.equal(await d.locator('[data-testid="figure-title"]').inputValue(), 'Figure 1');
      await d.locator('[data-testid="figure-cancel"]').click();
      await d.waitFor({ state: 'detached', timeout: 5_000 });
      log(`exported ${chartFile} and ${multiFile}`);
    });
  });
});
