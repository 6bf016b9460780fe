/**
 * Node side of comparisons: finding the report of a run folder, reading reports and saved
 * comparisons, writing the comparison folder (comparison.sparsity.json, comparison.csv,
 * comparison.html), all atomically.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../fsAtomic';
import { readReport } from '../report/reader';
import { jsonForScript, renderStandalonePage } from '../report/html';
import { REPORT_FILE } from '../report/schema';
import { UserError } from '../types';
import { buildComparison, type CompareInput, type CompareOptions } from './build';
import { comparisonCsv } from './csv';
import { parseComparisonJson } from './parse';
import { COMPARISON_CSV, COMPARISON_FILE, COMPARISON_HTML, type Comparison } from './schema';

export const COMPARISON_SCRIPT = 'comparisonStandalone.js';

/** The report file of a run folder, or the file itself. Throws a UserError naming the argument. */
export function reportFileOf(arg: string): string {
  const p = path.resolve(arg);
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new UserError(`${arg} does not exist. Pass a run folder (holding ${REPORT_FILE}) or a report file.`, 'E_COMPARE');
  }
  if (st.isDirectory()) {
    const f = path.join(p, REPORT_FILE);
    if (!fs.existsSync(f)) throw new UserError(`${arg} has no ${REPORT_FILE}: it is not a finished run folder (resume it with "analyze --resume", or pass another run).`, 'E_COMPARE');
    return f;
  }
  return p;
}

/** Reads the reports of run folders / report files, in order. */
export function readInputs(args: string[]): CompareInput[] {
  return args.map((a) => {
    const file = reportFileOf(a);
    return { file, report: readReport(file) };
  });
}

export function readComparison(file: string): Comparison {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`Cannot read the comparison ${file}: ${(e as Error).message}.`, 'E_COMPARISON');
  }
  return parseComparisonJson(text, file);
}

/** The self-contained comparison.html (same CSP rules as report.html: hashed inline script and style only). */
export async function renderComparisonHtml(c: Comparison, assetsDir?: string): Promise<string> {
  return renderStandalonePage({
    script: COMPARISON_SCRIPT,
    what: 'comparison',
    assetsDir,
    title: `Sparsity comparison: ${c.runs.map((r) => r.label).join(' vs ')}`,
    generator: `${c.tool.name} ${c.tool.version}`,
    dataId: 'sparsity-comparison',
    dataJson: jsonForScript(c),
    noscript: `This comparison needs JavaScript to draw its charts; the data is in ${COMPARISON_FILE} beside this file.`,
  });
}

export interface WrittenComparison {
  comparison: Comparison;
  dir: string;
  files: { json: string; csv: string; html?: string };
}

/** Writes the three files into `outDir` (made if missing); the JSON last, so its presence means done. */
export async function writeComparison(c: Comparison, outDir: string, options: { html?: boolean } = {}): Promise<WrittenComparison> {
  const dir = path.resolve(outDir);
  fs.mkdirSync(dir, { recursive: true });
  const csv = path.join(dir, COMPARISON_CSV);
  writeFileAtomic(csv, comparisonCsv(c));
  let html: string | undefined;
  if (options.html !== false) {
    html = path.join(dir, COMPARISON_HTML);
    writeFileAtomic(html, await renderComparisonHtml(c));
  }
  const json = path.join(dir, COMPARISON_FILE);
  writeFileAtomic(json, JSON.stringify(c, null, 1));
  return { comparison: c, dir, files: { json, csv, ...(html ? { html } : {}) } };
}

/** Reads the runs, compares them, writes the folder: what `sparsity-lens compare` does. */
export async function compareRuns(args: string[], outDir: string, options: CompareOptions & { html?: boolean } = {}): Promise<WrittenComparison> {
  const c = buildComparison(readInputs(args), options);
  return writeComparison(c, outDir, options);
}
