/** Merging shard runs (`--shard i/n`) into one report: category sums and counts add up exactly. */
import * as path from 'path';
import type { AnalyzeResult } from './analyzeTypes';
import { buildReport } from './buildReport';
import { createUniqueDir } from './fsAtomic';
import { writeReport } from './report/writer';
import { RunState } from './runState';
import { runFolderBase } from './runName';

export async function mergeRuns(runDirs: string[], outputRoot: string): Promise<AnalyzeResult> {
  const merged = RunState.merge(runDirs.map((d) => RunState.load(path.join(d, 'state'))));
  const runDir = createUniqueDir(outputRoot, `${runFolderBase(merged.meta.datasetPath, merged.meta.modelPath, merged.meta.modelSource)}-merged-${runDirs.length}-shards`);
  merged.save(path.join(runDir, 'state'));
  const report = await buildReport(merged, { partial: false, runDir });
  const reportPath = await writeReport(report, merged, runDir);
  return { report, runDir, reportPath };
}
