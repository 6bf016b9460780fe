/**
 * Writes a finished run's files: category-mean responses (.npy), CSV tables, the standalone
 * report.html and, last, report.sparsity.json. Every file is written atomically, so a reader
 * never sees half a file, and the JSON's presence means the run is complete.
 */
import * as path from 'path';
import { writeFileAtomic } from '../fsAtomic';
import { encodeNpy } from '../npy';
import type { RunState } from '../runState';
import { CSV_TABLES, csvTables } from './csv';
import { REPORT_FILE, type SparsityReport } from './schema';

/** The standalone page's name in a run folder. */
export const HTML_FILE = 'report.html';

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
  writeFileAtomic(path.join(runDir, report.files.summaryCsv), CSV_TABLES.summary.build(report));
  writeFileAtomic(path.join(runDir, report.files.psiCsv), CSV_TABLES.psi.build(report));
  if (report.passes.length > 1) writeFileAtomic(path.join(runDir, CSV_TABLES.controls.file), CSV_TABLES.controls.build(report));
  // The index tables (issue 11): whichever of them csvTables says this report has.
  for (const t of csvTables(report)) if (t === 'indices' || t === 'indexSummary' || t === 'diagnostics') writeFileAtomic(path.join(runDir, CSV_TABLES[t].file), CSV_TABLES[t].build(report));
  if (options.html !== false) {
    const html = await renderHtml(report);
    if (html) {
      report.files.html = HTML_FILE;
      writeFileAtomic(path.join(runDir, HTML_FILE), html);
    }
  }
  const reportPath = path.join(runDir, REPORT_FILE);
  writeFileAtomic(reportPath, JSON.stringify(report, null, 1));
  return reportPath;
}
