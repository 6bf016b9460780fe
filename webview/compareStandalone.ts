/**
 * Renderer of the standalone comparison.html (bundled to dist/comparisonStandalone.js, inlined
 * by src/core/compare/io.ts). Reads the comparison from
 * <script type="application/json" id="sparsity-comparison">; exports become downloads.
 */
import { comparisonCsv } from '../src/core/compare/csv';
import { parseComparisonJson } from '../src/core/compare/parse';
import { ComparisonApp } from './compareRender';
import { download, readEmbedded, whenReady } from './pageKit';
import { registerToolkit } from './toolkit';

function start(): void {
  const embedded = readEmbedded('sparsity-comparison', 'comparison', parseComparisonJson);
  if (!embedded) return;
  const { root, value: c } = embedded;
  registerToolkit();
  const app = new ComparisonApp(root, {
    formats: ['json', 'csv'],
    exportComparison(format, cmp) {
      if (format === 'json') download('comparison.sparsity.json', new Blob([JSON.stringify(cmp, null, 1)], { type: 'application/json' }));
      else if (format === 'csv') download('comparison.csv', new Blob([comparisonCsv(cmp)], { type: 'text/csv' }));
    },
    exportChart(chart, format, data) {
      if (format === 'svg') download(`${chart}.svg`, new Blob([data], { type: 'image/svg+xml' }));
      else download(`${chart}.png`, data);
    },
    log(level, message) {
      if (level === 'error') console.error(message);
    },
  });
  app.showComparison(c);
}

whenReady(start);
