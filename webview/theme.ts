/**
 * Chart colours and fonts. In the VS Code webview they come from the theme's CSS variables
 * (light, dark, high contrast); in the standalone report.html from the page's fallbacks.
 * Vega draws into SVG attributes and canvas (PNG export), which cannot use `var(...)`, so the
 * values are resolved with getComputedStyle and charts are re-rendered when the theme changes.
 */

export interface ChartTheme {
  /** 'print': PRINT_THEME, for exported figures (independent of the VS Code theme). */
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light' | 'print';
  foreground: string;
  muted: string;
  background: string;
  grid: string;
  font: string;
  fontSize: number;
  trained: string;
  permuted: string;
  norelu: string;
  reference: string;
  significant: string;
  insignificant: string;
}

export const LIGHT_THEME: ChartTheme = {
  kind: 'light',
  foreground: '#3b3b3b',
  muted: '#717171',
  background: '#ffffff',
  grid: '#e5e5e5',
  font: 'system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif',
  fontSize: 12,
  trained: '#1a85ff',
  permuted: '#8a8a8a',
  norelu: '#d18616',
  reference: '#b5200d',
  significant: '#1a85ff',
  insignificant: '#a0a0a0',
};

export const DARK_THEME: ChartTheme = {
  ...LIGHT_THEME,
  kind: 'dark',
  foreground: '#cccccc',
  muted: '#9d9d9d',
  background: '#1f1f1f',
  grid: '#3c3c3c',
  trained: '#3794ff',
  permuted: '#9d9d9d',
  norelu: '#e2a03f',
  reference: '#f48771',
  significant: '#3794ff',
  insignificant: '#6e6e6e',
};

/**
 * Figures for a paper or slide (the figure export): white background, black text and axes, and
 * series that survive greyscale printing — black / mid grey / dark grey, told apart by the marks'
 * shapes and dashes (specs.ts SERIES_STYLE), which every theme uses. Independent of VS Code's theme.
 */
export const PRINT_THEME: ChartTheme = {
  kind: 'print',
  foreground: '#000000',
  muted: '#404040',
  background: '#ffffff',
  grid: '#d9d9d9',
  font: 'Helvetica, Arial, "Liberation Sans", sans-serif',
  fontSize: 11,
  trained: '#000000',
  permuted: '#7a7a7a',
  norelu: '#3d3d3d',
  reference: '#000000',
  significant: '#000000',
  insignificant: '#c8c8c8',
};

/** Series colours of the high-contrast themes (contrast ≥ 4.5 against black / white). */
export const HC_DARK_SERIES = { trained: '#75beff', norelu: '#ffb86c', reference: '#ff7a7a', significant: '#75beff' } as const;
export const HC_LIGHT_SERIES = { trained: '#0f4a85', norelu: '#8a3f00', reference: '#b5200d', significant: '#0f4a85' } as const;

/** A high-contrast chart theme from the page's colours (readTheme; tests). */
export function highContrastTheme(
  kind: 'high-contrast' | 'high-contrast-light',
  page: { foreground: string; background: string; grid: string; font: string; fontSize: number },
): ChartTheme {
  const pal = kind === 'high-contrast' ? HC_DARK_SERIES : HC_LIGHT_SERIES;
  return { kind, ...page, muted: page.foreground, ...pal, permuted: page.foreground, insignificant: page.foreground };
}

/** Theme kind from the classes VS Code puts on <body>. */
export function themeKindOf(classList: { contains(c: string): boolean }, prefersDark = false): ChartTheme['kind'] {
  if (classList.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (classList.contains('vscode-high-contrast')) return 'high-contrast';
  if (classList.contains('vscode-dark')) return 'dark';
  if (classList.contains('vscode-light')) return 'light';
  return prefersDark ? 'dark' : 'light';
}

/** Reads the chart theme from CSS variables (VS Code's, with the report's own fallbacks). */
export function readTheme(el: HTMLElement = document.body): ChartTheme {
  const kind = themeKindOf(el.classList, typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches);
  const base = kind === 'dark' || kind === 'high-contrast' ? DARK_THEME : LIGHT_THEME;
  const cs = getComputedStyle(el);
  const v = (name: string, fallback: string): string => {
    const x = cs.getPropertyValue(name).trim();
    return x || fallback;
  };
  const hc = kind === 'high-contrast' || kind === 'high-contrast-light';
  const fg = v('--vscode-editor-foreground', v('--vscode-foreground', base.foreground));
  const size = parseFloat(v('--vscode-font-size', String(base.fontSize)));
  if (hc) {
    // High contrast: VS Code's chart colours are not distinct there (charts-blue and -orange are
    // both blue in HC light), so series get a fixed palette of their own, told apart by shape and
    // dash as well (specs.ts SERIES_STYLE); significance by fill vs hollow (significanceStyle).
    return highContrastTheme(kind, {
      foreground: fg,
      background: v('--vscode-editor-background', base.background),
      grid: v('--vscode-contrastBorder', fg),
      font: v('--vscode-font-family', base.font),
      fontSize: Number.isFinite(size) && size > 6 ? size : base.fontSize,
    });
  }
  return {
    kind,
    foreground: fg,
    muted: hc ? fg : v('--vscode-descriptionForeground', base.muted),
    background: v('--vscode-editor-background', base.background),
    grid: hc ? v('--vscode-contrastBorder', fg) : v('--vscode-charts-lines', base.grid),
    font: v('--vscode-font-family', base.font),
    fontSize: Number.isFinite(size) && size > 6 ? size : base.fontSize,
    trained: v('--vscode-charts-blue', base.trained),
    permuted: hc ? fg : v('--vscode-charts-foreground', base.permuted),
    norelu: v('--vscode-charts-orange', base.norelu),
    reference: v('--vscode-charts-red', base.reference),
    significant: v('--vscode-charts-blue', base.significant),
    insignificant: hc ? v('--vscode-contrastBorder', fg) : base.insignificant,
  };
}

export function isHighContrast(t: ChartTheme): boolean {
  return t.kind === 'high-contrast' || t.kind === 'high-contrast-light';
}

/** Vega(-Lite) config for a theme: transparent background, theme text, grid and font. */
export function vegaConfig(t: ChartTheme): Record<string, unknown> {
  // High contrast and print: axes in the text colour (print: black), not the muted grey.
  const hc = isHighContrast(t);
  const strongAxes = hc || t.kind === 'print';
  const axis = {
    labelColor: t.foreground,
    titleColor: t.foreground,
    domainColor: strongAxes ? t.foreground : t.muted,
    tickColor: strongAxes ? t.foreground : t.muted,
    gridColor: t.grid,
    gridOpacity: hc ? 0.6 : 1,
    labelFont: t.font,
    titleFont: t.font,
    labelFontSize: t.fontSize - 1,
    titleFontSize: t.fontSize,
    titleFontWeight: 600,
  };
  return {
    // On screen the chart sits on the panel's own background; a printed figure carries its white.
    background: t.kind === 'print' ? t.background : 'transparent',
    font: t.font,
    view: { stroke: hc ? t.foreground : 'transparent' },
    axis,
    legend: {
      labelColor: t.foreground,
      titleColor: t.foreground,
      labelFont: t.font,
      titleFont: t.font,
      labelFontSize: t.fontSize - 1,
      titleFontSize: t.fontSize,
      orient: 'bottom',
      direction: 'horizontal',
      symbolStrokeWidth: hc ? 2.5 : 1.5,
    },
    title: { color: t.foreground, font: t.font, fontSize: t.fontSize + 1, fontWeight: 600, anchor: 'start', subtitleColor: t.muted, subtitleFont: t.font },
    text: { color: t.foreground, font: t.font },
    line: { strokeWidth: hc ? 3 : 2 },
    point: { strokeWidth: hc ? 2 : 1 },
    rule: { strokeWidth: hc ? 2.5 : 1.5 },
    boxplot: { ticks: false },
  };
}
