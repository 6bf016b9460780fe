/**
 * The one reader of report JSON, for every front end: the extension host (Open Report, the
 * `*.sparsity.json` editor, Export Report) through reader.ts, and the standalone report.html,
 * which parses the JSON embedded in its page. Pure (no Node APIs, no DOM): the page bundles it.
 *
 * It checks the schema id and version and brings every supported older version up to
 * REPORT_SCHEMA_VERSION, so the rest of the code only ever sees the current shape.
 *
 * Adding a schema version N+1 (a new field, a renamed one): set REPORT_SCHEMA_VERSION = N+1 in
 * schema.ts and add UPGRADES[N] below, turning a version-N report into N+1 (fill the new field
 * from what N has, or leave an optional field out; never invent a number). Nothing else
 * changes: test/core/report/parse.test.ts checks that every older version has its step.
 */
import { UserError } from '../types';
import { relativeDepth, stageBlocks } from './depth';
import { withPsiIndex } from './upgradeIndices';
import { REPORT_SCHEMA, REPORT_SCHEMA_VERSION, type SparsityReport } from './schema';

/** The oldest report schema version this release reads. */
export const OLDEST_REPORT_VERSION = 1;

/** A report object of some schema version, on its way up to the current one. */
export type AnyVersionReport = Record<string, unknown> & { schemaVersion: number };

/**
 * UPGRADES[v] turns a version-v report into version v + 1 (and sets schemaVersion). One entry
 * per version from OLDEST_REPORT_VERSION to REPORT_SCHEMA_VERSION - 1. Steps get their own
 * copy of the object and may change it.
 */
export const UPGRADES: Readonly<Record<number, (report: AnyVersionReport) => AnyVersionReport>> = {
  // 1 → 2: each layer's relativeDepth from its index and the pass's layer count, stage/block
  // from the layer names: both follow from what version 1 has, exactly as buildReport makes them;
  // the sparseness indices (issue 11): version 1 has psi only, in the new shape (upgradeIndices.ts).
  1: (r) =>
    withPsiIndex({
      ...r,
      schemaVersion: 2,
      passes: Array.isArray(r.passes) ? r.passes.map((p: unknown) => (isRecord(p) && Array.isArray(p.layers) ? { ...p, layers: withDepth(p.layers) } : p)) : r.passes,
    }),
};

function withDepth(layers: unknown[]): unknown[] {
  const where = stageBlocks(layers.map((l) => (isRecord(l) && typeof l.name === 'string' ? l.name : '')));
  return layers.map((l, i) =>
    isRecord(l) && typeof l.index === 'number' ? { ...l, relativeDepth: relativeDepth(l.index, layers.length), ...where[i] } : l,
  );
}

/** Runs the steps from the report's version up to `target`, one version at a time. */
export function upgradeReport(
  report: AnyVersionReport,
  steps: Readonly<Record<number, (report: AnyVersionReport) => AnyVersionReport>>,
  target: number,
): AnyVersionReport {
  let r = report;
  for (let v = r.schemaVersion; v < target; v++) {
    const step = steps[v];
    // A missing step is this release's bug, not the file's: say so instead of showing old data as new.
    if (!step) throw new Error(`Internal error: no upgrade of report schema version ${v} to ${v + 1} (src/core/report/parse.ts UPGRADES).`);
    r = step({ ...r });
    if (r.schemaVersion !== v + 1) throw new Error(`Internal error: the upgrade of report schema version ${v} set schemaVersion ${r.schemaVersion}, not ${v + 1}.`);
  }
  return r;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function reportError(message: string): UserError {
  return new UserError(message, 'E_REPORT');
}

/**
 * Checks a parsed report (from `source`: a file path, or a description such as "the report
 * embedded in this page", used in error messages) and returns it in the current schema version.
 * Throws a UserError naming `source` and what to do.
 */
export function parseReport(data: unknown, source: string): SparsityReport {
  if (!isRecord(data) || data.schema !== REPORT_SCHEMA) {
    throw reportError(`${source} is not a Sparsity Lens report (its "schema" is not "${REPORT_SCHEMA}"). Open the report.sparsity.json of a run folder.`);
  }
  const version = data.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < OLDEST_REPORT_VERSION) {
    throw reportError(
      `${source} has an invalid report schema version (${JSON.stringify(version)}); this Sparsity Lens reads versions ${OLDEST_REPORT_VERSION} to ${REPORT_SCHEMA_VERSION}. The file is damaged: run the analysis again.`,
    );
  }
  if (version > REPORT_SCHEMA_VERSION) {
    throw reportError(
      `${source} was written by a newer Sparsity Lens (report schema version ${version}; this one reads up to ${REPORT_SCHEMA_VERSION}). Update the Sparsity Lens extension (or the sparsity-lens CLI) to open it.`,
    );
  }
  const report = upgradeReport({ ...data, schemaVersion: version }, UPGRADES, REPORT_SCHEMA_VERSION);
  if (!Array.isArray(report.passes) || !Array.isArray(report.categories) || !isRecord(report.dataset) || !isRecord(report.model)) {
    throw reportError(`${source} is incomplete: it lacks passes, categories, dataset or model. Run the analysis again to write a complete report.`);
  }
  return report as unknown as SparsityReport;
}

/** parseReport of JSON text; invalid JSON is a UserError naming `source`. */
export function parseReportJson(text: string, source: string): SparsityReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw reportError(`${source} is not valid JSON (${(e as Error).message}); it is damaged or not a report. Run the analysis again.`);
  }
  return parseReport(data, source);
}
