/**
 * SLURM: an array job with one task per shard (array indices = shard numbers 1..N, so a
 * resubmission of shards 2 and 5 is `--array=2,5` and each task knows its shard from
 * SLURM_ARRAY_TASK_ID alone) and a merge job with `--dependency=afterok:<array>`, both through
 * `sbatch --parsable`. State from `squeue --states=all` (recently ended jobs too) and `sacct`
 * where accounting is enabled; the run folder (core/cluster/status.ts) decides the rest.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../types';
import { logsDir, type ClusterPlan, type ClusterResources, type Submission } from './layout';
import { runCommand, type CommandRunner, type JobState, type Scheduler, type SchedulerView, type ScriptFiles, type WaitFor } from './scheduler';

export const SHARDS_SCRIPT = 'shards.sbatch';
export const MERGE_SCRIPT = 'merge.sbatch';

/** A bash single-quoted word (the scripts are read by bash; nothing in it is expanded). */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `1-3,5,7-8` for [1,2,3,5,7,8] (sorted, unique). */
export function arraySpec(shards: number[]): string {
  const s = [...new Set(shards)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(i === j ? String(s[i]) : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Resource values go into #SBATCH lines: one word each, so a value cannot add lines or options. */
export function checkResources(r: ClusterResources): void {
  const one = (flag: string, v: string | undefined) => {
    if (v !== undefined && !/^[^\s'"\\]+$/.test(v)) throw new UserError(`${flag} "${v}": give one word without spaces or quotes (e.g. ${flag === '--time' ? '4:00:00' : flag === '--mem' ? '16G' : 'gpu'}).`, 'E_CLUSTER_ARG');
  };
  one('--partition', r.partition);
  one('--time', r.time);
  one('--mem', r.mem);
  for (const a of r.extra) {
    if (!/^-{1,2}[A-Za-z]/.test(a) || /[\s'"\\]/.test(a)) throw new UserError(`--sbatch-arg "${a}": give one sbatch option per --sbatch-arg, written as one word (e.g. --sbatch-arg=--account=lab).`, 'E_CLUSTER_ARG');
  }
}

function directives(plan: ClusterPlan, extra: string[]): string[] {
  const r = plan.resources;
  const lines = [...extra];
  if (r.partition) lines.push(`--partition=${r.partition}`);
  if (r.time) lines.push(`--time=${r.time}`);
  if (r.cpusPerTask) lines.push(`--cpus-per-task=${r.cpusPerTask}`);
  if (r.mem) lines.push(`--mem=${r.mem}`);
  lines.push(...r.extra);
  return lines.map((l) => `#SBATCH ${l}`);
}

function jobName(plan: ClusterPlan): string {
  return `sparsity-${path.basename(plan.request.datasetPath).replace(/[^A-Za-z0-9_.-]+/g, '_')}`.slice(0, 60);
}

/** The array job script (shard tasks). */
export function shardsScript(runDir: string, plan: ClusterPlan): string {
  const cmd = [...plan.command, 'cluster-task', runDir].map(shellQuote).join(' ');
  return [
    '#!/bin/bash',
    `# Sparsity Lens: ${plan.shards} shards of ${plan.request.datasetPath}`,
    `# model ${plan.model.path} (sha256 ${plan.model.sha256}); written by \`sparsity-lens submit\`.`,
    '# One task per shard; the array indices are the shard numbers, so `sbatch --array=2,5` reruns',
    "# shards 2 and 5. A task resumes from its shard's checkpoint (shards/<i>/) when there is one.",
    `#SBATCH --job-name=${jobName(plan)}`,
    ...directives(plan, [`--array=1-${plan.shards}`, `--output=${path.join(logsDir(runDir), 'shard-%a-%A.log')}`]),
    'set -euo pipefail',
    `exec ${cmd} "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
}

/** The merge job script: runs after every shard task succeeded (the dependency is given at submit). */
export function mergeScript(runDir: string, plan: ClusterPlan): string {
  const cmd = [...plan.command, 'cluster-merge', runDir].map(shellQuote).join(' ');
  return [
    '#!/bin/bash',
    `# Sparsity Lens: merges the ${plan.shards} shard runs of ${runDir} into merged/ (exact);`,
    '# submitted by `sparsity-lens submit` with --dependency=afterok on the shard tasks.',
    `#SBATCH --job-name=${jobName(plan)}-merge`,
    // The statistics and the decoder run here, so the merge asks for what a shard asks for.
    ...directives(plan, [`--output=${path.join(logsDir(runDir), 'merge-%j.log')}`]),
    'set -euo pipefail',
    `exec ${cmd}`,
    '',
  ].join('\n');
}

/** The job id of `sbatch --parsable` output (`123` or `123;cluster`). */
export function parseJobId(stdout: string): string | undefined {
  const line = stdout.trim().split('\n').pop() ?? '';
  const id = line.split(';')[0].trim();
  return /^\d+$/.test(id) ? id : undefined;
}

const SBATCH_MISSING =
  'sbatch is not on the PATH of this machine. Submit from a machine with the SLURM client commands (a login node; in VS Code, a Remote-SSH window on one), or try it locally with `scripts/slurm-local.sh start`. `--dry-run` writes the job scripts without submitting.';

function sbatch(args: string[], run: CommandRunner, what: string): string {
  const r = run('sbatch', ['--parsable', ...args]);
  if (r.error?.code === 'ENOENT') throw new UserError(SBATCH_MISSING, 'E_SBATCH_MISSING');
  if (r.error) throw new UserError(`sbatch could not be run for the ${what}: ${r.error.message}`, 'E_SBATCH');
  const id = r.status === 0 ? parseJobId(r.stdout) : undefined;
  if (!id) {
    const msg = (r.stderr.trim() || r.stdout.trim() || `exit status ${String(r.status)}`).replace(/\s*\n\s*/g, ' / ');
    // A controller that does not answer is not a problem of the options.
    const fix = /unable to contact slurm controller|connection refused|connect failure/i.test(msg)
      ? 'The SLURM controller does not answer: check `scontrol ping` (for the local test cluster: scripts/slurm-local.sh start).'
      : "Check --partition, --time, --mem and --sbatch-arg against `sinfo` and your site's limits.";
    throw new UserError(`SLURM rejected the ${what} (sbatch ${args.join(' ')}): ${msg}. ${fix}`, 'E_SBATCH_REJECTED');
  }
  return id;
}

/** squeue/sacct state name → JobState. */
export function jobStateOf(slurmState: string, reason = ''): JobState {
  const s = slurmState.trim().toUpperCase().split(/\s+/)[0].replace(/\+$/, '');
  if (['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD'].includes(s)) return { state: 'queued', reason: reason && reason !== 'None' ? reason : undefined };
  if (['RUNNING', 'COMPLETING', 'SUSPENDED', 'STAGE_OUT', 'SIGNALING', 'RESIZING', 'STOPPED'].includes(s)) return { state: 'running' };
  if (s === 'COMPLETED') return { state: 'succeeded' };
  return { state: 'failed', reason: s.toLowerCase().replace(/_/g, ' ') };
}

interface Row {
  jobId: string;
  task?: number;
  state: JobState;
}

function squeueRows(jobId: string, run: CommandRunner): Row[] | undefined {
  const r = run('squeue', ['-h', '-r', '--states=all', '-j', jobId, '-o', '%F|%K|%T|%r']);
  if (r.error || r.status !== 0) return undefined;
  return r.stdout
    .split('\n')
    .filter((l) => l.includes('|'))
    .map((l) => {
      const [job, task, state, reason] = l.split('|');
      return { jobId: job.trim(), task: /^\d+$/.test(task.trim()) ? Number(task) : undefined, state: jobStateOf(state, reason?.trim()) };
    });
}

function sacctRows(jobId: string, run: CommandRunner): Row[] | undefined {
  const r = run('sacct', ['-n', '-P', '-X', '-j', jobId, '--format=JobID,State']);
  if (r.error || r.status !== 0) return undefined;
  return r.stdout
    .split('\n')
    .filter((l) => l.includes('|'))
    .map((l) => {
      const [id, state] = l.split('|');
      const m = /^(\d+)(?:_(\d+))?$/.exec(id.trim());
      const row: Row | undefined = m ? { jobId: m[1], task: m[2] !== undefined ? Number(m[2]) : undefined, state: jobStateOf(state) } : undefined;
      return row;
    })
    .filter((x): x is Row => x !== undefined);
}

export const slurm: Scheduler = {
  name: 'slurm',

  writeScripts(runDir: string, plan: ClusterPlan): ScriptFiles {
    checkResources(plan.resources);
    fs.mkdirSync(logsDir(runDir), { recursive: true });
    const files = { shards: path.join(runDir, SHARDS_SCRIPT), merge: path.join(runDir, MERGE_SCRIPT) };
    fs.writeFileSync(files.shards, shardsScript(runDir, plan), { mode: 0o755 });
    fs.writeFileSync(files.merge, mergeScript(runDir, plan), { mode: 0o755 });
    return files;
  },

  submit(runDir: string, plan: ClusterPlan, shards: number[], alsoWaitFor: WaitFor[], run: CommandRunner = runCommand): Submission {
    const at = new Date().toISOString();
    let arrayJobId: string | undefined;
    if (shards.length > 0) {
      // --array on the command line overrides the script's 1-N (a resubmission runs some shards only).
      arrayJobId = sbatch([`--array=${arraySpec(shards)}`, path.join(runDir, SHARDS_SCRIPT)], run, `shard array job (shards ${arraySpec(shards)})`);
    }
    const deps = [...(arrayJobId ? [arrayJobId] : []), ...alsoWaitFor.map((w) => `${w.arrayJobId}_${w.shard}`)];
    // kill-on-invalid-dep: when a shard fails the merge job is removed instead of waiting forever.
    const depArgs = deps.length ? [`--dependency=afterok:${deps.join(':')}`, '--kill-on-invalid-dep=yes'] : [];
    let mergeJobId: string;
    try {
      mergeJobId = sbatch([...depArgs, path.join(runDir, MERGE_SCRIPT)], run, 'merge job');
    } catch (e) {
      // Without its merge job the array would run for nothing: take it back, so the run folder stays consistent.
      if (arrayJobId) run('scancel', [arrayJobId]);
      throw e;
    }
    return { at, shards: [...shards].sort((a, b) => a - b), arrayJobId, mergeJobId };
  },

  query(plan: ClusterPlan, run: CommandRunner = runCommand): SchedulerView {
    const view: SchedulerView = { shards: new Map() };
    let squeueWorks = true;
    let sacctWorks = true;
    const rowsOf = (jobId: string): Row[] => {
      const q = squeueWorks ? squeueRows(jobId, run) : undefined;
      if (q === undefined && squeueWorks) {
        const probe = run('squeue', ['--version']);
        if (probe.error || probe.status !== 0) squeueWorks = false;
      }
      if (q && q.length > 0) return q;
      // Ended longer ago than MinJobAge: only accounting knows (when the site has it).
      const a = sacctWorks ? sacctRows(jobId, run) : undefined;
      if (a === undefined) sacctWorks = false;
      return a ?? [];
    };
    for (const sub of plan.submissions) {
      if (sub.arrayJobId) {
        const rows = rowsOf(sub.arrayJobId);
        for (const shard of sub.shards) {
          const row = rows.find((r) => r.task === shard);
          if (row) view.shards.set(shard, row.state);
          else view.shards.delete(shard); // a later submission the scheduler forgot says nothing of an earlier one
        }
      }
    }
    const last = plan.submissions[plan.submissions.length - 1];
    if (last) view.merge = rowsOf(last.mergeJobId).find((r) => r.task === undefined)?.state;
    if (!squeueWorks) view.note = 'squeue is not available here: states come from the run folder only';
    return view;
  },

  cancel(jobIds: string[], run: CommandRunner = runCommand): void {
    if (jobIds.length) run('scancel', jobIds);
  },

  followHints(runDir: string, sub: Submission): string[] {
    const ids = [sub.arrayJobId, sub.mergeJobId].filter((x): x is string => x !== undefined);
    return [
      `sparsity-lens status ${shellQuote(runDir)}      # per shard: queued / running (progress) / done / failed`,
      `squeue -j ${ids.join(',')}`,
      ...(sub.arrayJobId && sub.shards.length ? [`tail -f ${shellQuote(this.shardLog(runDir, sub, sub.shards[0]))}`] : []),
    ];
  },

  shardLog(runDir: string, sub: Submission, shard: number): string {
    return path.join(logsDir(runDir), `shard-${shard}-${sub.arrayJobId ?? 'none'}.log`);
  },

  mergeLog(runDir: string, sub: Submission): string {
    return path.join(logsDir(runDir), `merge-${sub.mergeJobId}.log`);
  },
};
