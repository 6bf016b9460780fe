/**
 * Host ↔ webview messages of the comparison panel (issue 12), kept beside the report panel's
 * (protocol.ts) with the same rules: the host validates every webview message with
 * `validateComparisonMessage` before acting; chart data gets exactly the report panel's checks
 * (validateWebviewMessage's exportChart). Pure: no vscode, no DOM.
 */
import type { Comparison } from '../core/compare/schema';
import { INDEX_IDS } from '../core/measures/registry';
import {
  CHART_EXPORT_FORMATS,
  isCommonHostMessage,
  isRecord,
  LIMITS,
  PROTOCOL_VERSION,
  validateWebviewMessage,
  type EmptyMessage,
  type ExportChartMessage,
  type ExportResultMessage,
  type LogMessage,
  type ReadyMessage,
  type ValidationResult,
} from './protocol';

export const COMPARISON_EXPORT_FORMATS = ['json', 'csv', 'html'] as const;
export type ComparisonExportFormat = (typeof COMPARISON_EXPORT_FORMATS)[number];

/** `compare-depth`, `compare-paired-diff-<i>`, `compare-paired-scatter-<i>` (i: pair index). */
export type ComparisonChartId = 'compare-depth' | `compare-paired-diff-${number}` | `compare-paired-scatter-${number}`;
const CHART_ID = /^compare-(depth|paired-diff-\d{1,3}|paired-scatter-\d{1,3})$/;

export function isComparisonChartId(v: unknown): v is ComparisonChartId {
  return typeof v === 'string' && CHART_ID.test(v);
}

/** An index the comparison can be rebuilt on (every compared report holds it). */
export interface ComparableIndex {
  id: string;
  label: string;
}

export type HostToComparisonMessage =
  /** `indices`: what the panel may switch to (a comparison built from reports; absent for a saved comparison file). */
  | { type: 'comparison'; comparison: Comparison; file?: string; indices?: ComparableIndex[] }
  | EmptyMessage
  | ExportResultMessage;

export type ComparisonToHostMessage =
  | ReadyMessage
  | { type: 'exportComparison'; format: ComparisonExportFormat }
  /** Rebuild the comparison on another sparseness index (the host checks the reports hold it). */
  | { type: 'compareIndex'; index: string }
  | ExportChartMessage<ComparisonChartId>
  | LogMessage;

/** A fresh typed copy of a webview message, or why it was rejected. Never throws. */
export function validateComparisonMessage(raw: unknown): ValidationResult<ComparisonToHostMessage> {
  if (!isRecord(raw)) return { ok: false, error: 'not an object' };
  switch (raw.type) {
    case 'ready':
    case 'log': {
      // Same fields and checks as the report panel's.
      const v = validateWebviewMessage(raw);
      if (!v.ok) return v;
      return v.message.type === 'ready' || v.message.type === 'log' ? { ok: true, message: v.message } : { ok: false, error: 'unexpected message' };
    }
    case 'exportComparison': {
      for (const k of Object.keys(raw)) if (k !== 'type' && k !== 'format') return { ok: false, error: `unexpected field "${k}"` };
      const f = raw.format;
      if (typeof f !== 'string' || !(COMPARISON_EXPORT_FORMATS as readonly string[]).includes(f)) return { ok: false, error: 'format must be json, csv or html' };
      return { ok: true, message: { type: 'exportComparison', format: f as ComparisonExportFormat } };
    }
    case 'compareIndex': {
      for (const k of Object.keys(raw)) if (k !== 'type' && k !== 'index') return { ok: false, error: `unexpected field "${k}"` };
      if (typeof raw.index !== 'string' || !INDEX_IDS.includes(raw.index)) return { ok: false, error: 'index must be a known index id' };
      return { ok: true, message: { type: 'compareIndex', index: raw.index } };
    }
    case 'exportChart': {
      if (!isComparisonChartId(raw.chart)) return { ok: false, error: 'unknown chart' };
      // The data checks of the report panel (SVG document / PNG data URL, sizes): validate as one of its charts.
      const v = validateWebviewMessage({ ...raw, chart: 'psi-by-layer' });
      if (!v.ok) return v;
      if (v.message.type !== 'exportChart') return { ok: false, error: 'unexpected message' };
      return { ok: true, message: { type: 'exportChart', chart: raw.chart, format: v.message.format, data: v.message.data } };
    }
    default:
      return { ok: false, error: `unknown message type "${String(raw.type).slice(0, 40)}"` };
  }
}

export function isHostComparisonMessage(raw: unknown): raw is HostToComparisonMessage {
  if (!isRecord(raw)) return false;
  switch (raw.type) {
    case 'comparison':
      return isRecord(raw.comparison) && Array.isArray((raw.comparison as { runs?: unknown }).runs);
    case 'empty':
    case 'exportResult':
      return isCommonHostMessage(raw);
    default:
      return false;
  }
}

export { CHART_EXPORT_FORMATS, LIMITS, PROTOCOL_VERSION };
