/**
 * Number and text formatting of report values, shared by the CLI table, the progress
 * notification, the VS Code panel and the standalone report.html. Pure: no DOM, no `vscode`,
 * no Node APIs (the webview bundles it). Every formatter shows a missing or non-finite value as
 * `–` (never `NaN` or a made-up number).
 */
import type { ProgressEvent } from '../analyzeTypes';

/** A value absent, or not a finite number: shown as `–`. */
export const MISSING = '–';

function finite(x: number | null | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** Fixed-point with `digits` decimals (PSI, r, tau, R²). */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (!finite(x)) return MISSING;
  return x.toFixed(digits);
}

/** The space inside `< 0.001`: no-break, so a table cell never wraps a p-value. */
const NBSP = '\u00a0';

/**
 * The one p-value format of the panel, report.html, the comparison and the CLI: three decimals
 * (`0.419`, `0.003`), `< 0.001` below that (the exact value stays in the JSON and CSVs). Never
 * scientific notation: its `-` lets a cell wrap and it mixed with fixed-point in one table.
 * Rounding never moves a value onto a significance threshold its stars say it is below:
 * 0.04996 shows `0.0499` (not `0.050` beside a `*`).
 */
export function fmtP(p: number | null | undefined): string {
  if (!finite(p)) return MISSING;
  if (p < 0.001) return `<${NBSP}0.001`;
  const text = p.toFixed(3);
  for (const threshold of [0.05, 0.01]) {
    // Truncated, not rounded: 0.04996 rounds to 0.0500 at any few decimals.
    if (p < threshold && Number(text) >= threshold) return (Math.floor(p * 1e4) / 1e4).toFixed(4);
  }
  return text;
}

/** `p = 0.042` / `p < 0.001`: a p-value in running text (captions, subtitles, labels). */
export function pClause(p: number | null | undefined): string {
  const v = fmtP(p);
  return v.startsWith('<') ? `p${NBSP}${v}` : `p${NBSP}=${NBSP}${v}`;
}

/** A fraction in [0, 1] as a percentage with one decimal: `83.3%`. */
export function formatPercent(x: number | null | undefined): string {
  if (!finite(x)) return MISSING;
  return `${(x * 100).toFixed(1)}%`;
}

/** Significance stars of a p-value. */
export function stars(p: number): string {
  if (!Number.isFinite(p)) return '';
  if (p < 0.001) return '***';
  if (p < 0.01) return '**';
  if (p < 0.05) return '*';
  return '';
}

/** A run's duration: `4.2 s`, `42 s`, `3 min 5 s`, `1 h 2 min`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return MISSING;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h} h ${m} min` : `${m} min ${r} s`;
}

/** A count with thousands separators: `12,345`. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : MISSING;
}

/** Time left in a notification or the panel: `1 h 02 min`, `3 min 05 s`, `42 s`; `…` while unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '…';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(r).padStart(2, '0')} s`;
}

/** Time left on the CLI's progress line, clock style: `1:02:05`, `3:05`; `--:--` while unknown. */
export function formatClock(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const ss = String(Math.floor(s % 60)).padStart(2, '0');
  return h ? `${h}:${String(m % 60).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const PHASE_TEXT: Record<ProgressEvent['phase'], string> = {
  scan: 'Scanning images',
  load: 'Loading model',
  run: 'Running',
  accuracy: 'Computing accuracy',
  stats: 'Computing statistics',
  write: 'Writing report',
};

/** Percentage 0..100 of a progress event (0 when the total is unknown). */
export function progressPercent(e: ProgressEvent): number {
  if (!(e.total > 0)) return 0;
  return Math.max(0, Math.min(100, (100 * e.done) / e.total));
}

/** One line for a progress notification or the panel: `trained · 42% · 35.2 img/s · ETA 1 min 05 s`. */
export function formatProgress(e: ProgressEvent): string {
  const parts: string[] = [];
  if (e.phase === 'run') parts.push(e.passLabel ? `${e.passLabel}` : PHASE_TEXT.run);
  else parts.push(e.passLabel ? `${PHASE_TEXT[e.phase]} (${e.passLabel})` : PHASE_TEXT[e.phase]);
  if (e.total > 0) parts.push(`${Math.floor(progressPercent(e))}%`);
  if (e.phase === 'run' && e.imagesPerSecond > 0) parts.push(`${e.imagesPerSecond.toFixed(e.imagesPerSecond < 10 ? 1 : 0)} img/s`);
  if (e.phase === 'run' || e.etaSeconds !== null) parts.push(`ETA ${formatEta(e.etaSeconds)}`);
  if (e.message) parts.push(e.message);
  return parts.join(' · ');
}

/** Last component of a path, `/` or `\` separated (the webview has no `path` module). */
export function basename(p: string): string {
  const parts = p.split(/[\\/]+/).filter(Boolean);
  return parts[parts.length - 1] ?? p;
}

/** `model.json` alone says little: TF.js models are named by their folder too. */
export function modelName(p: string): string {
  const parts = p.split(/[\\/]+/).filter(Boolean);
  const b = parts[parts.length - 1] ?? p;
  return /^model\.json$/i.test(b) && parts.length > 1 ? `${parts[parts.length - 2]}/${b}` : b;
}

/** Runtime and backend without repeating the runtime when the backend names it already. */
export function engineText(e: { runtime: string; backend: string }): string {
  if (!e.runtime) return e.backend;
  if (!e.backend || e.backend === e.runtime) return e.runtime;
  return e.backend.includes(e.runtime) ? e.backend : `${e.runtime} · ${e.backend}`;
}

/** Stem of exported file names: `sparsity-<dataset folder>`, safe in any file system. */
export function reportStem(datasetPath: string): string {
  const base = basename(datasetPath || 'report').replace(/[^\w.-]+/g, '_') || 'report';
  return `sparsity-${base}`;
}
