/**
 * The report UI (webview/render.ts ReportApp) in a DOM (happy-dom): chart cards kept across the
 * live updates of one run take each new report's caption (a partial's "the bootstrap intervals of
 * the medians appear when the run is complete" must not stay on the complete report), and the
 * charts are drawn into the kept cards; the multi-panel figure's scatter panel shows the layer the
 * panel's chart view state chose. render.ts is bundled for the browser as the panel's bundle
 * is (esbuild; vega's node build has a top-level await that node's CommonJS loader refuses), and
 * runs against the hand-built report test/fixtures/report/sample.sparsity.json.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { Window } from 'happy-dom';
import type { SparsityReport } from '../../src/core/report/schema';
import { sanitizePersistedState, type FigureId, type ReportSource, type WebviewPersistedState } from '../../src/shared/protocol';
import { indexView, viewIndex } from '../../src/core/report/indexView';
import { CHART_MODULES, chartNote } from '../../webview/charts';
import type { HostAdapter, ReportApp as ReportAppClass } from '../../webview/render';

const ROOT = path.join(__dirname, '..', '..');
const complete: SparsityReport = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/report/sample.sparsity.json'), 'utf8'));
/** The same run while it is still going: same charts, passes and controls, so the panel keeps its cards. */
const partial: SparsityReport = { ...complete, complete: false };
const LATER = 'the bootstrap intervals of the medians appear when the run is complete';
/** Every sparseness index (the index selector has choices). */
const everyIndex: SparsityReport = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/report/sample-indices.sparsity.json'), 'utf8'));

let window: Window;
let ReportApp: typeof ReportAppClass;
let tmp: string;

before(async () => {
  window = new Window({ url: 'https://panel.invalid/' });
  // The bundle runs in node's global scope: give it the window's globals (as a webview page has them).
  const g = globalThis as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(window)) {
    if (key in g || key.startsWith('_')) continue;
    Object.defineProperty(g, key, { configurable: true, writable: true, value: (window as unknown as Record<string, unknown>)[key] });
  }
  g.window = window;
  g.document = window.document;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-render-test-'));
  const out = path.join(tmp, 'render.mjs');
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'webview/render.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    define: { 'process.env.NODE_ENV': '"development"' },
    outfile: out,
    logLevel: 'silent',
  });
  ({ ReportApp } = (await import(pathToFileURL(out).href)) as { ReportApp: typeof ReportAppClass });
});

after(async () => {
  await window.happyDOM.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A panel in the page, with a host that records what the UI logs, the figures it exports and the states it saves (as VS Code's setState keeps them: serialized). */
function panel(initial: WebviewPersistedState = {}): { app: ReportAppClass; root: HTMLElement; logged: string[]; figures: { figure: FigureId; format: string; data: string }[]; saved: string[] } {
  const root = window.document.createElement('div') as unknown as HTMLElement;
  window.document.body.append(root as never);
  const logged: string[] = [];
  const figures: { figure: FigureId; format: string; data: string }[] = [];
  const saved: string[] = [];
  const host: HostAdapter = {
    reportFormats: ['json', 'csv'],
    exportReport: () => undefined,
    exportChart: () => undefined,
    exportFigure: (figure, format, _dpi, data) => figures.push({ figure, format, data }),
    log: (level, message) => logged.push(`${level}: ${message}`),
    saveState: (state) => saved.push(JSON.stringify(state)),
  };
  return { app: new ReportApp(root, host, initial), root, logged, figures, saved };
}

/** Resolves once the panel has drawn its charts again (ReportApp sets data-charts-rendered after each pass). */
async function chartsDrawn(root: HTMLElement, before: string | undefined): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (root.dataset.chartsRendered === before) {
    if (Date.now() > deadline) throw new Error('the charts were not drawn within 20 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const noteOf = (root: HTMLElement, id: string) => root.querySelector<HTMLElement>(`[data-chart-note="${id}"]`);
const viewOf = (root: HTMLElement, id: string) => root.querySelector<HTMLElement>(`[data-chart="${id}"]`);

describe('report panel: chart cards across live updates', () => {
  it('the fixture pair differs in the PSI-by-layer caption (else the test below could not fail)', () => {
    const byLayer = CHART_MODULES.find((m) => m.id === 'psi-by-layer')!;
    assert.match(chartNote(byLayer, partial), new RegExp(LATER));
    assert.doesNotMatch(chartNote(byLayer, complete), new RegExp(LATER));
    assert.match(chartNote(byLayer, complete), /error bars: 95% bootstrap interval of the median/);
  });

  it('a kept card takes the complete report\'s caption, and its chart is drawn into it', async () => {
    const { app, root, logged } = panel();
    // As the host sends them (src/extension/runs.ts): live partials, then the saved report of the same run.
    const live: ReportSource = { kind: 'live', runId: 'run-1', datasetPath: complete.dataset.path };
    const saved: ReportSource = { kind: 'file', reportPath: '/runs/run-1/report.sparsity.json', runId: 'run-1' };
    const available = CHART_MODULES.filter((m) => m.available(complete));
    assert.ok(available.length >= 4);

    app.showReport(partial, live);
    const cardsBefore = available.map((m) => viewOf(root, m.id));
    assert.ok(cardsBefore.every((c) => c !== null), 'a card per available chart');
    assert.match(noteOf(root, 'psi-by-layer')!.textContent!, new RegExp(LATER));
    await chartsDrawn(root, undefined);
    const drawnFirst = root.dataset.chartsRendered;

    app.showReport(complete, saved);
    // The same cards (kept, not rebuilt): what the caption update has to reach.
    assert.deepEqual(available.map((m) => viewOf(root, m.id)), cardsBefore, 'the cards are kept across the update');
    for (const m of available) assert.equal(noteOf(root, m.id)!.textContent, chartNote(m, complete), `${m.id}: the complete report's caption`);
    assert.doesNotMatch(noteOf(root, 'psi-by-layer')!.textContent!, new RegExp(LATER));

    await chartsDrawn(root, drawnFirst);
    for (const m of available) {
      const view = viewOf(root, m.id)!;
      assert.equal(view.dataset.rendered, 'true', `${m.id} drawn into its kept card`);
      assert.ok(view.querySelector('svg'), `${m.id}: an SVG in its card`);
    }
    assert.deepEqual(logged.filter((l) => l.startsWith('error')), []);
  });

  it('cards rebuilt for other passes (a partial of the trained pass only) also take the new report\'s captions', async () => {
    const { app, root } = panel();
    const trainedOnly: SparsityReport = { ...partial, passes: partial.passes.filter((p) => p.kind === 'trained'), controls: undefined };
    app.showReport(trainedOnly, { kind: 'live', runId: 'run-2' });
    const before = viewOf(root, 'psi-by-layer');
    assert.match(noteOf(root, 'psi-by-layer')!.textContent!, /This run has no controls\./);
    app.showReport(complete, { kind: 'file', reportPath: '/runs/run-2/report.sparsity.json', runId: 'run-2' });
    assert.notEqual(viewOf(root, 'psi-by-layer'), before, 'new cards');
    for (const m of CHART_MODULES.filter((c) => c.available(complete))) assert.equal(noteOf(root, m.id)!.textContent, chartNote(m, complete), `${m.id}: the complete report's caption`);
    await chartsDrawn(root, undefined);
  });
});

describe('report panel: the multi-panel figure', () => {
  it('panel C shows the layer the panel\'s scatter shows (its saved choice), not the default layer', async () => {
    // The Layer choice as the panel saved it (WebviewPersistedState.selectedLayer); SVG: no canvas needed.
    const { app, root, logged, figures } = panel({ selectedLayer: 'conv2', figure: { figure: 'multi-panel', format: 'svg', style: 'print', unit: 'px', width: 1100, height: 900, dpi: 300, title: '', caption: '' } });
    app.showReport(complete, { kind: 'file', reportPath: '/runs/run-3/report.sparsity.json' });
    root.querySelector<HTMLElement>('[data-testid="export-figure"]')!.click();
    const dialog = root.querySelector<HTMLElement>('[data-testid="figure-dialog"]');
    assert.ok(dialog, 'the figure dialog opened');
    assert.equal(root.querySelector<HTMLSelectElement>('[data-testid="figure-what"]')!.value, 'multi-panel');
    await exportFromDialog(root, logged, figures);
    assert.equal(figures[0].figure, 'multi-panel');
    assert.equal(figures[0].format, 'svg');
    assert.ok(figures[0].data.includes('PSI (conv2)'), 'panel C on the chosen layer');
    assert.ok(!figures[0].data.includes('PSI (fc2)'), 'not on the default layer (the decoder layer, fc2)');
  });
});

/** Picks `value` in the card or header dropdown `testId` as a user does (the toolkit's dropdown: its value, then change). */
/**
 * Clicks the open figure dialog's Export and waits for the host to receive the figure (the
 * `exportFigure` message the panel's host adapter records); no error may be logged meanwhile.
 */
async function exportFromDialog(root: HTMLElement, logged: string[], figures: { figure: FigureId; format: string; data: string }[]): Promise<{ figure: FigureId; format: string; data: string }> {
  const n = figures.length;
  root.querySelector<HTMLElement>('[data-testid="figure-export"]')!.click();
  const deadline = Date.now() + 30_000;
  while (figures.length === n && Date.now() < deadline) {
    assert.deepEqual(logged.filter((l) => l.startsWith('error')), []);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(figures.length, n + 1, 'one figure exported');
  return figures[n];
}

function choose(root: HTMLElement, testId: string, value: string): HTMLElement {
  const d = root.querySelector<HTMLElement & { value: string }>(`[data-testid="${testId}"]`);
  assert.ok(d, `a ${testId} dropdown`);
  d.value = value;
  d.dispatchEvent(new window.Event('change') as unknown as Event);
  return d;
}

/** The colours a drawn chart uses (fills and strokes; a pass is drawn in its kind's colour). */
function colours(root: HTMLElement, id: string): string[] {
  const svg = viewOf(root, id)!.querySelector('svg');
  assert.ok(svg, `${id} drawn`);
  return [...new Set([...svg.outerHTML.matchAll(/(?:fill|stroke)(?:="|: )(#[0-9a-fA-F]{3,8}|rgb[^;")]*\)?)/g)].map((m) => m[1].toLowerCase()))].sort();
}

describe('report panel: view state across reports', () => {
  const live: ReportSource = { kind: 'live', runId: 'run-4', datasetPath: complete.dataset.path };
  const saved: ReportSource = { kind: 'file', reportPath: '/runs/run-4/report.sparsity.json', runId: 'run-4' };

  /** A panel showing the live partial report with the Pass dropdown moved to permuted-2: the colours of both passes. */
  async function onPermuted2(): Promise<{ app: ReportAppClass; root: HTMLElement; trained: string[]; permuted: string[]; dropdown: HTMLElement }> {
    const { app, root } = panel();
    app.showReport(partial, live);
    await chartsDrawn(root, undefined);
    const trained = colours(root, 'psi-distribution');
    const drawn = root.dataset.chartsRendered;
    const dropdown = choose(root, 'distribution-pass', 'permuted-2');
    await chartsDrawn(root, drawn);
    return { app, root, trained, permuted: colours(root, 'psi-distribution'), dropdown };
  }

  it('the Pass chosen while a run goes on stays on its saved report (chart and dropdown agree)', async () => {
    const { app, root, trained, permuted, dropdown } = await onPermuted2();
    assert.notDeepEqual(permuted, trained, 'a permuted pass is drawn in another colour');
    const drawn = root.dataset.chartsRendered;
    app.showReport(complete, saved);
    await chartsDrawn(root, drawn);
    assert.equal(root.querySelector('[data-testid="distribution-pass"]'), dropdown, 'the same dropdown, still on permuted-2');
    assert.deepEqual(colours(root, 'psi-distribution'), permuted, 'the saved report draws permuted-2 too');
  });

  it('the index chosen while a run goes on stays on its saved report', async () => {
    const { app, root } = panel();
    const hoyer = viewIndex(indexView(everyIndex, 'hoyer:raw')).label;
    app.showReport({ ...everyIndex, complete: false }, live);
    choose(root, 'index-selector', 'hoyer:raw');
    assert.equal(root.querySelector('#h-psi-by-layer')!.textContent, `${hoyer} by layer`);
    app.showReport(everyIndex, saved);
    assert.equal(root.querySelector('#h-psi-by-layer')!.textContent, `${hoyer} by layer`);
    assert.equal(noteOf(root, 'psi-by-layer')!.textContent, chartNote(CHART_MODULES[0], indexView(everyIndex, 'hoyer:raw')));
    await chartsDrawn(root, undefined);
  });

  it('another report in the panel: new cards, on the saved pass while it has that pass (as the scatter\'s layer), else on the trained pass', async () => {
    const { app, root, trained, permuted, dropdown } = await onPermuted2();
    let drawn = root.dataset.chartsRendered;
    app.showReport(complete, { kind: 'file', reportPath: '/runs/other/report.sparsity.json' });
    await chartsDrawn(root, drawn);
    const now = root.querySelector('[data-testid="distribution-pass"]');
    assert.notEqual(now, dropdown, 'a new dropdown');
    assert.deepEqual(await passShown(root), { selected: ['permuted-2'], title: 'Pass permuted-2', description: 'permuted-2' }, 'the saved pass, which this report has');
    assert.deepEqual(colours(root, 'psi-distribution'), permuted, 'and drawing it');
    drawn = root.dataset.chartsRendered;
    app.showReport(withoutPermuted2, { kind: 'file', reportPath: '/runs/third/report.sparsity.json' });
    await chartsDrawn(root, drawn);
    assert.deepEqual(await passShown(root), { selected: ['trained'], title: 'Pass trained', description: 'trained' }, 'a report without the saved pass: the trained model');
    assert.deepEqual(colours(root, 'psi-distribution'), trained, 'and drawing it');
  });
});

/** The same run with one permuted pass fewer (its saved permuted-2 choice is stale there). */
const withoutPermuted2: SparsityReport = { ...complete, passes: complete.passes.filter((p) => p.id !== 'permuted-2') };

/** What the panel says of the distribution's pass: the dropdown's selected option, the drawn chart's title, the pass its accessible description names. */
async function passShown(root: HTMLElement): Promise<{ selected: (string | null)[]; title: string; description: string }> {
  const view = viewOf(root, 'psi-distribution')!;
  const svg = view.querySelector('svg');
  assert.ok(svg, 'the distribution drawn');
  const described = view.querySelector('[role="graphics-document"]')?.getAttribute('aria-label') ?? '';
  return {
    selected: Array.from(root.querySelectorAll('[data-testid="distribution-pass"] [selected]'), (o) => o.getAttribute('value')),
    title: Array.from(svg.querySelectorAll('.role-title-text text'), (t) => t.textContent ?? '').join(' '),
    description: described.match(/, pass (\S+): /)?.[1] ?? `(no pass in "${described}")`,
  };
}

describe('report panel: the distribution\'s Pass is saved with the panel', () => {
  const source: ReportSource = { kind: 'file', reportPath: '/runs/run-5/report.sparsity.json' };

  it('a page built again from the saved state (as VS Code restores it) draws the chosen pass', async () => {
    const first = panel();
    first.app.showReport(complete, source);
    await chartsDrawn(first.root, undefined);
    assert.deepEqual(await passShown(first.root), { selected: ['trained'], title: 'Pass trained', description: 'trained' }, 'opened on the trained model');
    const drawn = first.root.dataset.chartsRendered;
    choose(first.root, 'distribution-pass', 'permuted-2');
    await chartsDrawn(first.root, drawn);
    // (The dropdown itself is the one built on trained: here without the toolkit, its options' attributes stay as built.)
    const chosen = await passShown(first.root);
    assert.deepEqual([chosen.title, chosen.description], ['Pass permuted-2', 'permuted-2'], 'the chart redrawn for permuted-2');
    const permuted = colours(first.root, 'psi-distribution');
    // What main.ts hands a new page: VS Code's saved state, through sanitizePersistedState.
    const restored = sanitizePersistedState(JSON.parse(first.saved[first.saved.length - 1]));
    assert.equal(restored.distributionPass, 'permuted-2', 'the choice is in the saved state and survives its validation');
    const again = panel(restored);
    again.app.showReport(complete, source);
    await chartsDrawn(again.root, undefined);
    assert.deepEqual(await passShown(again.root), { selected: ['permuted-2'], title: 'Pass permuted-2', description: 'permuted-2' }, 'the new page shows the saved pass');
    assert.deepEqual(colours(again.root, 'psi-distribution'), permuted, 'and draws it');
  });

  it('a saved pass the report does not have: the trained model', async () => {
    const { app, root } = panel(sanitizePersistedState({ distributionPass: 'permuted-2' }));
    app.showReport(withoutPermuted2, source);
    await chartsDrawn(root, undefined);
    assert.deepEqual(await passShown(root), { selected: ['trained'], title: 'Pass trained', description: 'trained' });
  });

  it('the exported distribution chart names its pass', async () => {
    const { app, root, logged, figures } = panel({ distributionPass: 'permuted-2', figure: { figure: 'chart', format: 'svg', style: 'print', unit: 'px', width: 900, height: 600, dpi: 300, title: '', caption: '' } });
    app.showReport(complete, source);
    root.querySelector<HTMLElement>('[data-testid="export-psi-distribution"]')!.click();
    assert.equal(root.querySelector<HTMLSelectElement>('[data-testid="figure-what"]')!.value, 'chart');
    await exportFromDialog(root, logged, figures);
    assert.deepEqual([figures[0].figure, figures[0].format], ['psi-distribution', 'svg']);
    const svg = new window.DOMParser().parseFromString(figures[0].data, 'image/svg+xml');
    const texts = Array.from(svg.querySelectorAll('text'), (t) => t.textContent ?? '');
    assert.ok(texts.includes('Pass permuted-2'), `the figure's text names the pass; its texts: ${JSON.stringify(texts.slice(0, 12))}`);
    assert.ok(!texts.some((t) => t.includes('Pass trained')), 'not the trained model');
  });
});

describe('report panel: the accuracy scatter by keyboard', () => {
  const source: ReportSource = { kind: 'file', reportPath: '/runs/run-6/report.sparsity.json' };
  const key = (target: HTMLElement, k: string) => target.dispatchEvent(new window.KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }) as unknown as Event);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

  /** The categories of the scatter's layer (the decoder layer, fc2) in order of PSI, with the report's numbers. */
  function byPsi(r: SparsityReport, layer: string): { name: string; className: string; psi: number; accuracy: number }[] {
    const psi = r.passes.find((p) => p.kind === 'trained')!.layers.find((l) => l.name === layer)!.psi;
    return r.categories
      .map((c, i) => ({ name: c.name, className: c.className ?? '', psi: psi[i], accuracy: r.accuracy!.perCategory[i] }))
      .sort((a, b) => a.psi - b.psi);
  }

  it('the chart is a tab stop; the arrow keys move a highlighted category in order of PSI, announced; Enter opens it as a row click does; Escape leaves it', async () => {
    const { app, root, logged } = panel();
    app.showReport(complete, source);
    await chartsDrawn(root, undefined);
    const chart = viewOf(root, 'accuracy-scatter')!;
    assert.equal(chart.getAttribute('tabindex'), '0');
    assert.equal(chart.getAttribute('role'), 'application');
    assert.match(chart.getAttribute('aria-label')!, /arrow keys move between categories in order of PSI \(fc2\).*Enter opens one/);
    const live = chart.querySelector<HTMLElement>('[data-testid="scatter-live"]')!;
    assert.equal(live.getAttribute('aria-live'), 'polite');
    const ring = chart.querySelector<HTMLElement>('[data-testid="scatter-highlight"]')!;
    assert.equal(ring.hidden, true, 'no highlight before a key');

    chart.focus();
    key(chart, 'ArrowRight');
    key(chart, 'ArrowRight');
    const order = byPsi(complete, 'fc2');
    const second = order[1];
    assert.notEqual(second.name, complete.categories[1].name, 'the order is by PSI, not the category order (else the check could not tell)');
    assert.equal(live.textContent, `${second.className} (${second.name}): PSI (fc2) ${second.psi.toFixed(3)}, accuracy ${pct(second.accuracy)}; 2 of ${order.length}.`);
    assert.equal(ring.hidden, false);
    assert.equal(ring.dataset.category, second.name);
    // The ring sits on the point as vega drew it: the plot's translate (padding + origin) plus the symbol's.
    const translate = (t: string | null) => (t?.match(/translate\(([-\d.]+),\s*([-\d.]+)\)/) ?? []).slice(1).map(Number);
    const [gx, gy] = translate(chart.querySelector('svg > g')!.getAttribute('transform'));
    const drawn = Array.from(chart.querySelectorAll('.categoryScatter_marks path'), (p) => translate(p.getAttribute('transform'))).map(([x, y]) => `${x + gx},${y + gy}`);
    assert.equal(drawn.length, order.length);
    // (Symbols in data order: the report's category order, every category drawn.)
    const mine = drawn[complete.categories.findIndex((c) => c.name === second.name)].split(',').map(Number);
    const at = [parseFloat(ring.style.left), parseFloat(ring.style.top)];
    assert.ok(Math.abs(at[0] - mine[0]) < 0.01 && Math.abs(at[1] - mine[1]) < 0.01, `the ring at ${at} is on ${second.name}'s point ${mine} (points: ${drawn.join(' ')})`);

    const dialog = root.querySelector<HTMLDialogElement>('[data-testid="drilldown"]')!;
    assert.equal(dialog.open, false);
    key(chart, 'Enter');
    assert.equal(dialog.open, true, 'Enter opens the drill-down');
    const byKey = root.querySelector('#sl-drilldown-title')!.textContent;
    assert.match(byKey!, new RegExp(second.name));
    dialog.close();
    const row = Array.from(root.querySelectorAll<HTMLElement>('[data-testid="category-row"]')).find((tr) => tr.dataset.category === second.name)!;
    row.click();
    assert.equal(dialog.open, true);
    assert.equal(root.querySelector('#sl-drilldown-title')!.textContent, byKey, 'the same dialog a row click opens');
    dialog.close();

    key(chart, 'Escape');
    assert.equal(ring.hidden, true, 'Escape leaves the highlight');
    assert.equal(live.textContent, 'No category highlighted.');
    assert.equal(dialog.open, false);
    key(chart, 'Enter');
    assert.equal(dialog.open, false, 'Enter without a highlight opens nothing');
    key(chart, 'ArrowLeft');
    assert.equal(ring.dataset.category, order[order.length - 1].name, 'ArrowLeft from none: the last category');
    assert.deepEqual(logged.filter((l) => l.startsWith('error')), []);
  });

  it('the highlight stays on its category when the chart is drawn again, and an exported chart does not show it', async () => {
    const { app, root, logged, figures } = panel({ figure: { figure: 'chart', format: 'svg', style: 'shown', unit: 'px', width: 900, height: 600, dpi: 300, title: '', caption: '' } });
    app.showReport(complete, source);
    await chartsDrawn(root, undefined);
    const exportSvg = async (): Promise<string> => {
      root.querySelector<HTMLElement>('[data-testid="export-accuracy-scatter"]')!.click();
      return (await exportFromDialog(root, logged, figures)).data;
    };
    const plain = await exportSvg();
    const chart = viewOf(root, 'accuracy-scatter')!;
    key(chart, 'End');
    const last = byPsi(complete, 'fc2').at(-1)!;
    assert.equal(chart.querySelector<HTMLElement>('[data-testid="scatter-highlight"]')!.dataset.category, last.name);
    const highlighted = await exportSvg();
    assert.equal(highlighted, plain, 'the export is the same with and without the highlight');
    assert.ok(!highlighted.includes('sl-scatter-highlight'));

    // A live update redraws the chart into the same container: the highlight follows its category.
    const drawn = root.dataset.chartsRendered;
    app.showReport({ ...complete }, source);
    await chartsDrawn(root, drawn);
    const ring = chart.querySelector<HTMLElement>('[data-testid="scatter-highlight"]')!;
    assert.equal(ring.hidden, false);
    assert.equal(ring.dataset.category, last.name);
    key(chart, 'ArrowLeft');
    const live = chart.querySelector<HTMLElement>('[data-testid="scatter-live"]')!;
    assert.match(live.textContent!, new RegExp(`^${byPsi(complete, 'fc2').at(-2)!.className}`));
  });
});
