/**
 * Writes a finished run's files: category-mean responses (.npy), CSV tables, the standalone
 * report.html and, last, report.sparsity.json. Every file is written atomically, so a reader
 * never sees half a file, and the JSON's presence means the run is complete.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../fsAtomic';
import { encodeNpy } from '../npy';
import type { SparsityReport } from './schema';
import type { RunState } from '../runState';

export const REPORT_FILE = 'report.sparsity.json';

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: unknown[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** Per-layer summary of every pass, with PSI–accuracy r/p for the trained model. */
export function summaryCsv(report: SparsityReport): string {
  const rows: unknown[][] = [['pass', 'layer', 'index', 'kind', 'units', 'median_psi', 'q1', 'q3', 'mean', 'min', 'max', 'r_psi_accuracy', 'p_psi_accuracy']];
  for (const p of report.passes) {
    for (const l of p.layers) {
      const c = p.kind === 'trained' ? report.psiAccuracy?.perLayer.find((x) => x.layer === l.name) : undefined;
      rows.push([p.id, l.name, l.index, l.kind, l.units, l.summary.median, l.summary.q1, l.summary.q3, l.summary.mean, l.summary.min, l.summary.max, c?.r, c?.p]);
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

/** Loads the standalone HTML renderer only when its bundle is present (it is built into dist/). */
async function renderHtml(report: SparsityReport): Promise<string | undefined> {
  try {
    const { renderStandaloneHtml } = await import('./html');
    return await renderStandaloneHtml(report);
  } catch {
    return undefined;
  }
}

export async function writeReport(report: SparsityReport, state: RunState, runDir: string, options: { html?: boolean } = {}): Promise<string> {
  const usedIdx = report.categories.map((c) => state.categories.findIndex((s) => s.name === c.name));
  state.passes.forEach((p, pi) =>
    state.taps.forEach((t, ti) => {
      const layer = report.passes[pi].layers[ti];
      const means = state.means(pi, ti, usedIdx);
      writeFileAtomic(path.join(runDir, layer.responsesFile!), encodeNpy(Float32Array.from(means), [usedIdx.length, t.units]));
    }),
  );
  writeFileAtomic(path.join(runDir, report.files.summaryCsv), summaryCsv(report));
  writeFileAtomic(path.join(runDir, report.files.psiCsv), psiCsv(report));
  if (report.passes.length > 1) writeFileAtomic(path.join(runDir, 'psi_controls.csv'), controlsCsv(report));
  if (options.html !== false) {
    const html = await renderHtml(report);
    if (html) {
      report.files.html = 'report.html';
      writeFileAtomic(path.join(runDir, 'report.html'), html);
    }
  }
  const reportPath = path.join(runDir, REPORT_FILE);
  writeFileAtomic(reportPath, JSON.stringify(report, null, 1));
  return reportPath;
}

/** Reads and checks a saved report (schema and version). */
export function readReport(file: string): SparsityReport {
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as SparsityReport;
  if (j.schema !== 'sparsity-lens/report') throw new Error(`${file} is not a Sparsity Lens report.`);
  if (j.schemaVersion !== 1) throw new Error(`${file} has report schema version ${j.schemaVersion}; this version reads 1.`);
  return j;
}
