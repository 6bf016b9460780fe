/**
 * Cluster commands (docs/CLUSTER.md): `submit` (a sharded run as a scheduler array job plus a
 * merge job), `status`, and the two commands the job scripts run on compute nodes,
 * `cluster-task <run> <shard>` and `cluster-merge <run>`. The logic is in src/core/cluster/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { InvalidArgumentError, type Command } from 'commander';
import type { ProgressEvent } from '../core/analyzeTypes';
import { SCHEDULERS } from '../core/cluster';
import type { ClusterResources } from '../core/cluster/layout';
import { clusterStatus, formatClusterStatus } from '../core/cluster/status';
import { resubmitRun, submitRun, type SubmitResult } from '../core/cluster/submit';
import { runMergeTask, runShardTask } from '../core/cluster/task';
import { fmt, formatClock } from '../core/report/format';
import { UserError } from '../core/types';
import { resolveModelArgument } from './models';
import { addSettingOptions, settingsFromOptions } from './settingOptions';

const log = (l: string) => process.stderr.write(l + '\n');

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer.`);
    return n;
  };
}

function nonNegative(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag} must be a number of seconds, 0 or more.`);
    return n;
  };
}

/**
 * argv that runs this same sparsity-lens on a compute node: this node binary and the CLI script
 * (dist/cli.js, or src/cli/main.ts through tsx's loader by absolute path, since a bare
 * `--import tsx` would be resolved from the job's working directory).
 */
export function nodeCommand(): string[] {
  const script = fs.realpathSync(process.argv[1]);
  if (script.endsWith('.ts')) return [process.execPath, '--import', pathToFileURL(require.resolve('tsx')).href, script];
  return [process.execPath, script];
}

/** Plain progress lines (shard logs are files, not terminals): every 10 s and at the end of a pass. */
function progressLines(label: string) {
  let last = 0;
  return (e: ProgressEvent) => {
    if (e.phase !== 'run') {
      if (e.message) log(`${label}: ${e.message}`);
      return;
    }
    if (Date.now() - last > 10_000 || e.done === e.total) {
      last = Date.now();
      log(`${label}: progress ${e.done}/${e.total} image-passes, ${fmt(e.imagesPerSecond, 1)} img/s, ETA ${formatClock(e.etaSeconds)}`);
    }
  };
}

function printSubmitted(r: SubmitResult): void {
  const out: string[] = [`Run folder: ${r.runDir}`, `Job scripts: ${r.scripts.shards}, ${r.scripts.merge}`];
  if (r.submission) {
    const s = r.submission;
    if (s.arrayJobId) out.push(`Shard array job ${s.arrayJobId} (shards ${s.shards.join(', ')} of ${r.plan.shards})`);
    out.push(`Merge job ${s.mergeJobId} (runs after every shard succeeded; writes ${path.join(r.runDir, 'merged')}/)`);
    out.push('Follow it with:');
  }
  out.push(...r.hints.map((h) => `  ${h}`));
  process.stdout.write(out.join('\n') + '\n');
}

export function registerClusterCommands(program: Command): void {
  const submit = program
    .command('submit')
    .description('Run the analysis of <folder> on a cluster: an array job with one task per shard, then a merge job (exactly the unsharded result). See docs/CLUSTER.md.')
    .argument('[folder]', 'image folder, one sub-folder per category (on a file system every node mounts)')
    .option('-m, --model <model>', '.onnx file, TF.js model.json, torchvision:<arch>, catalog:<id> or https URL (resolved once, here)')
    .option('--shards <n>', 'number of shards (array tasks); categories are dealt round-robin', positiveInt('--shards'))
    .option('--scheduler <name>', `batch scheduler: ${Object.keys(SCHEDULERS).join(', ')}`, 'slurm')
    .option('--partition <p>', 'partition (queue) of every job')
    .option('--time <t>', 'wall-time limit per job, as the scheduler writes it (e.g. 4:00:00)')
    .option('--cpus-per-task <c>', 'CPUs per shard task', positiveInt('--cpus-per-task'))
    .option('--mem <m>', 'memory per job (e.g. 16G)')
    .option('--sbatch-arg <arg>', 'one more scheduler option for every job, verbatim (repeatable), e.g. --sbatch-arg=--account=lab', (v: string, prev: string[] = []) => [...prev, v])
    .option('-o, --out <dir>', 'parent folder of the cluster run folder (on a file system every node mounts)', 'sparsity-runs')
    .option('--dry-run', 'write the run folder and job scripts, submit nothing')
    .option('--resume <run>', 'resubmit the shards of <run> that failed or never ran (each resumes from its checkpoint), and the merge');
  // The analysis flags are analyze's, from the settings table; the shard is submit's to set.
  addSettingOptions(submit, ['shard'])
    .option('--python <path>', 'Python with torch/torchvision, for --model torchvision:<arch>')
    .option('--cache-dir <dir>', 'model cache folder (default ~/.cache/sparsity-lens/models; on a shared file system)')
    .option('--refresh-model', 'fetch/export the model again even when cached')
    .option('--max-download-mb <n>', 'refuse model downloads larger than this', positiveInt('--max-download-mb'))
    .option('--checkpoint-seconds <s>', 'seconds between a shard\'s checkpoints (default 30, more for very big runs)', nonNegative('--checkpoint-seconds'))
    .option('--no-html', 'do not write report.html')
    .action(async (folder: string | undefined, o: Record<string, unknown>) => {
      if (o.resume) {
        // The plan in the run folder says what to run; other options would be silently ignored.
        const ignored = [folder !== undefined && '<folder>', o.model !== undefined && '--model', o.shards !== undefined && '--shards', o.partition !== undefined && '--partition', o.time !== undefined && '--time', o.mem !== undefined && '--mem', o.cpusPerTask !== undefined && '--cpus-per-task', o.sbatchArg !== undefined && '--sbatch-arg'].filter(Boolean);
        if (ignored.length) throw new UserError(`submit --resume reruns the run as it was submitted (its cluster.json); leave out ${ignored.join(', ')}, or submit a new run.`);
        const r = await resubmitRun(String(o.resume), { dryRun: o.dryRun === true });
        if (r.submission) process.stdout.write(`Resubmitting shards ${r.rerun.join(', ') || '(none)'}${r.waiting.length ? `; the merge also waits for shards ${r.waiting.join(', ')}, still queued or running` : ''}.\n`);
        printSubmitted(r);
        return;
      }
      if (!folder) throw new UserError('Missing <folder>: pass the image folder (one sub-folder per category), or --resume <cluster run folder>.');
      if (!o.model) throw new UserError('Missing --model: pass an .onnx file, a TF.js model.json, torchvision:<arch>, catalog:<id> or an https URL.');
      if (o.shards === undefined) throw new UserError('Missing --shards: how many array tasks to split the categories over (e.g. --shards 8).');
      // Resolved here, once: the nodes read the file, they never export or download.
      const model = await resolveModelArgument(String(o.model), {
        onLog: log,
        cacheDir: o.cacheDir as string | undefined,
        pythonPath: o.python as string | undefined,
        refresh: o.refreshModel === true,
        maxDownloadMB: o.maxDownloadMb as number | undefined,
      });
      const { settings, preprocessing } = settingsFromOptions(o);
      const resources: ClusterResources = {
        partition: o.partition as string | undefined,
        time: o.time as string | undefined,
        cpusPerTask: o.cpusPerTask as number | undefined,
        mem: o.mem as string | undefined,
        extra: (o.sbatchArg as string[] | undefined) ?? [],
      };
      const r = await submitRun({
        request: {
          datasetPath: path.resolve(folder),
          modelPath: model.path,
          modelSource: model.source,
          settings,
          preprocessing,
          html: o.html !== false,
          checkpointSeconds: o.checkpointSeconds as number | undefined,
        },
        shards: o.shards as number,
        scheduler: String(o.scheduler),
        resources,
        outputRoot: path.resolve(String(o.out)),
        command: nodeCommand(),
        dryRun: o.dryRun === true,
      });
      printSubmitted(r);
    });

  program
    .command('status')
    .description('Per shard of a cluster run: queued / running (progress from its checkpoint) / done / failed, and the merge.')
    .argument('<run>', 'the cluster run folder `submit` printed')
    .option('--json', 'print JSON')
    .action((runDir: string, o: { json?: boolean }) => {
      const s = clusterStatus(path.resolve(runDir));
      if (o.json) process.stdout.write(JSON.stringify({ ...s, plan: undefined, shardsTotal: s.plan.shards }, null, 1) + '\n');
      else process.stdout.write(formatClusterStatus(s) + '\n');
    });

  program
    .command('cluster-task', { hidden: true })
    .description('Run one shard of a cluster run (what the array job runs on a node); resumes from its checkpoint.')
    .argument('<run>', 'cluster run folder')
    .argument('<shard>', 'shard number, 1..N (SLURM_ARRAY_TASK_ID)', positiveInt('<shard>'))
    .action(async (runDir: string, shard: number) => {
      // No SIGTERM handler on purpose: scancel, a time limit or preemption ends the process at
      // once and the last checkpoint stays for the next task (a cancelled analyze() would remove
      // a new run's folder, checkpoint included).
      const r = await runShardTask(path.resolve(runDir), shard, { onLog: log, onProgress: progressLines(`shard ${shard}`) });
      process.stdout.write(`Shard ${shard} ${r.alreadyDone ? 'was already done' : 'done'}: ${r.result.reportPath}\n`);
    });

  program
    .command('cluster-merge', { hidden: true })
    .description('Merge the shards of a cluster run into <run>/merged/ (what the merge job runs).')
    .argument('<run>', 'cluster run folder')
    .action(async (runDir: string) => {
      const r = await runMergeTask(path.resolve(runDir), log);
      process.stdout.write(`Merged report: ${r.result.reportPath}\n`);
    });
}
