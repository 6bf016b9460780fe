/**
 * The one host ↔ webview message protocol of the report panel (and the custom editor for
 * `*.sparsity.json`). Imported by both sides: the extension host (src/extension) and the
 * webview bundle (webview/). Pure TypeScript, no `vscode`, no DOM.
 *
 * Rule: the host validates EVERY message that comes from the webview with
 * `validateWebviewMessage` before acting on it; anything else is dropped and logged.
 * Webview → host payloads are small and typed; exported chart images carry their data
 * (an SVG document or a PNG data URL) and are size-checked.
 *
 * Messages and their validation only: display text (progress lines, ETA) is in
 * src/core/report/format.ts.
 */
import type { ProgressEvent } from '../core/analyzeTypes';
import type { SparsityReport } from '../core/report/schema';

export const PROTOCOL_VERSION = 1;

/** Charts of the panel; also the `data-testid` suffix of their containers (`chart-<id>`). */
export const CHART_IDS = ['psi-by-layer', 'psi-distribution', 'psi-accuracy-r', 'accuracy-scatter', 'index-small-multiples', 'layer-diagnostics'] as const;
export type ChartId = (typeof CHART_IDS)[number];

export const REPORT_EXPORT_FORMATS = ['json', 'csv', 'html'] as const;
export type ReportExportFormat = (typeof REPORT_EXPORT_FORMATS)[number];

export const CHART_EXPORT_FORMATS = ['svg', 'png'] as const;
export type ChartExportFormat = (typeof CHART_EXPORT_FORMATS)[number];

export type RunStatus = 'running' | 'done' | 'cancelled' | 'failed';

/** Where the report shown in a panel comes from. */
export interface ReportSource {
  /** `live`: a run of this window (partial reports until done); `file`: a saved report. */
  kind: 'live' | 'file';
  /** Absolute path of the saved `report.sparsity.json`, when there is one. */
  reportPath?: string;
  /** Identifies the run of a live panel. */
  runId?: string;
  /** The image folder of a live run: after a reload, the panel offers to resume this folder's interrupted run (issue 15). */
  datasetPath?: string;
}

// ---------------------------------------------------------------- figures for a paper (issue 15)

/** What a figure export shows: one chart, or the multi-panel figure (PSI by layer, r by layer, accuracy vs PSI). */
export type FigureId = ChartId | 'multi-panel';
/** `print`: white background, black text, greyscale-safe series; `shown`: the panel's theme. */
export const FIGURE_STYLES = ['print', 'shown'] as const;
export type FigureStyle = (typeof FIGURE_STYLES)[number];
export const FIGURE_UNITS = ['px', 'mm'] as const;
export type FigureUnit = (typeof FIGURE_UNITS)[number];

/** The figure dialog's choices, remembered per panel (webview state). Width/height are in `unit`. */
export interface FigureOptions {
  figure: 'chart' | 'multi-panel';
  format: ChartExportFormat;
  style: FigureStyle;
  unit: FigureUnit;
  width: number;
  height: number;
  dpi: number;
  title: string;
  caption: string;
}

/** Bounds of the figure options (the dialog says when a value is outside them; the host re-checks dpi). */
export const FIGURE_LIMITS = {
  minPx: 120,
  maxPx: 4000,
  minMm: 30,
  maxMm: 1000,
  minDpi: 50,
  maxDpi: 1200,
  /** Longest side of a PNG in pixels (Chromium's canvas refuses much more). */
  maxPngSide: 16000,
  titleChars: 300,
  captionChars: 2000,
} as const;

// ---------------------------------------------------------------- shared by both panels

/**
 * What the user can do from a panel with no report (issue 15): buttons under the empty message,
 * each sent back as `emptyAction`; the host runs the matching command (Try the Demo, Analyze Sparsity).
 */
export const EMPTY_ACTIONS = ['tryDemo', 'analyzeFolder'] as const;
export type EmptyAction = (typeof EMPTY_ACTIONS)[number];

/** Nothing to render (e.g. a restored live panel whose run did not survive a reload); `actions`: what to do instead. */
export type EmptyMessage = { type: 'empty'; message: string; actions?: EmptyAction[] };
/** Result of an export the webview asked for. */
export type ExportResultMessage = { type: 'exportResult'; ok: boolean; message: string };
/** The webview script has loaded and listens; the host then sends the current state. */
export type ReadyMessage = { type: 'ready'; protocol: number };
/** Save one chart; `data` is an SVG document (`svg`) or a `data:image/png;base64,` URL (`png`). */
export type ExportChartMessage<C extends string> = { type: 'exportChart'; chart: C; format: ChartExportFormat; data: string };
/** Save a figure (dialog export): the image data as for exportChart, and the PNG's DPI (written into its pHYs chunk). */
export type ExportFigureMessage = { type: 'exportFigure'; figure: FigureId; format: ChartExportFormat; dpi: number; data: string };
/** A line for the "Sparsity Lens" output channel (webview errors, render timings). */
export type LogMessage = { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

// ---------------------------------------------------------------- host → webview

export type HostToWebviewMessage =
  /** A (partial or complete) report to render. `report.complete` tells which. */
  | { type: 'report'; report: SparsityReport; source: ReportSource }
  /** Progress of the live run shown in the panel. */
  | { type: 'progress'; runId: string; progress: ProgressEvent }
  /** Status of the live run (running → done | cancelled | failed). */
  | { type: 'runStatus'; runId: string; status: RunStatus; message?: string; reportPath?: string }
  | EmptyMessage
  | ExportResultMessage
  | CategoryImagesMessage
  /** After an `empty`: the panel's run was interrupted and can be resumed; `description` says which run (issue 15). */
  | ResumableMessage;

export type ResumableMessage = { type: 'resumable'; description: string };

/**
 * A few images of one category for the drill-down (answer to `listCategoryImages`): webview URIs
 * of the first files by name, or `error` saying why there are none (dataset folder gone, …).
 */
export type CategoryImagesMessage = {
  type: 'categoryImages';
  /** The category's index in report.categories, and its name (the webview checks both still match). */
  category: number;
  name: string;
  /** Thumbnails, in file-name order: the file name (relative to the category folder) and its webview URI. */
  images: { file: string; uri: string }[];
  /** Image files of the folder not shown (past the limit, or formats the panel cannot preview). */
  more: number;
  /** Why nothing can be shown (the folder is gone, outside the dataset, …); absent when `images` is the answer. */
  error?: string;
  /** Something the reader should know about the listing (e.g. images in sub-folders are not listed). */
  note?: string;
};

// ---------------------------------------------------------------- webview → host

export type WebviewToHostMessage =
  | ReadyMessage
  /** Save the whole report as JSON, CSV (long format) or standalone HTML (host shows a save dialog). */
  | { type: 'exportReport'; format: ReportExportFormat }
  /** Open "Sparsity Lens: Analysis Options…" (images per category, preprocessing mean/std) for the shown report's folder. */
  | { type: 'openAnalysisOptions' }
  | ExportChartMessage<ChartId>
  | ExportFigureMessage
  /** Cancel the live run shown in this panel. */
  | { type: 'cancelRun'; runId: string }
  /** Reveal a skipped file (by its index in report.skipped; never a path from the webview). */
  | { type: 'revealSkipped'; index: number }
  /** A few thumbnails of a category (by its index in report.categories; never a path from the webview). */
  | { type: 'listCategoryImages'; category: number }
  /** A button of the empty panel (EMPTY_ACTIONS) was clicked. */
  | { type: 'emptyAction'; action: EmptyAction }
  /** Run the shown report's dataset again with the report's settings (the host uses its own copy of the report). */
  | { type: 'runAgain' }
  /** Resume the interrupted run the host offered with `resumable` (the host knows which folder; never a path from here). */
  | { type: 'resumeRun' }
  /** Put this text (the provenance, as text or JSON) on the clipboard. */
  | { type: 'copyText'; text: string }
  | LogMessage;

/** What the webview keeps across reloads (`vscode.setState`) and the serializer gets back. */
export interface WebviewPersistedState {
  source?: ReportSource;
  selectedLayer?: string;
  /** The PSI distribution chart's Pass dropdown choice (webview/charts/psiDistribution.ts). */
  distributionPass?: string;
  sort?: { column: string; descending: boolean };
  /** The figure dialog's last choices in this panel. */
  figure?: FigureOptions;
}

/** Upper bounds on webview → host payloads. */
export const LIMITS = {
  svgChars: 20 * 1024 * 1024,
  pngDataUrlChars: 40 * 1024 * 1024,
  logChars: 4000,
  idChars: 200,
  skippedIndex: 10_000_000,
  categoryIndex: 10_000_000,
  copyChars: 1_000_000,
} as const;

export type ValidationResult<T> = { ok: true; message: T } | { ok: false; error: string };

const PNG_PREFIX = 'data:image/png;base64,';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function oneOf<T extends string>(list: readonly T[], v: unknown): v is T {
  return typeof v === 'string' && (list as readonly string[]).includes(v);
}

/** Exactly these keys (plus `type`), nothing else. */
function onlyKeys(m: Record<string, unknown>, keys: string[]): string | null {
  for (const k of Object.keys(m)) {
    if (k !== 'type' && !keys.includes(k)) return `unexpected field "${k}"`;
  }
  return null;
}

function fail<T>(error: string): ValidationResult<T> {
  return { ok: false, error };
}

/** Why `data` is not an image of `format` within the size limits, or null when it is one. */
function imageDataError(format: ChartExportFormat, data: unknown): string | null {
  if (typeof data !== 'string') return 'data must be a string';
  if (format === 'svg') {
    if (data.length > LIMITS.svgChars) return 'svg too large';
    const head = data.slice(0, 512).trimStart();
    if (!(head.startsWith('<svg') || head.startsWith('<?xml'))) return 'data is not an SVG document';
  } else {
    if (data.length > LIMITS.pngDataUrlChars) return 'png too large';
    if (!data.startsWith(PNG_PREFIX)) return 'data is not a PNG data URL';
    const b64 = data.slice(PNG_PREFIX.length);
    if (b64.length === 0 || b64.length % 4 !== 0 || !BASE64.test(b64)) return 'PNG data is not base64';
  }
  return null;
}

/**
 * Validates a message received from the webview. Returns a fresh, typed copy (only the known
 * fields) or the reason it was rejected. Never throws.
 */
export function validateWebviewMessage(raw: unknown): ValidationResult<WebviewToHostMessage> {
  if (!isRecord(raw)) return fail('not an object');
  const t = raw.type;
  if (typeof t !== 'string') return fail('missing "type"');
  switch (t) {
    case 'ready': {
      const extra = onlyKeys(raw, ['protocol']);
      if (extra) return fail(extra);
      if (raw.protocol !== PROTOCOL_VERSION) return fail(`protocol ${String(raw.protocol)} is not ${PROTOCOL_VERSION}`);
      return { ok: true, message: { type: 'ready', protocol: PROTOCOL_VERSION } };
    }
    case 'exportReport': {
      const extra = onlyKeys(raw, ['format']);
      if (extra) return fail(extra);
      if (!oneOf(REPORT_EXPORT_FORMATS, raw.format)) return fail('format must be json, csv or html');
      return { ok: true, message: { type: 'exportReport', format: raw.format } };
    }
    case 'exportChart': {
      const extra = onlyKeys(raw, ['chart', 'format', 'data']);
      if (extra) return fail(extra);
      if (!oneOf(CHART_IDS, raw.chart)) return fail('unknown chart');
      if (!oneOf(CHART_EXPORT_FORMATS, raw.format)) return fail('format must be svg or png');
      const data = raw.data;
      const bad = imageDataError(raw.format, data);
      if (bad) return fail(bad);
      return { ok: true, message: { type: 'exportChart', chart: raw.chart, format: raw.format, data: data as string } };
    }
    case 'exportFigure': {
      const extra = onlyKeys(raw, ['figure', 'format', 'dpi', 'data']);
      if (extra) return fail(extra);
      if (!(raw.figure === 'multi-panel' || oneOf(CHART_IDS, raw.figure))) return fail('unknown figure');
      if (!oneOf(CHART_EXPORT_FORMATS, raw.format)) return fail('format must be svg or png');
      const dpi = raw.dpi;
      if (typeof dpi !== 'number' || !Number.isInteger(dpi) || dpi < FIGURE_LIMITS.minDpi || dpi > FIGURE_LIMITS.maxDpi) {
        return fail(`dpi must be an integer from ${FIGURE_LIMITS.minDpi} to ${FIGURE_LIMITS.maxDpi}`);
      }
      const bad = imageDataError(raw.format, raw.data);
      if (bad) return fail(bad);
      return { ok: true, message: { type: 'exportFigure', figure: raw.figure as FigureId, format: raw.format, dpi, data: raw.data as string } };
    }
    case 'cancelRun': {
      const extra = onlyKeys(raw, ['runId']);
      if (extra) return fail(extra);
      if (typeof raw.runId !== 'string' || raw.runId.length === 0 || raw.runId.length > LIMITS.idChars) {
        return fail('runId must be a short string');
      }
      return { ok: true, message: { type: 'cancelRun', runId: raw.runId } };
    }
    case 'openAnalysisOptions': {
      const extra = onlyKeys(raw, []);
      if (extra) return fail(extra);
      return { ok: true, message: { type: 'openAnalysisOptions' } };
    }
    case 'revealSkipped': {
      const extra = onlyKeys(raw, ['index']);
      if (extra) return fail(extra);
      const i = raw.index;
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i > LIMITS.skippedIndex) {
        return fail('index must be a non-negative integer');
      }
      return { ok: true, message: { type: 'revealSkipped', index: i } };
    }
    case 'runAgain':
    case 'resumeRun': {
      const extra = onlyKeys(raw, []);
      if (extra) return fail(extra);
      return { ok: true, message: { type: t } };
    }
    case 'copyText': {
      const extra = onlyKeys(raw, ['text']);
      if (extra) return fail(extra);
      if (typeof raw.text !== 'string' || raw.text.length === 0) return fail('text must be a non-empty string');
      if (raw.text.length > LIMITS.copyChars) return fail('text too large');
      return { ok: true, message: { type: 'copyText', text: raw.text } };
    }
    case 'emptyAction': {
      const extra = onlyKeys(raw, ['action']);
      if (extra) return fail(extra);
      if (!oneOf(EMPTY_ACTIONS, raw.action)) return fail(`action must be one of ${EMPTY_ACTIONS.join(', ')}`);
      return { ok: true, message: { type: 'emptyAction', action: raw.action } };
    }
    case 'listCategoryImages': {
      const extra = onlyKeys(raw, ['category']);
      if (extra) return fail(extra);
      const i = raw.category;
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i > LIMITS.categoryIndex) {
        return fail('category must be a non-negative integer');
      }
      return { ok: true, message: { type: 'listCategoryImages', category: i } };
    }
    case 'log': {
      const extra = onlyKeys(raw, ['level', 'message']);
      if (extra) return fail(extra);
      if (!oneOf(['info', 'warn', 'error'] as const, raw.level)) return fail('level must be info, warn or error');
      if (typeof raw.message !== 'string') return fail('message must be a string');
      return { ok: true, message: { type: 'log', level: raw.level, message: raw.message.slice(0, LIMITS.logChars) } };
    }
    default:
      return fail(`unknown message type "${t.slice(0, 40)}"`);
  }
}

/** Light check on the webview side (the host is trusted, but a stray postMessage is not). */
export function isHostMessage(raw: unknown): raw is HostToWebviewMessage {
  if (!isRecord(raw) || typeof raw.type !== 'string') return false;
  switch (raw.type) {
    case 'report':
      return isRecord(raw.report) && isRecord(raw.source) && Array.isArray((raw.report as { passes?: unknown }).passes);
    case 'progress':
      return typeof raw.runId === 'string' && isRecord(raw.progress);
    case 'runStatus':
      return typeof raw.runId === 'string' && oneOf(['running', 'done', 'cancelled', 'failed'] as const, raw.status);
    case 'empty':
    case 'exportResult':
      return isCommonHostMessage(raw);
    case 'categoryImages':
      return (
        typeof raw.category === 'number' &&
        typeof raw.name === 'string' &&
        typeof raw.more === 'number' &&
        Array.isArray(raw.images) &&
        raw.images.every((x) => isRecord(x) && typeof x.file === 'string' && typeof x.uri === 'string') &&
        (raw.error === undefined || typeof raw.error === 'string') &&
        (raw.note === undefined || typeof raw.note === 'string')
      );
    case 'resumable':
      return typeof raw.description === 'string';
    default:
      return false;
  }
}

/** The host → webview messages both panels send (`empty`, `exportResult`): is `raw` a valid one? */
export function isCommonHostMessage(raw: Record<string, unknown>): raw is EmptyMessage | ExportResultMessage {
  switch (raw.type) {
    case 'empty':
      return typeof raw.message === 'string' && (raw.actions === undefined || (Array.isArray(raw.actions) && raw.actions.every((a) => oneOf(EMPTY_ACTIONS, a))));
    case 'exportResult':
      return typeof raw.ok === 'boolean' && typeof raw.message === 'string';
    default:
      return false;
  }
}

/** Validates a state object restored by VS Code (it was written by the webview: treat as untrusted). */
export function sanitizePersistedState(raw: unknown): WebviewPersistedState {
  const out: WebviewPersistedState = {};
  if (!isRecord(raw)) return out;
  const s = raw.source;
  if (isRecord(s) && (s.kind === 'live' || s.kind === 'file')) {
    out.source = { kind: s.kind };
    if (typeof s.reportPath === 'string' && s.reportPath.length < 4096) out.source.reportPath = s.reportPath;
    if (typeof s.runId === 'string' && s.runId.length < LIMITS.idChars) out.source.runId = s.runId;
    if (typeof s.datasetPath === 'string' && s.datasetPath.length < 4096) out.source.datasetPath = s.datasetPath;
  }
  if (typeof raw.selectedLayer === 'string' && raw.selectedLayer.length < 500) out.selectedLayer = raw.selectedLayer;
  if (typeof raw.distributionPass === 'string' && raw.distributionPass.length < LIMITS.idChars) out.distributionPass = raw.distributionPass;
  const sort = raw.sort;
  if (isRecord(sort) && typeof sort.column === 'string' && sort.column.length < 500 && typeof sort.descending === 'boolean') {
    out.sort = { column: sort.column, descending: sort.descending };
  }
  const figure = sanitizeFigureOptions(raw.figure);
  if (figure) out.figure = figure;
  return out;
}

/** Figure options restored from webview state, each field checked against FIGURE_LIMITS; null when not options. */
export function sanitizeFigureOptions(raw: unknown): FigureOptions | null {
  if (!isRecord(raw)) return null;
  const unit = oneOf(FIGURE_UNITS, raw.unit) ? raw.unit : null;
  if (!unit || !oneOf(FIGURE_STYLES, raw.style) || !oneOf(CHART_EXPORT_FORMATS, raw.format) || !(raw.figure === 'chart' || raw.figure === 'multi-panel')) return null;
  const [lo, hi] = unit === 'px' ? [FIGURE_LIMITS.minPx, FIGURE_LIMITS.maxPx] : [FIGURE_LIMITS.minMm, FIGURE_LIMITS.maxMm];
  const inRange = (v: unknown, a: number, b: number): v is number => typeof v === 'number' && Number.isFinite(v) && v >= a && v <= b;
  if (!inRange(raw.width, lo, hi) || !inRange(raw.height, lo, hi) || !inRange(raw.dpi, FIGURE_LIMITS.minDpi, FIGURE_LIMITS.maxDpi)) return null;
  if (typeof raw.title !== 'string' || typeof raw.caption !== 'string') return null;
  return {
    figure: raw.figure,
    format: raw.format,
    style: raw.style,
    unit,
    width: raw.width,
    height: raw.height,
    dpi: Math.round(raw.dpi),
    title: raw.title.slice(0, FIGURE_LIMITS.titleChars),
    caption: raw.caption.slice(0, FIGURE_LIMITS.captionChars),
  };
}
