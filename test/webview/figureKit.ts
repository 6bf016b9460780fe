/** The vega kit for node tests (dynamic imports: vega's node build has a top-level await) and headless views of specs. */
import type { VegaKit, VegaView } from '../../webview/figure/render';

export async function nodeVegaKit(): Promise<VegaKit> {
  const vl = (await import('vega-lite')) as unknown as { compile: VegaKit['compile'] };
  const vega = (await import('vega')) as unknown as { parse: VegaKit['parse']; View: VegaKit['View'] };
  const expr = (await import('vega-interpreter')).expressionInterpreter;
  return { compile: vl.compile, parse: vega.parse, View: vega.View, expr };
}

/** A headless vega View of a vega-lite spec, made as the webview makes its views (AST + interpreter, CSP-safe). */
export function headlessView<V extends object = VegaView>(kit: VegaKit, spec: object, config: Record<string, unknown>): V {
  const vg = kit.compile(spec, { config }).spec;
  return new kit.View(kit.parse(vg, undefined, { ast: true }), { renderer: 'none', expr: kit.expr, logLevel: 0 }) as unknown as V;
}
