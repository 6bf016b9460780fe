/** The vega kit of the webview bundle (figure/render.ts takes it as an argument; see there why). */
import { parse, View } from 'vega';
import { compile } from 'vega-lite';
import { expressionInterpreter } from 'vega-interpreter';
import type { VegaKit } from './render';
import type { TextWidth } from './spec';

let measureCanvas: CanvasRenderingContext2D | null = null;
/** Text width as the canvas (and so vega's PNG and SVG layout in the browser) measures it. */
export const CANVAS_TEXT_WIDTH: TextWidth = (text, fontSize, font, bold) => {
  measureCanvas ??= document.createElement('canvas').getContext('2d');
  if (!measureCanvas) return 0.8 * fontSize * text.length;
  measureCanvas.font = `${bold ? 'bold ' : ''}${fontSize}px ${font}`;
  return measureCanvas.measureText(text).width;
};

export const WEBVIEW_VEGA_KIT: VegaKit = {
  compile: (spec, opts) => compile(spec as Parameters<typeof compile>[0], opts as Parameters<typeof compile>[1]),
  parse: (spec, config, opts) => parse(spec as Parameters<typeof parse>[0], config as Parameters<typeof parse>[1], opts),
  View: View as unknown as VegaKit['View'],
  expr: expressionInterpreter,
};
