/**
 * Draws a figure offscreen (issue 15): its own vega View (renderer 'none', never attached to the
 * page), so the charts in the panel are never touched by an export; the view is finalized after
 * each use. Finds the plot scale that makes the figure the chosen size (vega lays out axes,
 * legends and titles around the plots, so the outer size is measured, not predicted), then pads
 * the last pixel or two on the right and bottom so the figure is exactly that size.
 *
 * vega, vega-lite and the interpreter come in as a VegaKit (figure/kit.ts in the webview; the unit
 * tests import them dynamically), which keeps this module loadable by node's test runner.
 */
import type { ChartExportFormat } from '../../src/shared/protocol';
import type { VlSpec } from '../specs';
import { FIGURE_PADDING } from './spec';
import { pngScale } from './options';

export interface VegaView {
  runAsync(): Promise<unknown>;
  toSVG(scaleFactor?: number): Promise<string>;
  toImageURL(type: 'png', scaleFactor?: number): Promise<string>;
  finalize(): void;
}

export interface VegaKit {
  compile(spec: object, opts: { config: Record<string, unknown> }): { spec: object };
  parse(spec: object, config?: object, opts?: { ast: boolean }): unknown;
  View: new (runtime: unknown, opts: { renderer: 'none'; expr: unknown; logLevel?: number }) => VegaView;
  expr: unknown;
}

/** Runs `use` with a fresh offscreen view of `spec`, and finalizes the view whatever happens. */
export async function withOffscreenView<T>(kit: VegaKit, spec: VlSpec, config: Record<string, unknown>, use: (view: VegaView) => Promise<T>): Promise<T> {
  const vg = kit.compile(spec, { config }).spec;
  const view = new kit.View(kit.parse(vg, undefined, { ast: true }), { renderer: 'none', expr: kit.expr, logLevel: 0 });
  try {
    await view.runAsync();
    return await use(view);
  } finally {
    view.finalize();
  }
}

/** Width and height (layout px) of an SVG document vega wrote. */
export function svgSize(svg: string): { width: number; height: number } {
  const head = svg.slice(0, svg.indexOf('>') + 1);
  const w = head.match(/\swidth="([\d.]+)"/);
  const h = head.match(/\sheight="([\d.]+)"/);
  if (!w || !h) throw new Error('vega wrote an SVG without a width and height');
  return { width: Number(w[1]), height: Number(h[1]) };
}

export type Padding = { left: number; top: number; right: number; bottom: number };
/** Builds the figure's spec for plot scale (sx, sy) and outer padding. */
export type FigureBuilder = (sx: number, sy: number, padding: Padding) => VlSpec;

export interface FittedFigure {
  spec: VlSpec;
  width: number;
  height: number;
}

const even = (p: number): Padding => ({ left: p, top: p, right: p, bottom: p });

/**
 * The figure at exactly `target` (layout px): secant steps on the plot scale per axis until the
 * measured size is at most the target and within 2 px of it, then the rest as padding. Throws,
 * saying the smallest size reached, when the axes, legends and text alone are bigger than the target.
 */
export async function fitFigure(kit: VegaKit, build: FigureBuilder, target: { width: number; height: number }, config: Record<string, unknown>): Promise<FittedFigure> {
  const measure = async (sx: number, sy: number) => ({ sx, sy, ...svgSize(await withOffscreenView(kit, build(sx, sy, even(FIGURE_PADDING)), config, (v) => v.toSVG())) });
  const fits = (m: { width: number; height: number }) => m.width <= target.width && m.height <= target.height && target.width - m.width <= 2 && target.height - m.height <= 2;
  // Aim a pixel under the target: the padding makes up the rest, never a crop.
  const aimW = target.width - 1;
  const aimH = target.height - 1;
  let a = await measure(1, 1);
  let b = a.width === aimW && a.height === aimH ? a : await measure(a.sx * Math.max(0.05, aimW / a.width), a.sy * Math.max(0.05, aimH / a.height));
  for (let i = 0; i < 8 && !fits(b); i++) {
    const step = (t: number, s0: number, v0: number, s1: number, v1: number): number => {
      const slope = (v1 - v0) / (s1 - s0);
      const next = Number.isFinite(slope) && Math.abs(slope) > 1e-6 ? s1 + (t - v1) / slope : s1 * (t / v1);
      return Math.max(0.01, Math.min(50, next));
    };
    const sx = b.width === aimW || Math.abs(b.sx - a.sx) < 1e-9 ? b.sx * (aimW / b.width) : step(aimW, a.sx, a.width, b.sx, b.width);
    const sy = b.height === aimH || Math.abs(b.sy - a.sy) < 1e-9 ? b.sy * (aimH / b.height) : step(aimH, a.sy, a.height, b.sy, b.height);
    if (Math.abs(sx - b.sx) < 1e-6 && Math.abs(sy - b.sy) < 1e-6) break;
    a = b;
    b = await measure(sx, sy);
  }
  if (b.width > target.width || b.height > target.height) {
    throw new Error(`The figure does not fit in ${target.width} x ${target.height} px: its axes, legends and text alone take about ${Math.round(b.width)} x ${Math.round(b.height)} px. Choose a larger size or a shorter caption.`);
  }
  const padding: Padding = {
    left: FIGURE_PADDING,
    top: FIGURE_PADDING,
    right: FIGURE_PADDING + (target.width - b.width),
    bottom: FIGURE_PADDING + (target.height - b.height),
  };
  const spec = build(b.sx, b.sy, padding);
  return { spec, width: target.width, height: target.height };
}

/** The exported data of a figure: an SVG document, or a PNG data URL drawn at `dpi` (scale factor dpi / 96). */
export async function figureData(kit: VegaKit, spec: VlSpec, config: Record<string, unknown>, format: ChartExportFormat, dpi: number): Promise<string> {
  return withOffscreenView(kit, spec, config, (view) => (format === 'svg' ? view.toSVG() : view.toImageURL('png', pngScale(dpi))));
}
