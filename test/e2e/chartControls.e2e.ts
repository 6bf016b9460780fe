/**
 * The chart cards' dropdowns in a real VS Code (webview/charts/: `ChartModule.controls`): a saved,
 * complete report (test/fixtures/report/sample.sparsity.json: 5 layers, trained + 3 permuted +
 * no-ReLU passes, 7 categories) opens in the report editor, and
 * - the accuracy-vs-PSI scatter's Layer dropdown, picked with the mouse, redraws the scatter for
 *   that layer: its title and x-axis name the layer, and its points carry that layer's PSI of every
 *   category (read from the drawn SVG's aria-labels, checked against the report file);
 * - the PSI distribution's Pass dropdown, driven with the keyboard, redraws the distribution for
 *   that pass: the chart's title ("Pass permuted-2") and accessible description name it and its
 *   points carry that pass's PSI;
 * - each dropdown changes its own chart only;
 * - after the editor is hidden and shown again (the report editor does not retain its page when
 *   hidden, so the page is built anew): the scatter's layer and the distribution's pass both
 *   survive (saved with the panel, WebviewPersistedState.selectedLayer and .distributionPass).
 *
 * Run: flock /tmp/e2e.lock node --import tsx --test --test-concurrency=1 test/e2e/chartControls.e2e.ts
 * Screenshots: test-output/e2e/chartControls-*.png
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import {
  ROOT, clearNotifications, closeAllEditors, dismissHovers, explorerRow, log, scaledTimeout, screenshot, sleep, timed, webviewShowing, withDiagnostics, workbenchSession,
} from './harness';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'report', 'sample.sparsity.json');
const REPORT_FILE = 'sample.sparsity.json';
const OTHER_FILE = 'notes.txt';

/** What the test checks the charts against: the report file itself, not anything the panel computed. */
interface FixtureReport {
  categories: { name: string; className?: string }[];
  passes: { id: string; layers: { name: string; psi: number[] }[] }[];
  accuracy: { perCategory: number[]; decoder?: { layer?: string } };
}
const report = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as FixtureReport;
const psiOf = (pass: string, layer: string): number[] => {
  const p = report.passes.find((x) => x.id === pass);
  const l = p?.layers.find((x) => x.name === layer);
  if (!l) throw new Error(`the fixture ${FIXTURE} has no layer ${layer} in pass ${pass}`);
  return l.psi;
};
const LAYERS = report.passes[0].layers.map((l) => l.name);
const PASSES = report.passes.map((p) => p.id);

const session = workbenchSession({
  name: 'chartControls',
  prepare(ws) {
    fs.copyFileSync(FIXTURE, path.join(ws, REPORT_FILE));
    fs.writeFileSync(path.join(ws, OTHER_FILE), 'Another editor, opened to hide the report editor.\n');
  },
});

/** Polls `read` until `ok` holds for its value; throws with the last value seen. */
async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + scaledTimeout(timeoutMs);
  let last: T | undefined;
  let err: unknown;
  for (;;) {
    try {
      last = await read();
      err = undefined;
      if (ok(last)) return last;
    } catch (e) {
      err = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s; last seen: ${err ? String(err) : JSON.stringify(last)}`);
    await sleep(250);
  }
}

/** The chart card (its <section>) holding chart `id`. */
function card(frame: FrameLocator, id: string): Locator {
  return frame.locator('section.sl-card').filter({ has: frame.locator(`[data-testid="chart-${id}"]`) });
}

/** A card's dropdown as a user finds it: the combobox named by its label. */
function dropdown(frame: FrameLocator, chart: string, label: string): Locator {
  return card(frame, chart).getByRole('combobox', { name: label, exact: true });
}

/** What a dropdown shows: the text in its closed box, its value, whether its list is open. */
async function dropdownShown(d: Locator): Promise<{ text: string; value: string; expanded: string | null }> {
  return d.evaluate((el) => ({
    text: (el.shadowRoot?.querySelector('.selected-value')?.textContent ?? '').trim(),
    value: (el as HTMLElement & { value: string }).value,
    expanded: el.getAttribute('aria-expanded'),
  }));
}

interface ScatterSeen {
  title: string;
  axisTitles: string[];
  points: string[];
}
/** The drawn scatter: its title, axis titles, and the aria-label of each category point. */
async function scatterSeen(frame: FrameLocator): Promise<ScatterSeen> {
  return frame.locator('[data-testid="chart-accuracy-scatter"]').evaluate((c) => ({
    title: Array.from(c.querySelectorAll('svg .role-title-text text')).map((t) => t.textContent ?? '').join(' '),
    axisTitles: Array.from(c.querySelectorAll('svg .role-axis-title text')).map((t) => t.textContent ?? ''),
    points: Array.from(c.querySelectorAll('svg g.categoryScatter_marks path[role="graphics-symbol"]')).map((p) => p.getAttribute('aria-label') ?? ''),
  }));
}

interface DistributionSeen {
  title: string;
  description: string;
  points: string[];
}
/** The drawn distribution: its title, the view's accessible description (vega's container aria-label) and each category point's aria-label. */
async function distributionSeen(frame: FrameLocator): Promise<DistributionSeen> {
  return frame.locator('[data-testid="chart-psi-distribution"]').evaluate((c) => ({
    title: Array.from(c.querySelectorAll('svg .role-title-text text')).map((t) => t.textContent ?? '').join(' '),
    description: c.querySelector('[role="graphics-document"]')?.getAttribute('aria-label') ?? '',
    points: Array.from(c.querySelectorAll('svg g.categoryPoints_marks path[role="graphics-symbol"]')).map((p) => p.getAttribute('aria-label') ?? ''),
  }));
}

/** The report category a point's "category" text names ("n01440764 (tench)", or the folder name alone). */
function categoryIndex(text: string): number {
  const i = report.categories.findIndex((c) => text === c.name || (c.className && text === `${c.name} (${c.className})`));
  assert.ok(i >= 0, `a point names category "${text}", which the report does not have`);
  return i;
}

/** The scatter shows `layer`: title, x axis, one point per category with that layer's trained PSI. */
function assertScatterShows(seen: ScatterSeen, layer: string): void {
  assert.equal(seen.title, `Layer ${layer}`, 'the scatter\'s title names the layer');
  assert.ok(seen.axisTitles.includes(`PSI (${layer})`), `the x axis is "PSI (${layer})"; axis titles: ${JSON.stringify(seen.axisTitles)}`);
  const psi = psiOf('trained', layer);
  assert.equal(seen.points.length, report.categories.length, `one point per category; points: ${JSON.stringify(seen.points)}`);
  const covered = new Set<number>();
  for (const label of seen.points) {
    // "PSI (conv1): 0.232; accuracy: 45%; category: n01440764; class: tench; images: 20; PSI: 0.2319"
    const m = label.match(/^PSI \(([^)]*)\): [^;]*; accuracy: [^;]*; category: (.*); class: .*; PSI: ([-\d.e]+)$/);
    assert.ok(m, `a scatter point's label has the expected shape: "${label}"`);
    assert.equal(m[1], layer, `the point is of layer ${layer}: "${label}"`);
    const i = report.categories.findIndex((c) => c.name === m[2]);
    assert.ok(i >= 0, `the point names a category of the report: "${label}"`);
    covered.add(i);
    // The tooltip's PSI has 4 significant digits.
    assert.ok(Math.abs(Number(m[3]) - psi[i]) < 6e-5, `${m[2]} at ${layer}: the point's PSI ${m[3]} is the report's ${psi[i]}`);
  }
  assert.equal(covered.size, report.categories.length, 'every category has its point');
}

/** The distribution shows `pass`: its title and description name the pass, its points are that pass's PSI for every layer and category. */
function assertDistributionShows(seen: DistributionSeen, pass: string): void {
  assert.equal(seen.title, `Pass ${pass}`, 'the distribution\'s title names the pass (on screen and in an exported figure)');
  assert.match(seen.description, new RegExp(`, pass ${pass.replace(/[-]/g, '\\-')}: `), `the chart's description names pass ${pass}: "${seen.description}"`);
  assert.equal(seen.points.length, LAYERS.length * report.categories.length, `a point per layer and category; got ${seen.points.length}`);
  const covered = new Set<string>();
  for (const label of seen.points) {
    // "layer: conv1; PSI: 0.201737; jitter: −1; category: n01440764 (tench)"
    const m = label.match(/^layer: (.*?); PSI: ([-\d.e]+); .*category: (.*)$/);
    assert.ok(m, `a distribution point's label has the expected shape: "${label}"`);
    const i = categoryIndex(m[3]);
    const want = psiOf(pass, m[1])[i];
    covered.add(`${m[1]}/${i}`);
    assert.ok(Math.abs(Number(m[2]) - want) < 2e-6, `${m[3]} at ${m[1]}, pass ${pass}: the point's PSI ${m[2]} is the report's ${want}`);
  }
  assert.equal(covered.size, LAYERS.length * report.categories.length, 'every layer and category has its point');
}

/**
 * Opens the report file in the report editor. On a cold start the custom editor registers a little
 * after the Explorer shows, and a double-click then opens the JSON as text: that is seen (a text
 * editor in the editor area) and the file is opened again, instead of waiting out a timeout.
 */
async function openReport(p: Page): Promise<FrameLocator> {
  const row = explorerRow(p, REPORT_FILE).first();
  await row.waitFor({ timeout: 30_000 });
  const chartSelector = '[data-testid="chart-psi-distribution"] svg';
  return timed('report panel', async () => {
    for (let attempt = 1; ; attempt++) {
      await row.dblclick();
      const opened = await until(
        `${REPORT_FILE} opened`,
        async () => {
          if ((await p.locator('iframe.webview').count()) > 0) return 'report editor';
          return (await p.locator('.part.editor .monaco-editor').first().isVisible()) ? 'text editor' : '';
        },
        (v) => v !== '',
        30_000,
      );
      if (opened === 'report editor') return webviewShowing(p, chartSelector, 60_000);
      if (attempt >= 5) throw new Error(`${REPORT_FILE} did not open in the report editor (5 tries; it opened as text)`);
      log(`attempt ${attempt}: ${REPORT_FILE} opened as text (the report editor is not registered yet); closing editors and opening again`);
      await closeAllEditors(p);
      await sleep(2_000);
    }
  });
}

describe('Chart card dropdowns (code-server)', () => {
  before(() => session.start());
  after(() => session.stop());

  test('the scatter\'s Layer and the distribution\'s Pass dropdowns redraw their charts; both survive hiding the editor (saved with the panel)', async () => {
    await withDiagnostics('chartControls', session.workbench, session.codeServer, async () => {
      const p = session.page();
      await closeAllEditors(p);
      await clearNotifications(p);

      // The fixture must let a wrong chart show: the layers and passes the test picks differ in every category's PSI.
      const decoderLayer = report.accuracy.decoder?.layer;
      assert.equal(decoderLayer, 'fc2', 'the fixture\'s decoder layer (the scatter\'s default) is fc2');
      const pickedLayer = 'conv1';
      const pickedPass = 'permuted-2';
      assert.ok(psiOf('trained', pickedLayer).every((v, i) => Math.abs(v - psiOf('trained', decoderLayer)[i]) > 1e-3), 'conv1 and fc2 differ for every category');
      assert.ok(LAYERS.every((l) => psiOf(pickedPass, l).every((v, i) => Math.abs(v - psiOf('trained', l)[i]) > 1e-5)), 'permuted-2 and trained differ everywhere');

      let frame = await openReport(p);
      const layerBox = dropdown(frame, 'accuracy-scatter', 'Layer');
      const passBox = dropdown(frame, 'psi-distribution', 'Pass');
      assert.equal(await layerBox.getAttribute('data-testid'), 'scatter-layer');
      assert.equal(await passBox.getAttribute('data-testid'), 'distribution-pass');

      // 1. As opened: the scatter at the decoder layer, the distribution of the trained model.
      await until('the scatter drawn', () => scatterSeen(frame), (s) => s.points.length > 0);
      assert.deepEqual(await dropdownShown(layerBox), { text: decoderLayer, value: decoderLayer, expanded: 'false' });
      assertScatterShows(await scatterSeen(frame), decoderLayer);
      assert.deepEqual(await dropdownShown(passBox), { text: 'trained', value: 'trained', expanded: 'false' });
      assertDistributionShows(await distributionSeen(frame), 'trained');
      // The choices offered (in the closed list, so not by role): every layer; every pass.
      assert.deepEqual((await layerBox.locator('vscode-option').allTextContents()).map((s) => s.trim()), LAYERS);
      assert.deepEqual((await passBox.locator('vscode-option').allTextContents()).map((s) => s.trim()), PASSES);
      await screenshot(p, 'chartControls-1-opened');

      // 2. The Pass dropdown with the keyboard: focus it, Enter opens its list, ArrowDown twice, Enter picks permuted-2.
      await passBox.scrollIntoViewIfNeeded();
      await passBox.focus();
      await p.keyboard.press('Enter');
      await until('the Pass list open', () => dropdownShown(passBox), (d) => d.expanded === 'true', 5_000);
      await p.keyboard.press('ArrowDown');
      await p.keyboard.press('ArrowDown');
      await p.keyboard.press('Enter');
      await until('the Pass dropdown closed on permuted-2', () => dropdownShown(passBox), (d) => d.expanded === 'false' && d.value === pickedPass);
      assert.equal((await dropdownShown(passBox)).text, pickedPass, 'the closed dropdown shows the chosen pass');
      const dist = await until(`the distribution redrawn for ${pickedPass}`, () => distributionSeen(frame), (d) => d.description.includes(`pass ${pickedPass}:`));
      assertDistributionShows(dist, pickedPass);
      assertScatterShows(await scatterSeen(frame), decoderLayer); // the other card is untouched
      assert.equal((await dropdownShown(layerBox)).value, decoderLayer);
      await screenshot(p, 'chartControls-2-pass');

      // 3. The Layer dropdown with the mouse: click it open, click conv1.
      await dismissHovers(p);
      await layerBox.scrollIntoViewIfNeeded();
      await layerBox.click();
      await until('the Layer list open', () => dropdownShown(layerBox), (d) => d.expanded === 'true', 5_000);
      await layerBox.getByRole('option', { name: pickedLayer, exact: true }).click();
      await until('the Layer dropdown closed on conv1', () => dropdownShown(layerBox), (d) => d.expanded === 'false' && d.value === pickedLayer);
      assert.equal((await dropdownShown(layerBox)).text, pickedLayer, 'the closed dropdown shows the chosen layer');
      const scatter = await until(`the scatter redrawn for ${pickedLayer}`, () => scatterSeen(frame), (s) => s.title === `Layer ${pickedLayer}`);
      assertScatterShows(scatter, pickedLayer);
      assertDistributionShows(await distributionSeen(frame), pickedPass); // the pass choice stays
      await screenshot(p, 'chartControls-3-layer');

      // 4. Hide the report editor (another file in its place) and show it again: a new page, from the saved state.
      await frame.locator('body').evaluate(() => {
        (window as unknown as { chartControlsProbe?: string }).chartControlsProbe = 'the page before hiding';
      });
      await explorerRow(p, OTHER_FILE).first().click();
      await p.locator('.tabs-container .tab.active').filter({ hasText: OTHER_FILE }).waitFor({ timeout: scaledTimeout(15_000) });
      await until('the report editor hidden', () => p.locator('iframe.webview.ready:visible').count(), (n) => n === 0, 15_000);
      await p.locator('.tabs-container .tab').filter({ hasText: REPORT_FILE }).first().click();
      frame = await webviewShowing(p, '[data-testid="chart-psi-distribution"] svg', 30_000);
      const probe = await frame.locator('body').evaluate(() => (window as unknown as { chartControlsProbe?: string }).chartControlsProbe ?? null);
      assert.equal(probe, null, 'the report editor built its page anew (it does not retain it when hidden), so what follows comes from the saved state');
      const layerAgain = dropdown(frame, 'accuracy-scatter', 'Layer');
      const passAgain = dropdown(frame, 'psi-distribution', 'Pass');
      const restored = await until('the scatter drawn again', () => scatterSeen(frame), (s) => s.points.length > 0);
      assert.deepEqual(await dropdownShown(layerAgain), { text: pickedLayer, value: pickedLayer, expanded: 'false' }, 'the Layer choice is saved with the panel');
      assertScatterShows(restored, pickedLayer);
      assert.deepEqual(await dropdownShown(passAgain), { text: pickedPass, value: pickedPass, expanded: 'false' }, 'the Pass choice is saved with the panel');
      assertDistributionShows(await until('the distribution drawn again', () => distributionSeen(frame), (d) => d.points.length > 0), pickedPass);
      await card(frame, 'accuracy-scatter').scrollIntoViewIfNeeded();
      await screenshot(p, 'chartControls-4-shown-again');
    });
  });
});
