/**
 * Saving reports and charts through save dialogs: the whole report as JSON, CSV (the run
 * folder's tables, written by the core's CSV functions) or standalone HTML, and one chart as
 * SVG or PNG (the webview renders it with vega's toSVG / toImageURL and sends the data).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { CSV_TABLES, csvFor, csvTables, type CsvTable } from '../core/report/csv';
import { reportStem } from '../core/report/format';
import { renderStandaloneHtml } from '../core/report/html';
import type { SparsityReport } from '../core/report/schema';
import type { ChartExportFormat, ChartId, ExportFigureMessage, ReportExportFormat } from '../shared/protocol';
import type { Logger } from './log';
import { writeFileAtomic } from '../core/fsAtomic';
import { figureFileBytes, pngBytes } from './figureFile';

function defaultDir(reportPath: string | undefined): vscode.Uri | undefined {
  if (reportPath) return vscode.Uri.file(path.dirname(reportPath));
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

async function saveDialog(defaultName: string, reportPath: string | undefined, filters: Record<string, string[]>, title: string): Promise<vscode.Uri | undefined> {
  const dir = defaultDir(reportPath);
  return vscode.window.showSaveDialog({
    title,
    defaultUri: dir ? vscode.Uri.joinPath(dir, defaultName) : undefined,
    filters,
    saveLabel: 'Export',
  });
}

/** Asks where (and for CSV which table), writes the file; returns its path or undefined. */
export async function exportReportInteractive(
  report: SparsityReport,
  reportPath: string | undefined,
  format: ReportExportFormat,
  extensionUri: vscode.Uri,
  log: Logger,
): Promise<string | undefined> {
  const stem = reportStem(report.dataset.path);
  let content: string;
  let uri: vscode.Uri | undefined;
  if (format === 'json') {
    uri = await saveDialog(`${stem}.sparsity.json`, reportPath, { 'Sparsity report': ['json'] }, 'Export report as JSON');
    if (!uri) return undefined;
    content = JSON.stringify(report, null, 1) + '\n';
  } else if (format === 'csv') {
    const items: (vscode.QuickPickItem & { table: CsvTable })[] = csvTables(report).map((table) => ({
      label: CSV_TABLES[table].label,
      description: CSV_TABLES[table].description,
      table,
    }));
    const pick = await vscode.window.showQuickPick(items, { title: 'Export CSV: which table?' });
    if (!pick) return undefined;
    uri = await saveDialog(`${stem}-${pick.table}.csv`, reportPath, { CSV: ['csv'] }, `Export ${pick.label} as CSV`);
    if (!uri) return undefined;
    content = csvFor(report, pick.table);
  } else {
    uri = await saveDialog(`${stem}.html`, reportPath, { 'HTML page': ['html'] }, 'Export report as a standalone HTML page');
    if (!uri) return undefined;
    content = await renderStandaloneHtml(report, vscode.Uri.joinPath(extensionUri, 'dist').fsPath);
  }
  await vscode.workspace.fs.writeFile(uri, Buffer.from(content, 'utf8'));
  log.info(`Exported ${format.toUpperCase()} to ${uri.fsPath}`);
  return uri.fsPath;
}

export { pngBytes };

export async function exportChart(chart: ChartId, format: ChartExportFormat, data: string, reportPath: string | undefined, log: Logger): Promise<string | undefined> {
  const filters: Record<string, string[]> = format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] };
  const uri = await saveDialog(`${chart}.${format}`, reportPath, filters, `Save chart as ${format.toUpperCase()}`);
  if (!uri) return undefined;
  const bytes = format === 'svg' ? Buffer.from(data, 'utf8') : pngBytes(data);
  await vscode.workspace.fs.writeFile(uri, bytes);
  log.info(`Saved chart ${chart} (${format}, ${bytes.length} bytes) to ${uri.fsPath}`);
  return uri.fsPath;
}

/** Writes a file the save dialog chose: atomically on disk (temp + rename), through VS Code's file system elsewhere. */
async function writeChosen(uri: vscode.Uri, bytes: Uint8Array): Promise<void> {
  if (uri.scheme === 'file') writeFileAtomic(uri.fsPath, bytes);
  else await vscode.workspace.fs.writeFile(uri, bytes);
}

/**
 * Saves a figure from the figure dialog (issue 15): asks where, writes the SVG, or the PNG with its
 * DPI in the file (figureFile.ts). Returns the path, or undefined when the dialog was cancelled.
 */
export async function exportFigure(m: ExportFigureMessage, report: SparsityReport | null, reportPath: string | undefined, log: Logger): Promise<string | undefined> {
  const stem = report ? reportStem(report.dataset.path) : 'sparsity';
  const filters: Record<string, string[]> = m.format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] };
  const what = m.figure === 'multi-panel' ? 'the multi-panel figure' : `figure ${m.figure}`;
  const uri = await saveDialog(`${stem}-${m.figure}.${m.format}`, reportPath, filters, `Save ${what} as ${m.format.toUpperCase()}`);
  if (!uri) return undefined;
  const bytes = await figureFileBytes(m.format, m.data, m.dpi);
  await writeChosen(uri, bytes);
  log.info(`Saved ${what} (${m.format}${m.format === 'png' ? `, ${m.dpi} dpi` : ''}, ${bytes.length} bytes) to ${uri.fsPath}`);
  return uri.fsPath;
}

export function fileExists(p: string | undefined): boolean {
  return !!p && fs.existsSync(p);
}
