/**
 * The one reader of comparison JSON (pure: the comparison panel and comparison.html bundle it).
 * Checks schema id and version; a newer version says to update, an older one would be
 * upgraded here step by step (none yet: version 1 is the first).
 */
import { UserError } from '../types';
import { COMPARISON_SCHEMA, COMPARISON_SCHEMA_VERSION, type Comparison } from './schema';

function err(message: string): UserError {
  return new UserError(message, 'E_COMPARISON');
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Whether parsed JSON claims to be a comparison (used to tell comparison and report files apart). */
export function isComparisonData(data: unknown): boolean {
  return isRecord(data) && data.schema === COMPARISON_SCHEMA;
}

export function parseComparison(data: unknown, source: string): Comparison {
  if (!isRecord(data) || data.schema !== COMPARISON_SCHEMA) {
    throw err(`${source} is not a Sparsity Lens comparison (its "schema" is not "${COMPARISON_SCHEMA}"). Make one with "sparsity-lens compare" or "Sparsity Lens: Compare Reports…".`);
  }
  const v = data.schemaVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw err(`${source} has an invalid comparison schema version (${JSON.stringify(v)}); the file is damaged: compare the runs again.`);
  if (v > COMPARISON_SCHEMA_VERSION) {
    throw err(`${source} was written by a newer Sparsity Lens (comparison schema version ${v}; this one reads up to ${COMPARISON_SCHEMA_VERSION}). Update Sparsity Lens to open it.`);
  }
  if (!Array.isArray(data.runs) || data.runs.length < 2 || !isRecord(data.index) || !Array.isArray(data.paired) || !Array.isArray(data.differences)) {
    throw err(`${source} is incomplete: it lacks runs, index, paired or differences. Compare the runs again.`);
  }
  for (const r of data.runs) {
    if (!isRecord(r) || typeof r.id !== 'string' || !Array.isArray(r.passes)) throw err(`${source} has a damaged run entry. Compare the runs again.`);
  }
  return data as unknown as Comparison;
}

export function parseComparisonJson(text: string, source: string): Comparison {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw err(`${source} is not valid JSON (${(e as Error).message}).`);
  }
  return parseComparison(data, source);
}
