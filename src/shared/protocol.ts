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

// ---------------------------------------------------------------- shared by both panels

/** Nothing to render (e.g. a restored live panel whose run did not survive a reload). */
export type EmptyMessage = { type: 'empty'; message: string };
/** Result of an export the webview asked for. */
export type ExportResultMessage = { type: 'exportResult'; ok: boolean; message: string };
/** The webview script has loaded and listens; the host then sends the current state. */
export type ReadyMessage = { type: 'ready'; protocol: number };
/** Save one chart; `data` is an SVG document (`svg`) or a `data:image/png;base64,` URL (`png`). */
export type ExportChartMessage<C extends string> = { type: 'exportChart'; chart: C; format: ChartExportFormat; data: string };
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
  /** After an `empty`: the panel's run was interrupted and can be resumed; `description` says which run (issue 15). */
  | ResumableMessage;

export type ResumableMessage = { type: 'resumable'; description: string };

// ---------------------------------------------------------------- webview → host

export type WebviewToHostMessage =
  | ReadyMessage
  /** Save the whole report as JSON, CSV (long format) or standalone HTML (host shows a save dialog). */
  | { type: 'exportReport'; format: ReportExportFormat }
  /** Open "Sparsity Lens: Analysis Options…" (images per category, preprocessing mean/std) for the shown report's folder. */
  | { type: 'openAnalysisOptions' }
  | ExportChartMessage<ChartId>
  /** Cancel the live run shown in this panel. */
  | { type: 'cancelRun'; runId: string }
  /** Reveal a skipped file (by its index in report.skipped; never a path from the webview). */
  | { type: 'revealSkipped'; index: number }
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
  sort?: { column: string; descending: boolean };
}

/** Upper bounds on webview → host payloads. */
export const LIMITS = {
  svgChars: 20 * 1024 * 1024,
  pngDataUrlChars: 40 * 1024 * 1024,
  logChars: 4000,
  idChars: 200,
  skippedIndex: 10_000_000,
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
      if (typeof data !== 'string') return fail('data must be a string');
      if (raw.format === 'svg') {
        if (data.length > LIMITS.svgChars) return fail('svg too large');
        const head = data.slice(0, 512).trimStart();
        if (!(head.startsWith('<svg') || head.startsWith('<?xml'))) return fail('data is not an SVG document');
      } else {
        if (data.length > LIMITS.pngDataUrlChars) return fail('png too large');
        if (!data.startsWith(PNG_PREFIX)) return fail('data is not a PNG data URL');
        const b64 = data.slice(PNG_PREFIX.length);
        if (b64.length === 0 || b64.length % 4 !== 0 || !BASE64.test(b64)) return fail('PNG data is not base64');
      }
      return { ok: true, message: { type: 'exportChart', chart: raw.chart, format: raw.format, data } };
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
      return typeof raw.message === 'string';
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
  const sort = raw.sort;
  if (isRecord(sort) && typeof sort.column === 'string' && sort.column.length < 500 && typeof sort.descending === 'boolean') {
    out.sort = { column: sort.column, descending: sort.descending };
  }
  return out;
}
