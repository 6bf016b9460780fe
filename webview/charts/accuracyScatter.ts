/**
 * Accuracy vs PSI of one layer, one point per category (spec in webview/specs.ts). Its Layer
 * dropdown's choice is saved with the panel (WebviewPersistedState.selectedLayer, through the
 * host); a click on a point opens that category's drill-down.
 *
 * Keyboard: the chart's container is a tab stop; the arrow keys move a highlighted category in
 * order of the x value (the index shown, left to right; ties in category order), announced in a
 * live region; Enter / Space opens it as a click does, Escape leaves the highlight. The highlight
 * is an overlay element over the drawn point (never part of the spec), so an exported figure,
 * drawn from the spec in its own view, cannot show it.
 */
import type { Result } from 'vega-embed';
import { fmt, formatPercent } from '../../src/core/report/format';
import type { SparsityReport } from '../../src/core/report/schema';
import { accuracyScatterSpec, defaultScatterLayer, scatterLayers } from '../specs';
import type { ChartContext, ChartModule, ChartViewState } from './types';

/** The layer the scatter shows: the saved choice while this report has it, else the decoder layer, else the last layer. */
export function shownScatterLayer(r: SparsityReport, state: ChartViewState): string {
  const layers = scatterLayers(r);
  const s = state.persisted.selectedLayer;
  return s && layers.includes(s) ? s : (defaultScatterLayer(r) ?? layers[0] ?? '');
}

export const ACCURACY_SCATTER: ChartModule = {
  id: 'accuracy-scatter',
  title: 'Accuracy vs PSI',
  note: 'One point per category; line: least-squares fit.',
  available: (r) => scatterLayers(r).length > 0,
  spec: (r, t, _full, state) => accuracyScatterSpec(r, t, shownScatterLayer(r, state)),
  controls: {
    label: 'Layer',
    testId: 'scatter-layer',
    options: (r) => scatterLayers(r).map((l) => [l, l]),
    value: shownScatterLayer,
    onChange: (v, ctx) => {
      ctx.persisted.selectedLayer = v;
      ctx.save();
      ctx.redraw();
    },
  },
  // The scatter's rows carry the category name, unique per report.
  onView: (view, ctx) => {
    view.addEventListener('click', (_e, item) => {
      const datum = (item as { datum?: { category?: unknown } } | null | undefined)?.datum;
      if (typeof datum?.category !== 'string') return;
      openByName(ctx, datum.category);
    });
    attachKeyboard(view as View, ctx);
  },
};

function openByName(ctx: ChartContext, category: string): void {
  const index = ctx.report.categories.findIndex((c) => c.name === category);
  if (index >= 0) ctx.openCategory(index);
}

/** The vega View API this module uses beyond vendor.d.ts's (vega's own View has them). */
type View = Result['view'] & {
  scenegraph(): unknown;
  container(): HTMLElement | null;
  origin(): [number, number];
  padding(): { left?: number; top?: number };
};

/** A drawn point: its row (webview/specs.ts ScatterRow) and where vega drew it (in its group, the plot). */
export interface ScatterPoint {
  category: string;
  label: string;
  psi: number;
  accuracy: number;
  x: number;
  y: number;
}

interface SceneNode {
  marktype?: string;
  name?: string;
  role?: string;
  items?: SceneNode[];
  datum?: Record<string, unknown>;
  x?: number;
  y?: number;
  text?: unknown;
}

function sceneRoot(view: View): SceneNode {
  return (view.scenegraph() as unknown as { root: SceneNode }).root;
}

/** The drawn points in keyboard order: by the x value (left to right), ties in category (data) order. */
export function scatterPoints(view: View): ScatterPoint[] {
  const points: ScatterPoint[] = [];
  const walk = (n: SceneNode): void => {
    if (n.marktype && n.name === 'categoryScatter_marks') {
      for (const it of n.items ?? []) {
        const d = it.datum ?? {};
        if (typeof d.category !== 'string' || typeof d.psi !== 'number' || typeof d.accuracy !== 'number') continue;
        points.push({ category: d.category, label: typeof d.label === 'string' ? d.label : d.category, psi: d.psi, accuracy: d.accuracy, x: it.x ?? 0, y: it.y ?? 0 });
      }
    } else for (const c of n.items ?? []) walk(c);
  };
  walk(sceneRoot(view));
  // Array.prototype.sort is stable: equal values keep the data's category order.
  return points.sort((a, b) => a.psi - b.psi);
}

/** The x axis's title as drawn ("PSI (fc2)", "Hoyer (raw) (conv2)"): what the index and layer are called. */
export function scatterXTitle(view: View): string | null {
  let title: string | null = null;
  const walk = (n: SceneNode): void => {
    if (title !== null) return;
    if (n.role === 'axis') {
      // Vega draws each axis twice (grid, then ticks/labels/title); the title is an 'axis-title' text of the x one.
      const group = n.items?.[0];
      if (group?.datum?.scale !== 'x') return;
      const text = group.items?.find((m) => m.role === 'axis-title')?.items?.[0]?.text;
      if (typeof text === 'string' && text) title = text;
      return;
    }
    for (const c of n.items ?? []) walk(c);
  };
  walk(sceneRoot(view));
  return title;
}

/** What the live region says of a highlighted point: its name (and folder), its x value and accuracy. */
export function announcePoint(p: ScatterPoint, xTitle: string | null, position: number, count: number): string {
  const name = p.label !== p.category ? `${p.label} (${p.category})` : p.category;
  return `${name}: ${xTitle ?? 'x'} ${fmt(p.psi, 3)}, accuracy ${formatPercent(p.accuracy)}; ${position} of ${count}.`;
}

/** Per chart container (kept across redraws; the vega view inside it is replaced): its keyboard state. */
interface KeyboardState {
  view: View;
  ctx: ChartContext;
  points: ScatterPoint[];
  xTitle: string | null;
  /** The highlighted category's name; null: none. */
  highlighted: string | null;
  live: HTMLElement;
  ring: HTMLElement;
}

const keyboardStates = new WeakMap<HTMLElement, KeyboardState>();

/**
 * Makes the chart's card container keyboard-operable. The container outlives the view (the panel
 * draws each new view into it), so its listener is added once and reads the latest view from the
 * state; a live update keeps the highlighted category while it is still drawn.
 */
function attachKeyboard(view: View, ctx: ChartContext): void {
  const container = view.container()?.parentElement ?? null;
  if (!container) return;
  const points = scatterPoints(view);
  const xTitle = scatterXTitle(view);
  let state = keyboardStates.get(container);
  if (!state) {
    const doc = container.ownerDocument;
    const live = doc.createElement('div');
    live.className = 'sl-visually-hidden';
    live.setAttribute('aria-live', 'polite');
    live.setAttribute('data-testid', 'scatter-live');
    const ring = doc.createElement('div');
    ring.className = 'sl-scatter-highlight';
    ring.setAttribute('aria-hidden', 'true');
    ring.setAttribute('data-testid', 'scatter-highlight');
    ring.hidden = true;
    state = { view, ctx, points, xTitle, highlighted: null, live, ring };
    keyboardStates.set(container, state);
    const s = state;
    container.addEventListener('keydown', (ev) => onKey(s, ev));
  }
  Object.assign(state, { view, ctx, points, xTitle });
  container.classList.add('sl-chart-keyboard');
  container.tabIndex = 0;
  container.setAttribute('role', 'application');
  container.setAttribute('aria-roledescription', 'scatter plot');
  container.setAttribute(
    'aria-label',
    `Accuracy against ${xTitle ?? 'the index'}, ${points.length} categories; arrow keys move between categories in order of ${xTitle ?? 'the x value'} (left to right), Enter opens one, Escape leaves the highlight.`,
  );
  // The panel replaced the container's children with the new view: put the overlay and live region back.
  if (!state.ring.isConnected || state.ring.parentElement !== container) container.append(state.ring);
  if (state.live.parentElement !== container) container.append(state.live);
  if (state.highlighted !== null && !points.some((p) => p.category === state.highlighted)) state.highlighted = null;
  showHighlight(state, false);
}

function onKey(s: KeyboardState, ev: KeyboardEvent): void {
  const n = s.points.length;
  if (n === 0) return;
  const at = s.highlighted === null ? -1 : s.points.findIndex((p) => p.category === s.highlighted);
  let next: number | null = null;
  if (ev.key === 'ArrowRight' || ev.key === 'ArrowDown') next = at < 0 ? 0 : Math.min(n - 1, at + 1);
  else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowUp') next = at < 0 ? n - 1 : Math.max(0, at - 1);
  else if (ev.key === 'Home') next = 0;
  else if (ev.key === 'End') next = n - 1;
  else if ((ev.key === 'Enter' || ev.key === ' ') && at >= 0) {
    ev.preventDefault();
    openByName(s.ctx, s.points[at].category);
    return;
  } else if (ev.key === 'Escape' && s.highlighted !== null) {
    ev.preventDefault();
    s.highlighted = null;
    showHighlight(s, true);
    return;
  }
  if (next === null) return;
  ev.preventDefault();
  s.highlighted = s.points[next].category;
  showHighlight(s, true);
}

/** Places the ring over the highlighted point (vega's padding + origin + the item's position) and, when `announce`, says it. */
function showHighlight(s: KeyboardState, announce: boolean): void {
  const at = s.highlighted === null ? -1 : s.points.findIndex((p) => p.category === s.highlighted);
  if (at < 0) {
    s.ring.hidden = true;
    if (announce) s.live.textContent = 'No category highlighted.';
    return;
  }
  const p = s.points[at];
  // Vega's renderer translates the plot by the padding plus the origin (axes, title).
  const [ox, oy] = s.view.origin();
  const pad = s.view.padding();
  s.ring.style.left = `${(pad.left ?? 0) + ox + p.x}px`;
  s.ring.style.top = `${(pad.top ?? 0) + oy + p.y}px`;
  s.ring.hidden = false;
  s.ring.dataset.category = p.category;
  if (announce) s.live.textContent = announcePoint(p, s.xTitle, at + 1, s.points.length);
}
