/**
 * Reads a saved report file (`report.sparsity.json`, or an exported `*.sparsity.json`) in any
 * supported schema version; the checks and version upgrades are parse.ts's.
 */
import * as fs from 'fs';
import { UserError } from '../types';
import { parseReportJson } from './parse';
import type { SparsityReport } from './schema';

/** The report in `file`, in the current schema version. Throws a UserError naming the file and the fix. */
export function readReport(file: string): SparsityReport {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`Cannot read the report ${file}: ${(e as Error).message}. Check that the file exists and is readable.`, 'E_REPORT');
  }
  return parseReportJson(text, file);
}
