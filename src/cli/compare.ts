/**
 * `sparsity-lens compare <run-or-report>...` (issue 12): lines up two or more runs and writes a
 * comparison folder (comparison.sparsity.json, comparison.csv, comparison.html). The logic is
 * in src/core/compare/; this file is flags and output only.
 */
import * as path from 'path';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_BOOTSTRAP_SEED, DEFAULT_RESAMPLES } from '../core/compare/build';
import { compareRuns } from '../core/compare/io';
import { formatComparisonText } from '../core/compare/tables';
import { createUniqueDir } from '../core/fsAtomic';
import { INDEX_IDS } from '../core/measures/registry';

function nonNegativeInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} must be a non-negative integer.`);
    return n;
  };
}

/** A new folder per comparison unless --out names one: `<parent>/compare-<stamp>`. */
function defaultOutDir(parent: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return createUniqueDir(path.resolve(parent), `compare-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`);
}

export function registerCompareCommand(program: Command): void {
  program
    .command('compare')
    .description('Compare two or more runs (run folders or report files): index by relative depth, trends, paired tests when the categories match.')
    .argument('<runs...>', 'run folders (holding report.sparsity.json) or report files')
    .option('-o, --out <dir>', 'folder to write the comparison into (default: a new sparsity-comparisons/compare-<time>)')
    .option('--index <id>', `sparseness index: ${INDEX_IDS.join(' | ')}`, 'psi')
    .option('--passes <which>', 'trained (the trained model only) or all (controls too)', (v: string) => {
      if (v !== 'trained' && v !== 'all') throw new InvalidArgumentError('--passes must be trained or all.');
      return v;
    }, 'trained')
    .option('--resamples <n>', 'bootstrap resamples of the median interval', nonNegativeInt('--resamples'), DEFAULT_RESAMPLES)
    .option('--bootstrap-seed <n>', 'seed of the bootstrap', nonNegativeInt('--bootstrap-seed'), DEFAULT_BOOTSTRAP_SEED)
    .option('--no-html', 'do not write comparison.html')
    .option('--json', 'print comparison.sparsity.json on stdout instead of the tables')
    .action(async (runs: string[], o: { out?: string; index: string; passes: 'trained' | 'all'; resamples: number; bootstrapSeed: number; html: boolean; json?: boolean }) => {
      const out = o.out ? path.resolve(o.out) : defaultOutDir('sparsity-comparisons');
      const written = await compareRuns(runs, out, { index: o.index, passes: o.passes, resamples: o.resamples, seed: o.bootstrapSeed, html: o.html });
      if (o.json) {
        process.stdout.write(JSON.stringify(written.comparison, null, 1) + '\n');
        return;
      }
      const c = written.comparison;
      const legend = c.runs.map((r) => `  ${r.id}  ${r.label}\n     ${r.reportFile}`).join('\n');
      process.stdout.write(`Runs:\n${legend}\n\n${formatComparisonText(c)}\n\nComparison: ${written.files.json}\n`);
    });
}
