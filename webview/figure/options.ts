/**
 * The figure dialog's options and their arithmetic (pure: no DOM, no vega). Sizes: a figure is laid
 * out in CSS pixels (96 per inch, as SVG and vega count them), so a width in mm is
 * mm / 25.4 * 96 layout pixels, and a PNG at D dpi is drawn with vega's scale factor D / 96:
 * 85 mm at 300 dpi is 321 layout px and 1004 image pixels, printed 85 mm wide.
 */
import { FIGURE_LIMITS, type FigureOptions } from '../../src/shared/protocol';

/** CSS pixels per inch (SVG user units and vega layout pixels). */
export const CSS_DPI = 96;
export const MM_PER_INCH = 25.4;

/** Defaults: a one-and-a-half-column figure (160 x 100 mm; multi-panel 180 x 150 mm) in print style, PNG at 300 dpi. */
export const DEFAULT_FIGURE_OPTIONS: FigureOptions = {
  figure: 'chart',
  format: 'png',
  style: 'print',
  unit: 'mm',
  width: 160,
  height: 100,
  dpi: 300,
  title: '',
  caption: '',
};

/** Default size of the multi-panel figure (a full-width figure of a journal page). */
export const DEFAULT_MULTI_PANEL_MM = { width: 180, height: 150 } as const;

/** Layout size in CSS pixels (whole pixels) of a width/height in the options' unit. */
export function layoutPx(value: number, unit: FigureOptions['unit']): number {
  return Math.round(unit === 'mm' ? (value / MM_PER_INCH) * CSS_DPI : value);
}

/** The scale factor vega's toCanvas needs for a PNG at `dpi`. */
export function pngScale(dpi: number): number {
  return dpi / CSS_DPI;
}

/** Pixels of the PNG of a figure laid out `px` CSS pixels wide (or high) at `dpi` (whole pixels, cut as a canvas cuts its size). */
export function pngPixels(px: number, dpi: number): number {
  return Math.floor(px * pngScale(dpi) + 1e-9);
}

export interface FigureSize {
  /** Layout size (CSS px; the SVG's size, 96 per inch). */
  width: number;
  height: number;
  /** The PNG's size in pixels at the chosen dpi. */
  pngWidth: number;
  pngHeight: number;
}

export function figureSize(o: FigureOptions): FigureSize {
  const width = layoutPx(o.width, o.unit);
  const height = layoutPx(o.height, o.unit);
  return { width, height, pngWidth: pngPixels(width, o.dpi), pngHeight: pngPixels(height, o.dpi) };
}

/** What is wrong with the options (each message names the field and the allowed range), empty when they can be exported. */
export function figureOptionErrors(o: FigureOptions): string[] {
  const errors: string[] = [];
  const [lo, hi] = o.unit === 'px' ? [FIGURE_LIMITS.minPx, FIGURE_LIMITS.maxPx] : [FIGURE_LIMITS.minMm, FIGURE_LIMITS.maxMm];
  for (const [name, v] of [['Width', o.width], ['Height', o.height]] as const) {
    if (!Number.isFinite(v) || v < lo || v > hi) errors.push(`${name} must be from ${lo} to ${hi} ${o.unit}.`);
  }
  if (!Number.isInteger(o.dpi) || o.dpi < FIGURE_LIMITS.minDpi || o.dpi > FIGURE_LIMITS.maxDpi) {
    errors.push(`DPI must be a whole number from ${FIGURE_LIMITS.minDpi} to ${FIGURE_LIMITS.maxDpi}.`);
  }
  if (errors.length === 0 && o.format === 'png') {
    const s = figureSize(o);
    const side = Math.max(s.pngWidth, s.pngHeight);
    if (side > FIGURE_LIMITS.maxPngSide) errors.push(`The PNG would be ${s.pngWidth} x ${s.pngHeight} pixels; its longest side can be at most ${FIGURE_LIMITS.maxPngSide}: lower the DPI or the size.`);
  }
  if (o.title.length > FIGURE_LIMITS.titleChars) errors.push(`The title can have at most ${FIGURE_LIMITS.titleChars} characters.`);
  if (o.caption.length > FIGURE_LIMITS.captionChars) errors.push(`The caption can have at most ${FIGURE_LIMITS.captionChars} characters.`);
  return errors;
}

/** Converts a width/height between units (mm ↔ px at 96 per inch), rounded to a whole mm or px. */
export function convertUnit(value: number, from: FigureOptions['unit'], to: FigureOptions['unit']): number {
  if (from === to) return value;
  return to === 'px' ? Math.round((value / MM_PER_INCH) * CSS_DPI) : Math.round((value / CSS_DPI) * MM_PER_INCH);
}

/** "140 x 90 mm, 1654 x 1063 px at 300 dpi" — what the dialog shows under the size fields. */
export function describeSize(o: FigureOptions): string {
  const s = figureSize(o);
  const mm = `${convertUnit(s.width, 'px', 'mm')} x ${convertUnit(s.height, 'px', 'mm')} mm`;
  return o.format === 'png' ? `${mm}; PNG ${s.pngWidth} x ${s.pngHeight} pixels at ${o.dpi} dpi` : `${mm}; SVG ${s.width} x ${s.height} px`;
}
