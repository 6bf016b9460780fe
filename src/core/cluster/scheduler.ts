/**
 * What a batch scheduler must do for `submit`, `status` and `submit --resume`. SLURM is
 * core/cluster/slurm.ts; another scheduler (PBS, LSF, HTCondor) is one such file plus one line in
 * SCHEDULERS (core/cluster/index.ts). Kubernetes needs none: its Indexed Jobs run
 * `analyze --shard auto/N` (docs/CLUSTER.md).
 *
 * The shard tasks and the merge job run scheduler-neutral commands (core/cluster/task.ts through
 * `sparsity-lens cluster-task` / `cluster-merge`): a scheduler only writes scripts around them,
 * submits, and says what state its jobs are in.
 */
import { spawnSync } from 'child_process';
import type { ClusterPlan, Submission } from './layout';

/** A scheduler's view of one shard task or the merge job. */
export type JobState =
  | { state: 'queued'; reason?: string }
  | { state: 'running' }
  | { state: 'succeeded' }
  | { state: 'failed'; reason: string };

export interface SchedulerView {
  /** Latest known state per shard (1-based) among the jobs asked about; absent = the scheduler no longer knows. */
  shards: Map<number, JobState>;
  merge?: JobState;
  /** Why the scheduler could not be asked (command missing, error), for status to show. */
  note?: string;
}

export interface ScriptFiles {
  /** The array job: one task per shard. */
  shards: string;
  /** The merge job, run after every shard task succeeded. */
  merge: string;
}

export interface Scheduler {
  readonly name: string;
  /** Writes the job scripts into the run folder (overwriting earlier ones) and returns their paths. */
  writeScripts(runDir: string, plan: ClusterPlan): ScriptFiles;
  /**
   * Submits the array job for `shards` (skipped when empty) and the merge job after it and after
   * `alsoWaitFor` (tasks of an earlier submission still queued or running).
   */
  submit(runDir: string, plan: ClusterPlan, shards: number[], alsoWaitFor: WaitFor[], run?: CommandRunner): Submission;
  /** The state of the tasks and merge job of these submissions (latest submission wins per shard). */
  query(plan: ClusterPlan, run?: CommandRunner): SchedulerView;
  /** Cancels jobs (ids as submit returned them); errors are ignored (a job may have ended). */
  cancel(jobIds: string[], run?: CommandRunner): void;
  /** Lines telling the user how to follow a submission with the scheduler's own tools. */
  followHints(runDir: string, submission: Submission): string[];
  /** The log file of a shard task of a submission, and of a merge job. */
  shardLog(runDir: string, submission: Submission, shard: number): string;
  mergeLog(runDir: string, submission: Submission): string;
}

/** A task of an earlier submission the new merge job must also wait for. */
export interface WaitFor {
  arrayJobId: string;
  shard: number;
}

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started (ENOENT: not installed / not on PATH). */
  error?: NodeJS.ErrnoException;
}

/** Runs a scheduler command; tests pass a fake one. */
export type CommandRunner = (command: string, args: string[]) => CommandResult;

export const runCommand: CommandRunner = (command, args) => {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error as NodeJS.ErrnoException | undefined };
};
