/**
 * Renderer of the standalone report.html (bundled to dist/reportStandalone.js and inlined into
 * the page by src/core/report/html.ts). Reads the report from
 * <script type="application/json" id="sparsity-report"> and renders it with the same UI as the
 * VS Code panel; exports become downloads. No network access, no eval.
 */
import { CSV_TABLES } from '../src/core/report/csv';
import { reportStem } from '../src/core/report/format';
import { parseReportJson } from '../src/core/report/parse';
import type { SparsityReport } from '../src/core/report/schema';
import type { ChartExportFormat, ChartId, FigureId, ReportExportFormat } from '../src/shared/protocol';
import { ReportApp } from './render';
import { download, readEmbedded, whenReady } from './pageKit';
import { registerToolkit } from './toolkit';

function start(): void {
  // The same reader as the extension: checks the schema version and upgrades older reports.
  const embedded = readEmbedded('sparsity-report', 'report', parseReportJson);
  if (!embedded) return;
  const { root, value: report } = embedded;
  registerToolkit();
  const stem = reportStem(report.dataset.path);
  const app = new ReportApp(root, {
    reportFormats: ['json', 'csv'],
    exportReport(format: ReportExportFormat, r: SparsityReport) {
      if (format === 'json') download(`${stem}.sparsity.json`, new Blob([JSON.stringify(r, null, 1)], { type: 'application/json' }));
      // The same table as psi.csv in the run folder and the panel's "PSI per category" CSV export.
      else if (format === 'csv') download(`${stem}-psi.csv`, new Blob([CSV_TABLES.psi.build(r)], { type: 'text/csv' }));
    },
    exportChart(chart: ChartId, format: ChartExportFormat, data: string) {
      if (format === 'svg') download(`${chart}.svg`, new Blob([data], { type: 'image/svg+xml' }));
      else download(`${chart}.png`, data);
    },
    exportFigure(figure: FigureId, format: ChartExportFormat, _dpi: number, data: string) {
      // A download keeps the PNG as drawn (its DPI is in the pixel count; the host's save also writes it into the file).
      if (format === 'svg') download(`${stem}-${figure}.svg`, new Blob([data], { type: 'image/svg+xml' }));
      else download(`${stem}-${figure}.png`, data);
    },
    log(level, message) {
      if (level === 'error') console.error(message);
    },
    saveState() {
      /* nothing persists in a static page */
    },
  });
  app.showReport(report, { kind: 'file' });
}

whenReady(start);
