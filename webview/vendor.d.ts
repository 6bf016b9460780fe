/**
 * Minimal type declarations for the parts of vega / vega-lite / vega-embed this project uses.
 * Their packages publish types only through package.json "exports", which the project's
 * `moduleResolution: node` cannot see; these ambient declarations stand in (the bundler,
 * esbuild, resolves the real modules).
 */
declare module 'vega-embed' {
  export interface VegaView {
    toSVG(scaleFactor?: number): Promise<string>;
    toImageURL(type: 'png' | 'svg', scaleFactor?: number): Promise<string>;
    finalize(): void;
    runAsync(): Promise<VegaView>;
    signal(name: string, value?: unknown): unknown;
    /** Vega's scenegraph events; `item` is the mark item under the pointer (its `datum`: the data row), if any. */
    addEventListener(type: string, handler: (event: Event, item: { datum?: unknown } | null | undefined) => void): VegaView;
  }
  export interface EmbedOptions {
    renderer?: 'svg' | 'canvas' | 'none';
    actions?: boolean | Record<string, boolean>;
    mode?: 'vega' | 'vega-lite';
    ast?: boolean;
    expr?: unknown;
    defaultStyle?: boolean | string;
    tooltip?: boolean | { disableDefaultStyle?: boolean; theme?: string; offsetX?: number; offsetY?: number; sanitize?: (v: unknown) => string };
    config?: Record<string, unknown>;
    logLevel?: number;
    hover?: boolean;
    downloadFileName?: string;
    scaleFactor?: number;
    width?: number;
    height?: number;
    padding?: number | Record<string, number>;
  }
  export interface Result {
    view: VegaView;
    spec: unknown;
    vgSpec: unknown;
    finalize(): void;
  }
  export default function embed(el: HTMLElement | string, spec: object, opts?: EmbedOptions): Promise<Result>;
}

declare module 'vega-lite' {
  export function compile(spec: object, opt?: { config?: object }): { spec: object };
}

declare module 'vega' {
  export interface View {
    toSVG(scaleFactor?: number): Promise<string>;
    runAsync(): Promise<View>;
    finalize(): void;
    data(name: string): unknown[];
    scenegraph(): unknown;
  }
  export const View: new (runtime: unknown, options?: { renderer?: string; expr?: unknown; logLevel?: number }) => View;
  export function parse(spec: object, config?: object, options?: { ast?: boolean }): unknown;
  export const Warn: number;
  export const Error: number;
  export const None: number;
}
