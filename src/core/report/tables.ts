/**
 * The report's tables as pure functions of the report (no DOM, no Node APIs): the panel's and
 * the standalone page's header, statistics and per-category tables (webview/render.ts). Numbers
 * are formatted by format.ts; CSV text comes from csv.ts.
 */
import { toCsv } from './csv';
import { basename, engineText, fmt, fmtP, formatCount, formatDuration, formatPercent, modelName, pClause, stars } from './format';
import type { PassResult, SparsityReport } from './schema';
import { viewIndex } from './indexView';

export interface HeaderInfo {
  model: string;
  modelPath: string;
  modelFormat: string;
  /** `random weights (seed 0)`, `pretrained IMAGENET1K_V1`; absent when the report does not say. */
  weights?: string;
  dataset: string;
  datasetPath: string;
  images: string;
  categories: string;
  skipped: number;
  droppedCategories: number;
  backend: string;
  duration: string;
  created: string;
  passes: string;
  complete: boolean;
  /**
   * What a live (partial) report's statistics rest on: `2 of 10 categories` (finished so far of
   * those being analysed); absent when the report is complete.
   */
  partialOf?: string;
}

/** The trained model's pass (passes[0] in every report this tool writes). */
export function trainedPass(report: SparsityReport): PassResult | undefined {
  return report.passes.find((p) => p.kind === 'trained') ?? report.passes[0];
}

/** What the model's weights were, in words. */
export function weightsText(w: NonNullable<SparsityReport['model']['weights']>): string {
  return w.kind === 'random' ? `random weights (seed ${w.seed})` : `pretrained ${w.name}`;
}

export function headerInfo(report: SparsityReport): HeaderInfo {
  const ds = report.dataset;
  const perm = report.passes.filter((p) => p.kind === 'permuted').length;
  const norelu = report.passes.some((p) => p.kind === 'norelu');
  const passParts = ['trained'];
  if (perm) passParts.push(`${perm} permuted`);
  if (norelu) passParts.push('no-ReLU');
  return {
    model: modelName(report.model.path),
    modelPath: report.model.path,
    modelFormat: report.model.format,
    ...(report.model.weights ? { weights: weightsText(report.model.weights) } : {}),
    dataset: basename(ds.path),
    datasetPath: ds.path,
    images: ds.imagesFound !== ds.imagesUsed ? `${formatCount(ds.imagesUsed)} of ${formatCount(ds.imagesFound)}` : formatCount(ds.imagesUsed),
    categories:
      ds.categoriesFound !== ds.categoriesUsed ? `${formatCount(ds.categoriesUsed)} of ${formatCount(ds.categoriesFound)}` : formatCount(ds.categoriesUsed),
    skipped: report.skipped.length,
    droppedCategories: ds.droppedCategories.length,
    backend: engineText(report.engine),
    duration: report.complete ? formatDuration(report.timings.seconds) : `${formatDuration(report.timings.seconds)} so far`,
    created: report.createdAt,
    passes: passParts.join(' + '),
    complete: report.complete,
    ...(report.complete ? {} : { partialOf: `${formatCount(ds.categoriesUsed)} of ${formatCount(ds.categoriesFound - ds.droppedCategories.length)} categories` }),
  };
}

// ---------------------------------------------------------------- statistics tables

export interface StatsTable {
  caption: string;
  columns: string[];
  rows: string[][];
}

export function depthTrendTable(report: SparsityReport): StatsTable {
  const survives = report.controls?.riseSurvives ?? {};
  return {
    // Labelled with the index the panel's selector shows (indexView.ts; PSI by default).
    caption: `Depth trend: Kendall τ-b of layer index vs ${viewIndex(report).axis === 'unit' ? 'unit' : 'category'} ${viewIndex(report).label} (pooled)`,
    columns: ['pass', 'τ', 'p', 'n', `${viewIndex(report).label} rises with depth`],
    rows: report.passes.map((p) => {
      const rises = p.id in survives ? survives[p.id] : p.depthTrend.tau > 0 && p.depthTrend.p < 0.05;
      return [p.id, fmt(p.depthTrend.tau, 3), fmtP(p.depthTrend.p), formatCount(p.depthTrend.n), rises ? 'yes' : 'no'];
    }),
  };
}

export function correlationTable(report: SparsityReport): StatsTable | null {
  const pa = report.psiAccuracy;
  if (!pa) return null;
  const method = pa.method === 'spearman' ? 'Spearman' : 'Pearson';
  const rows = pa.perLayer.map((c) => [c.layer, fmt(c.r, 3), fmtP(c.p), formatCount(c.n), stars(c.p)]);
  rows.push([`trend over layers (Kendall τ)`, fmt(pa.trend.tau, 3), fmtP(pa.trend.p), formatCount(pa.trend.n), stars(pa.trend.p)]);
  return { caption: `${viewIndex(report).label} vs accuracy: ${method} r per layer`, columns: ['layer', 'r', 'p', 'n', ''], rows };
}

export function regressionTable(report: SparsityReport): StatsTable | null {
  const regs = report.psiAccuracy?.regressions ?? [];
  if (regs.length === 0) return null;
  return {
    caption: 'Multiple regression of accuracy on layer PSIs (z-scored, OLS)',
    columns: ['group', 'layers', 'R²', 'adj. R²', 'n', 'stepwise selection'],
    rows: regs.map((g) => [g.group, g.layers.join(', '), fmt(g.r2, 3), fmt(g.adjR2, 3), formatCount(g.n), g.stepwise.selected.join(', ') || '–']),
  };
}

export function accuracySummary(report: SparsityReport): string | null {
  const a = report.accuracy;
  if (!a) return null;
  const d = a.decoder;
  // The decoder stops at an iteration cap on big runs: say so wherever its numbers are shown.
  const unconverged = d && d.converged.some((c) => !c) ? ` Decoder not converged in ${d.converged.filter((c) => !c).length} of ${d.folds} folds (iteration cap).` : '';
  if (a.method === 'decoder' && d) {
    return `Accuracy: logistic-regression decoder on ${d.layer}, ${d.folds}-fold CV within categories (seed ${d.seed}); mean ${formatPercent(d.overall)}.${unconverged}`;
  }
  if (a.model) {
    const dec = d ? ` Decoder (${d.layer}, ${d.folds}-fold): ${formatPercent(d.overall)}.${unconverged}` : '';
    return `Accuracy: model top-1, mean ${formatPercent(a.model.top1Overall)} (top-5 ${formatPercent(a.model.top5Overall)}).${dec}`;
  }
  return `Accuracy (${a.method}): mean ${formatPercent(a.overall)}.`;
}

// ---------------------------------------------------------------- per-category table

export interface CategoryColumn {
  key: string;
  label: string;
  numeric: boolean;
}

export type CategoryRow = Record<string, string | number | null>;

export function categoryColumns(report: SparsityReport): CategoryColumn[] {
  const cols: CategoryColumn[] = [
    { key: 'category', label: 'category', numeric: false },
    // The model's output class of each folder. Only when the folders map to classes (synset
    // names, a label file): with decoder accuracy on folders that do not, it would be empty.
    ...(hasClassColumn(report) ? [{ key: 'class', label: 'class', numeric: false }] : []),
    { key: 'images', label: 'images', numeric: true },
  ];
  if (report.accuracy) cols.push({ key: 'accuracy', label: 'accuracy', numeric: true });
  for (const l of trainedPass(report)?.layers ?? []) cols.push({ key: `psi:${l.name}`, label: `${viewIndex(report).label} ${l.name}`, numeric: true });
  return cols;
}

/** The analysis maps category folders to model classes all or none (core/analyze.ts); any says so. */
function hasClassColumn(report: SparsityReport): boolean {
  return report.categories.some((c) => c.className !== undefined || c.classIndex !== undefined);
}

export function categoryRows(report: SparsityReport): CategoryRow[] {
  const layers = trainedPass(report)?.layers ?? [];
  const withClass = hasClassColumn(report);
  return report.categories.map((c, i) => {
    const row: CategoryRow = { category: c.name, images: c.images };
    // A folder without a class where others have one shows `–` (null), never a blank.
    if (withClass) row.class = c.className ?? (c.classIndex !== undefined ? `#${c.classIndex}` : null);
    if (report.accuracy) row.accuracy = finiteOrNull(report.accuracy.perCategory[i]);
    for (const l of layers) row[`psi:${l.name}`] = finiteOrNull(l.psi[i]);
    return row;
  });
}

function finiteOrNull(x: number | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** Stable sort by one column; missing values last in both directions. Returns a new array. */
export function sortRows(rows: CategoryRow[], column: string, descending: boolean): CategoryRow[] {
  const idx = rows.map((r, i) => ({ r, i }));
  idx.sort((a, b) => {
    const x = a.r[column];
    const y = b.r[column];
    const xm = x === null || x === undefined || x === '';
    const ym = y === null || y === undefined || y === '';
    if (xm || ym) return xm && ym ? a.i - b.i : xm ? 1 : -1;
    let c: number;
    if (typeof x === 'number' && typeof y === 'number') c = x - y;
    else c = String(x).localeCompare(String(y), 'en', { numeric: true, sensitivity: 'base' });
    if (c === 0) return a.i - b.i;
    return descending ? -c : c;
  });
  return idx.map((x) => x.r);
}

export function formatCell(col: CategoryColumn, v: string | number | null): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return v;
  if (col.key === 'accuracy') return formatPercent(v);
  if (col.key === 'images') return formatCount(v);
  return fmt(v, 3);
}

/** The per-category table as shown (raw numbers, header = column labels), as CSV. */
export function categoryCsv(report: SparsityReport): string {
  const cols = categoryColumns(report);
  return toCsv([cols.map((c) => c.label), ...categoryRows(report).map((r) => cols.map((c) => r[c.key]))]);
}

// ---------------------------------------------------------------- CLI text table

/** The per-layer table and statistics the CLI prints at the end of a run (plain text, aligned columns). */
/**
 * The CLI's text table. `options.indices` (the CLI's --indices, when given): the chosen indices'
 * medians by layer follow the PSI table (indexMedianLines); without it only PSI, as always.
 */
export function formatTable(report: SparsityReport, options: { indices?: readonly string[] } = {}): string {
  const trained = report.passes[0];
  // Permuted models are summarised in one column; every other control gets its own.
  const permuted = report.controls?.permutedSpread;
  const controls = report.passes.slice(1).filter((p) => !(permuted && p.kind === 'permuted'));
  const pa = report.psiAccuracy;
  // Relative depth (and stage/block where the names say) lines up networks of different depth.
  const where = trained.layers.some((l) => l.stage !== undefined || l.block !== undefined);
  const header = [
    'layer',
    'units',
    'depth',
    ...(where ? ['stage/block'] : []),
    'median PSI',
    'IQR',
    ...(permuted ? ['permuted (median of medians)'] : []),
    ...controls.map((p) => p.id),
    ...(pa ? ['r(PSI,acc)', 'p'] : []),
  ];
  const rows = trained.layers.map((l, i) => {
    // By layer name, not position: a missing entry shows as `–` instead of another layer's r.
    const c = pa?.perLayer.find((x) => x.layer === l.name);
    return [
      l.name,
      String(l.units),
      fmt(l.relativeDepth, 2),
      ...(where ? [`${l.stage ?? '–'}/${l.block ?? '–'}`] : []),
      fmt(l.summary.median, 4),
      `${fmt(l.summary.q1, 3)}-${fmt(l.summary.q3, 3)}`,
      ...(permuted ? [fmt(permuted.median[i], 4)] : []),
      ...controls.map((p) => fmt(p.layers[i]?.summary.median, 4)),
      ...(pa ? [fmt(c?.r, 3), fmtP(c?.p)] : []),
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => v.padEnd(widths[c])).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const t = trained.depthTrend;
  out.push('', `Depth trend (Kendall tau-b, layer index vs category PSI): tau = ${fmt(t.tau, 3)}, ${pClause(t.p)}, n = ${t.n}`);
  for (const p of report.passes.slice(1)) {
    if (p.kind === 'permuted' && p.id !== 'permuted-1') continue;
    const label = p.kind === 'permuted' ? `permuted (1 of ${report.passes.filter((x) => x.kind === 'permuted').length})` : p.id;
    out.push(`  ${label}: tau = ${fmt(p.depthTrend.tau, 3)}, ${pClause(p.depthTrend.p)}; rise survives: ${report.controls?.riseSurvives[p.id] ? 'yes' : 'no'}`);
  }
  if (report.accuracy) {
    const a = report.accuracy;
    out.push(
      `Accuracy (${a.method}${a.method === 'decoder' ? ` on ${a.decoder?.layer}, ${a.decoder?.folds}-fold` : ''}): overall ${formatPercent(a.overall)}` +
        (a.model ? `; model top-1 ${formatPercent(a.model.top1Overall)}, top-5 ${formatPercent(a.model.top5Overall)}` : '') +
        (a.decoder && a.method !== 'decoder' ? `; decoder ${formatPercent(a.decoder.overall)}` : ''),
    );
  }
  if (pa) {
    out.push(`Trend of r with depth: tau = ${fmt(pa.trend.tau, 3)}, ${pClause(pa.trend.p)}`);
    for (const r of pa.regressions) out.push(`Regression accuracy ~ PSI[${r.group}: ${r.layers.join('+')}]: R² = ${fmt(r.r2, 3)}, adj. R² = ${fmt(r.adjR2, 3)}; stepwise: ${r.stepwise.selected.join(', ') || '(none)'}`);
  }
  if (report.model.weights) out.push(`Model weights: ${weightsText(report.model.weights)}`);
  if (options.indices) out.push(...indexMedianLines(report, options.indices));
  out.push(`Reference PSI (${report.reference.label}): ${report.reference.psi}`);
  out.push(
    `${report.dataset.categoriesUsed} categories, ${report.dataset.imagesUsed} images, ${report.skipped.length} skipped; ${report.engine.backend}; ${fmt(report.timings.seconds, 1)} s (${fmt(report.timings.imagesPerSecond, 1)} images/s per pass set)`,
  );
  return out.join('\n');
}

/**
 * Median by layer of each chosen index (trained model), one column per index, `*` where the
 * layer was shifted (raw normalisation of negative responses), then each index's depth trend.
 * Empty when only psi is chosen (the main table shows it). An index the report lacks is named, not left out silently.
 */
export function indexMedianLines(report: SparsityReport, ids: readonly string[]): string[] {
  if (ids.length === 0 || (ids.length === 1 && ids[0] === 'psi')) return [];
  const trained = report.passes[0];
  const have = ids.filter((id) => trained.layers.every((l) => l.indices?.[id]));
  const lacking = ids.filter((id) => !have.includes(id));
  const out: string[] = [''];
  if (have.length) {
    const header = ['layer', ...have.map((id) => `median ${id}`)];
    const rows = trained.layers.map((l) => [l.name, ...have.map((id) => `${fmt(l.indices[id].summary.median, 4)}${l.indices[id].shifted ? '*' : ''}`)]);
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    const line = (r: string[]) => r.map((v, c) => v.padEnd(widths[c])).join('  ');
    out.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line));
    if (rows.some((r) => r.some((v) => v.endsWith('*')))) out.push('* negative responses: raw indices computed on responses shifted by the layer minimum');
    for (const id of have) {
      const t = trained.trends?.[id];
      const r = report.indexAccuracy?.[id];
      out.push(`Depth trend of ${id}: tau = ${fmt(t?.tau, 3)}, ${pClause(t?.p)}${r ? `; trend of r(${id}, accuracy): tau = ${fmt(r.trend.tau, 3)}` : ''}`);
    }
  }
  if (lacking.length) out.push(`Not in this report: ${lacking.join(', ')}`);
  return out;
}
