/**
 * The per-category drill-down in a real VS Code (issue 15), "drill-down opens": in a saved report
 * opened from disk, a click on a category table row and a click on an accuracy-scatter point open
 * the category's detail: its PSI-by-layer curve against the median (one point per layer), its
 * accuracy (the report's number), thumbnails that actually load (through the webview's resource
 * roots) and the skipped files of that category only. Enter on a focused row opens it, Escape
 * closes it and gives the focus back to the row. Also: a live run's panel shows thumbnails; a
 * report whose dataset folder is gone says so instead of broken images; the standalone
 * report.html shows the detail and says thumbnails need VS Code.
 *
 * Run: flock /tmp/e2e.lock node --import tsx --test --test-concurrency=1 test/e2e/drilldown.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { generateStimuli } from '../../scripts/demo-stimuli';
import { analyze } from '../../src/core/analyze';
import { formatPercent } from '../../src/core/report/format';
import { renderStandaloneHtml } from '../../src/core/report/html';
import { REPORT_FILE, type SparsityReport } from '../../src/core/report/schema';
import {
  ROOT, clearNotifications, closeAllEditors, explorerContextMenu, explorerRow, log, notificationTexts, reportFilesUnder, scaledTimeout, screenshot,
  sleep, timed, webviewShowing, withDiagnostics, workbenchSession, type CodeServer, type Workbench,
} from './harness';

const CORRUPT = 'zz-corrupt.jpg'; // a truncated JPEG: skipped by the run, listed under its category
const PER_CATEGORY = 14; // more than the 12 thumbnails: the detail says how many more
let saved: SparsityReport;

const session = workbenchSession({
  name: 'drilldown',
  async prepare(ws) {
    const stimuli = path.join(ws, 'stimuli');
    await generateStimuli(stimuli, { categories: 3, perCategory: PER_CATEGORY, size: 48, seed: 31 });
    const first = fs.readdirSync(stimuli).sort()[0];
    fs.writeFileSync(path.join(stimuli, first, CORRUPT), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]));
    fs.cpSync(path.join(ROOT, 'media', 'demo-model'), path.join(ws, 'models', 'demo'), { recursive: true });
    const run = await analyze({
      datasetPath: stimuli,
      modelPath: path.join(ws, 'models', 'demo', 'model.json'),
      outputRoot: path.join(ws, 'runs'),
      html: false,
      checkpoint: false,
      settings: { seed: 3, accuracy: 'decoder', folds: 2, controls: { permutations: 0, noNonlinearity: false } },
    });
    saved = run.report;
    // Saved reports opened from disk: this machine's, and one "from another machine" (its dataset folder does not exist here).
    fs.writeFileSync(path.join(ws, 'saved.sparsity.json'), JSON.stringify(saved));
    fs.writeFileSync(path.join(ws, 'foreign.sparsity.json'), JSON.stringify({ ...saved, dataset: { ...saved.dataset, path: '/nonexistent/elsewhere/stimuli' } }));
  },
  workspaceSettings: { 'sparsityLens.model': 'models/demo/model.json', 'sparsityLens.controls.permutedWeights': 0, 'sparsityLens.folds': 2 },
});
const wb = (): Workbench | undefined => session.workbench();
const server = (): CodeServer | undefined => session.codeServer();

/**
 * Opens a saved report from the Explorer in the report panel. On a cold start the first open can
 * come before the extension's custom editor is registered (seen: the JSON text editor opened):
 * closed and opened again until the panel shows.
 */
async function openSaved(p: Page, file: string): Promise<FrameLocator> {
  const deadline = Date.now() + scaledTimeout(90_000);
  for (let attempt = 1; ; attempt++) {
    await closeAllEditors(p);
    await explorerRow(p, file).dblclick({ timeout: 30_000 });
    try {
      const f = await webviewShowing(p, '[data-testid="category-table"]', 20_000);
      if (attempt > 1) log(`${file} opened in the report panel on attempt ${attempt}`);
      return f;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      log(`${file} did not open in the report panel (attempt ${attempt}); again`);
    }
  }
}

const dialogOf = (f: FrameLocator): Locator => f.locator('dialog[data-testid="drilldown"]');

/** The open detail shows category `name` of `report`: curve (one point per layer), accuracy, skipped files. */
async function expectDetail(f: FrameLocator, report: SparsityReport, name: string): Promise<void> {
  const d = dialogOf(f);
  await d.waitFor({ state: 'visible', timeout: scaledTimeout(10_000) });
  assert.equal(await d.getAttribute('data-category'), name, 'the detail is of the clicked category');
  const i = report.categories.findIndex((c) => c.name === name);
  assert.ok(i >= 0);
  // the curve: one point of this category per layer with a value, labelled with the report's number
  const points = d.locator('[data-testid="drilldown-chart"] g.categoryValue_marks path[role="graphics-symbol"]');
  const layers = report.passes[0].layers;
  await points.nth(layers.length - 1).waitFor({ timeout: scaledTimeout(15_000) });
  const labels = await points.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  assert.equal(labels.length, layers.length, `one point per layer: ${JSON.stringify(labels)}`);
  assert.ok(labels.includes(`${name} PSI, layer ${layers[0].name}: ${layers[0].psi[i].toFixed(3)}`), JSON.stringify(labels));
  assert.equal(await d.locator('[data-testid="drilldown-chart"] g.layerMedian_marks path[role="graphics-symbol"]').count(), layers.length, 'one median per layer');
  // accuracy: the report's value for this category
  const acc = await d.locator('[data-testid="drilldown-accuracy"]').innerText();
  assert.ok(acc.startsWith(formatPercent(report.accuracy!.perCategory[i])), `accuracy "${acc}" is ${formatPercent(report.accuracy!.perCategory[i])}`);
  // skipped files: those under this category's folder only
  const mine = report.skipped.filter((s) => s.file.split(/[\\/]/).includes(name));
  const skipped = d.locator('[data-testid="drilldown-skipped"]');
  assert.equal(await skipped.getAttribute('data-count'), String(mine.length), `skipped of ${name}: ${JSON.stringify(mine)}`);
  if (mine.length) assert.match(await skipped.innerText(), new RegExp(CORRUPT.replace('.', '\\.')));
}

/** Every thumbnail of the open detail has loaded (decoded, non-zero size); returns how many. */
async function expectThumbnailsLoad(f: FrameLocator, min: number): Promise<number> {
  const d = dialogOf(f);
  const thumbs = d.locator('img[data-testid="drilldown-thumbnail"]');
  await thumbs.nth(min - 1).waitFor({ timeout: scaledTimeout(15_000) }).catch(async () => {
    const box = await d.locator('[data-testid="drilldown-thumbnails"]').innerText().catch(() => '?');
    throw new Error(`fewer than ${min} thumbnails; the images part says: ${box}`);
  });
  const deadline = Date.now() + scaledTimeout(15_000);
  let state: { n: number; loaded: number; srcs: string[] } = { n: 0, loaded: 0, srcs: [] };
  for (;;) {
    state = await thumbs.evaluateAll((els) => ({
      n: els.length,
      loaded: (els as HTMLImageElement[]).filter((e) => e.complete && e.naturalWidth > 0).length,
      srcs: (els as HTMLImageElement[]).slice(0, 2).map((e) => e.src),
    }));
    if (state.n > 0 && state.loaded === state.n) break;
    if (Date.now() > deadline) break;
    await sleep(300);
  }
  assert.equal(await d.locator('.sl-thumb-failed').count(), 0, 'no thumbnail failed to load');
  assert.equal(state.loaded, state.n, `every thumbnail loaded: ${JSON.stringify(state)}`);
  assert.ok(state.n >= min, `${state.n} thumbnails`);
  log(`${state.n} thumbnails loaded, e.g. ${state.srcs[0]}`);
  return state.n;
}

describe('Sparsity Lens category drill-down (code-server)', () => {
  before(() => session.start());
  after(() => session.stop());

  test('drill-down opens: a table row and a scatter point show the curve, accuracy, thumbnails that load and the category\'s skipped files', async () => {
    await withDiagnostics('drilldown-opens', wb, server, async () => {
      const p = session.page();
      const f = await timed('open saved.sparsity.json', () => openSaved(p, 'saved.sparsity.json'));
      const first = saved.categories[0].name; // holds the corrupt file
      // 1. click a table row
      await f.locator(`[data-testid="category-row"][data-category="${first}"]`).click();
      await expectDetail(f, saved, first);
      const n = await expectThumbnailsLoad(f, 12);
      assert.equal(n, 12, 'the first 12 images, not the whole folder');
      // 14 images + the corrupt one (left out: it did not decode) are image files; 12 shown
      assert.match(await dialogOf(f).locator('[data-testid="drilldown-thumbnails-message"]').innerText(), /3 more image files/);
      await screenshot(p, 'drilldown-1-row');
      // Escape closes and gives the focus back to the row
      await p.keyboard.press('Escape');
      await dialogOf(f).waitFor({ state: 'hidden', timeout: 5_000 });
      assert.equal(await f.locator(':focus').getAttribute('data-category'), first, 'focus back on the row');

      // 2. keyboard: Enter on a focused row opens it
      const second = saved.categories[1].name;
      await f.locator(`[data-testid="category-row"][data-category="${second}"]`).focus();
      await p.keyboard.press('Enter');
      await expectDetail(f, saved, second);
      await expectThumbnailsLoad(f, 12);
      await p.keyboard.press('Escape');
      await dialogOf(f).waitFor({ state: 'hidden', timeout: 5_000 });

      // 3. click a scatter point: the detail of that point's category
      const point = f.locator('[data-testid="chart-accuracy-scatter"] g.categoryScatter_marks path[role="graphics-symbol"]').last();
      await point.waitFor({ timeout: scaledTimeout(20_000) });
      await point.scrollIntoViewIfNeeded();
      await point.click({ force: true });
      const d = dialogOf(f);
      await d.waitFor({ state: 'visible', timeout: scaledTimeout(10_000) });
      const clicked = (await d.getAttribute('data-category')) ?? '';
      assert.ok(saved.categories.some((c) => c.name === clicked), `a point opens a category of the report: "${clicked}"`);
      await expectDetail(f, saved, clicked);
      await expectThumbnailsLoad(f, 12);
      await screenshot(p, 'drilldown-2-scatter');
      await d.locator('[data-testid="drilldown-close"]').click();
      await d.waitFor({ state: 'hidden', timeout: 5_000 });
    });
  });

  test('a report whose dataset folder is gone says so instead of broken images', async () => {
    await withDiagnostics('drilldown-foreign', wb, server, async () => {
      const p = session.page();
      const f = await openSaved(p, 'foreign.sparsity.json');
      const name = saved.categories[0].name;
      await f.locator(`[data-testid="category-row"][data-category="${name}"]`).click();
      const d = dialogOf(f);
      await d.waitFor({ state: 'visible', timeout: scaledTimeout(10_000) });
      const message = d.locator('[data-testid="drilldown-thumbnails-message"]');
      await message.waitFor({ timeout: scaledTimeout(10_000) });
      assert.match(await message.innerText(), /dataset folder \/nonexistent\/elsewhere\/stimuli does not exist on this machine/);
      assert.equal(await d.locator('img').count(), 0, 'no image elements');
      // the numbers are still there
      assert.ok((await d.locator('[data-testid="drilldown-chart"] g.categoryValue_marks path[role="graphics-symbol"]').count()) > 0);
      await screenshot(p, 'drilldown-3-foreign');
      await p.keyboard.press('Escape');
    });
  });

  test('a live run panel: the drill-down shows thumbnails of the run\'s folder', async () => {
    await withDiagnostics('drilldown-live', wb, server, async () => {
      const p = session.page();
      await closeAllEditors(p);
      await clearNotifications(p);
      const before = reportFilesUnder(session.ws);
      await explorerContextMenu(p, 'stimuli', 'Analyze Sparsity', 90_000);
      const deadline = Date.now() + scaledTimeout(6 * 60_000);
      while (!reportFilesUnder(session.ws).some((x) => !before.includes(x))) {
        const err = (await notificationTexts(p)).find((n) => /error|failed|cannot/i.test(n));
        if (err) throw new Error(`the run reported an error: ${err}`);
        if (Date.now() > deadline) throw new Error('the run wrote no report');
        await sleep(1_000);
      }
      const live = reportFilesUnder(session.ws).find((x) => !before.includes(x) && path.basename(x) === REPORT_FILE)!;
      const report = JSON.parse(fs.readFileSync(live, 'utf8')) as SparsityReport;
      const f = await webviewShowing(p, '[data-testid="category-table"]', 60_000);
      const name = report.categories[2].name;
      await f.locator(`[data-testid="category-row"][data-category="${name}"]`).click();
      await expectDetail(f, report, name);
      await expectThumbnailsLoad(f, 12);
      await screenshot(p, 'drilldown-4-live');
      await p.keyboard.press('Escape');
    });
  });

  test('the standalone report.html shows the detail and says thumbnails need VS Code', async () => {
    await withDiagnostics('drilldown-standalone', wb, server, async () => {
      const w = wb();
      if (!w) session.page(); // throws the setup error
      const file = path.join(session.home, 'report.html');
      fs.writeFileSync(file, await renderStandaloneHtml(saved));
      const page = await w!.context.newPage();
      try {
        await page.goto(pathToFileURL(file).href);
        const name = saved.categories[0].name;
        await page.locator(`[data-testid="category-row"][data-category="${name}"]`).click({ timeout: 30_000 });
        const d = page.locator('dialog[data-testid="drilldown"]');
        await d.waitFor({ state: 'visible', timeout: 10_000 });
        assert.match(await d.locator('[data-testid="drilldown-thumbnails-message"]').innerText(), /Thumbnails need VS Code/);
        assert.equal(await d.locator('img').count(), 0);
        assert.equal(await d.locator('[data-testid="drilldown-skipped"]').getAttribute('data-count'), '1');
        await d.locator('[data-testid="drilldown-chart"] g.categoryValue_marks path[role="graphics-symbol"]').first().waitFor({ timeout: 15_000 });
        await page.screenshot({ path: path.join(ROOT, 'test-output', 'e2e', 'drilldown-5-standalone.png') });
      } finally {
        await page.close();
      }
    });
  });
});
