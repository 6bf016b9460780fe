/**
 * The comparison's tables as pure functions (panel, comparison.html, CLI): the trend table
 * (run x layers, tau, p, median at the first and last layer), the settings that differ, the
 * paired tests. Numbers through report/format.ts.
 */
import { fmt, fmtP } from '../report/format';
import type { StatsTable } from '../report/tables';
import type { Comparison } from './schema';

export function trendTable(c: Comparison): StatsTable {
  const label = c.index.label;
  const rows: string[][] = [];
  for (const r of c.runs) {
    for (const p of r.passes) {
      const first = p.layers[0];
      const last = p.layers[p.layers.length - 1];
      rows.push([
        r.id,
        r.label,
        p.id,
        String(p.layers.length),
        fmt(p.depthTrend.tau, 3),
        fmtP(p.depthTrend.p),
        first ? `${fmt(first.median, 3)} (${first.name})` : '—',
        last ? `${fmt(last.median, 3)} (${last.name})` : '—',
      ]);
    }
  }
  return {
    caption: `Depth trend of ${label}: Kendall τ-b of layer index vs category values (pooled)`,
    columns: ['run', 'model · weights · dataset', 'pass', 'layers', 'τ', 'p', `median ${label}, first layer`, `median ${label}, last layer`],
    rows,
  };
}

export function differencesTable(c: Comparison): StatsTable {
  return {
    caption: 'Settings that differ between the runs',
    columns: ['setting', ...c.runs.map((r) => r.id), 'changes the numbers'],
    rows: c.differences.map((d) => [d.setting, ...c.runs.map((r) => d.values[r.id] ?? '—'), d.changesNumbers ? 'yes' : 'no']),
  };
}

export function pairedTables(c: Comparison): StatsTable[] {
  return c.paired.map((p) => ({
    caption: `Paired: run ${p.a} vs run ${p.b} over ${p.categories.length} categories (Wilcoxon signed-rank per layer; last layers Spearman ρ = ${fmt(p.lastLayer.spearman.r, 3)}, p ${fmtP(p.lastLayer.spearman.p)})`,
    columns: [`layer ${p.a}`, `layer ${p.b}`, 'matched by', `median ${p.b} − ${p.a}`, 'W', 'p', 'test'],
    rows: p.layers.map((l) => [l.layerA, l.layerB, l.matchedBy, fmt(l.medianDifference, 3), fmt(l.wilcoxon.statistic, 1), fmtP(l.wilcoxon.p), l.wilcoxon.method]),
  }));
}

function textTable(t: StatsTable): string {
  const widths = t.columns.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((x, i) => (x ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [t.caption, line(t.columns), line(widths.map((w) => '-'.repeat(w))), ...t.rows.map(line)].join('\n');
}

/** The CLI's text output: differences first, then the trend table, then the paired tests. */
export function formatComparisonText(c: Comparison): string {
  const parts: string[] = [];
  if (c.differences.length) parts.push(textTable(differencesTable(c)));
  parts.push(textTable(trendTable(c)));
  for (const t of pairedTables(c)) parts.push(textTable(t));
  for (const [id, why] of Object.entries(c.unpaired)) parts.push(`Not paired: run ${id}: ${why}`);
  return parts.join('\n\n');
}
