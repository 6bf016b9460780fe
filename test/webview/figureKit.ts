/** The vega kit for node tests (dynamic imports: vega's node build has a top-level await). */
import type { VegaKit } from '../../webview/figure/render';

export async function nodeVegaKit(): Promise<VegaKit> {
  const vl = (await import('vega-lite')) as unknown as { compile: VegaKit['compile'] };
  const vega = (await import('vega')) as unknown as { parse: VegaKit['parse']; View: VegaKit['View'] };
  const expr = (await import('vega-interpreter')).expressionInterpreter;
  return { compile: vl.compile, parse: vega.parse, View: vega.View, expr };
}
