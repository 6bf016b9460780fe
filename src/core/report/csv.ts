/**
 * The report's CSV tables, one builder for every place that writes CSV: the run folder
 * (summary.csv, psi.csv, psi_controls.csv, written by writer.ts), the panel's "Export CSV"
 * (src/extension/exporting.ts) and the standalone report.html's CSV download
 * (webview/standalone.ts). Pure (no Node APIs): the standalone page bundles it.
 *
 * Cells hold raw numbers (full precision, `String(x)`); a missing or non-finite value is an
 * empty cell, never `NaN`, so spreadsheet and pandas readers see a gap, not a number.
 */
import type { SparsityReport } from './schema';
import { diagnosticsCsv, hasDiagnostics, indexSummaryCsv, indicesCsv } from './indexCsv';

/** One CSV cell: RFC 4180 quoting when the text holds a quote, comma or line break. */
export function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows (the first is the header) to CSV text ending in a newline. */
export function toCsv(rows: unknown[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** Per-layer summary of every pass, with PSI–accuracy r/p for the trained model. */
export function summaryCsv(report: SparsityReport): string {
  // relative_depth, stage, block: for laying networks of different depth side by side (empty stage/block: the name does not say).
  const rows: unknown[][] = [['pass', 'layer', 'index', 'relative_depth', 'stage', 'block', 'kind', 'units', 'median_psi', 'q1', 'q3', 'mean', 'min', 'max', 'r_psi_accuracy', 'p_psi_accuracy']];
  for (const p of report.passes) {
    for (const l of p.layers) {
      const c = p.kind === 'trained' ? report.psiAccuracy?.perLayer.find((x) => x.layer === l.name) : undefined;
      rows.push([p.id, l.name, l.index, l.relativeDepth, l.stage, l.block, l.kind, l.units, l.summary.median, l.summary.q1, l.summary.q3, l.summary.mean, l.summary.min, l.summary.max, c?.r, c?.p]);
    }
  }
  return toCsv(rows);
}

/** Categories x layers PSI of the trained model, with images and accuracy columns. */
export function psiCsv(report: SparsityReport): string {
  const trained = report.passes[0];
  const acc = report.accuracy;
  const header = ['category', 'images', ...(acc ? ['accuracy'] : []), ...trained.layers.map((l) => l.name)];
  const rows: unknown[][] = [header];
  report.categories.forEach((c, i) => rows.push([c.name, c.images, ...(acc ? [acc.perCategory[i]] : []), ...trained.layers.map((l) => l.psi[i])]));
  return toCsv(rows);
}

/** Long format for the controls: pass, category, layer, psi. */
export function controlsCsv(report: SparsityReport): string {
  const rows: unknown[][] = [['pass', 'category', 'layer', 'psi']];
  for (const p of report.passes.slice(1)) for (const l of p.layers) report.categories.forEach((c, i) => rows.push([p.id, c.name, l.name, l.psi[i]]));
  return toCsv(rows);
}

/** The tables a report exports as CSV; `file` is its name in the run folder. */
export const CSV_TABLES = {
  psi: { file: 'psi.csv', label: 'PSI per category', description: 'categories × layers of the trained model, with images and accuracy', build: psiCsv },
  summary: { file: 'summary.csv', label: 'Per-layer summary', description: 'median, quartiles, min/max per layer and pass; PSI–accuracy r', build: summaryCsv },
  controls: { file: 'psi_controls.csv', label: 'Controls (long format)', description: 'pass, category, layer, PSI', build: controlsCsv },
  // Sparseness indices (issue 11; report/indexCsv.ts).
  indices: { file: 'indices.csv', label: 'Every index (long format)', description: 'pass, layer, index, axis, category or unit, value', build: (r: SparsityReport) => toCsv(indicesCsv(r)) },
  indexSummary: { file: 'index_summary.csv', label: 'Index summary', description: 'per pass, layer and index: median, quartiles, mean, min/max, shifted, r with accuracy, depth trend', build: (r: SparsityReport) => toCsv(indexSummaryCsv(r)) },
  diagnostics: { file: 'diagnostics.csv', label: 'Layer diagnostics', description: 'per pass and layer: dead units, mean response, participation ratio', build: (r: SparsityReport) => toCsv(diagnosticsCsv(r)) },
} as const;

export type CsvTable = keyof typeof CSV_TABLES;

/** The CSV tables this report has: controls only when it has control passes. */
export function csvTables(report: SparsityReport): CsvTable[] {
  const base: CsvTable[] = report.passes.length > 1 ? ['psi', 'summary', 'controls'] : ['psi', 'summary'];
  return [...base, 'indices', 'indexSummary', ...(hasDiagnostics(report) ? (['diagnostics'] as const) : [])];
}

export function csvFor(report: SparsityReport, table: CsvTable): string {
  return CSV_TABLES[table].build(report);
}
