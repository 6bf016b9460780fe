/**
 * `--shard auto`: which shard this process is, from the environment a scheduler gives each task
 * of an array, so a user's own job script can pass the same command line to every task.
 *
 *   SLURM job array      SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_MAX,
 *                        SLURM_ARRAY_TASK_COUNT. Arrays may start at 0 or 1 (or anywhere):
 *                        shard = ID - MIN + 1 of COUNT. Arrays with gaps or steps (--array=1,3 or
 *                        1-9:2) have no such position; they need --shard $SLURM_ARRAY_TASK_ID/N.
 *   Kubernetes Indexed   JOB_COMPLETION_INDEX (0-based). The Job's completions are not in the
 *   Job                  environment: give them, --shard auto/N.
 *
 * `auto/N` fixes the count (and then the SLURM array must cover N tasks from its first index).
 * Anything else (`i/n`) is returned unchanged; parseShard (core/dataset.ts) checks it.
 */
import { UserError } from '../types';

export type Env = Readonly<Record<string, string | undefined>>;

function intVar(env: Env, name: string, flag: string): number {
  const text = env[name];
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw new UserError(`${flag} auto: ${name} is ${text === undefined ? 'not set' : `"${text}", not a whole number`}; run inside a SLURM job array (sbatch --array) or pass ${flag} i/n.`, 'E_SHARD');
  }
  return n;
}

/** `i/n` for `text` (`auto`, `auto/N` or `i/n`) in environment `env`. */
export function resolveShardSpec(text: string, env: Env, flag = '--shard'): string {
  const m = /^\s*auto(?:\/(\d+))?\s*$/i.exec(text);
  if (!m) return text;
  const given = m[1] !== undefined ? Number(m[1]) : undefined;
  if (given !== undefined && given < 1) throw new UserError(`${flag} ${text}: the shard count must be at least 1.`, 'E_SHARD');
  let index: number;
  let count: number;
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const id = intVar(env, 'SLURM_ARRAY_TASK_ID', flag);
    const min = intVar(env, 'SLURM_ARRAY_TASK_MIN', flag);
    const max = intVar(env, 'SLURM_ARRAY_TASK_MAX', flag);
    const tasks = intVar(env, 'SLURM_ARRAY_TASK_COUNT', flag);
    if (max - min + 1 !== tasks) {
      throw new UserError(
        `${flag} auto: the SLURM array has gaps or a step (tasks ${min}..${max}, ${tasks} of them), so a task's position is not its shard. Pass ${flag} $SLURM_ARRAY_TASK_ID/N with array indices 1..N instead.`,
        'E_SHARD',
      );
    }
    index = id - min + 1;
    count = given ?? tasks;
  } else if (env.JOB_COMPLETION_INDEX !== undefined) {
    index = intVar(env, 'JOB_COMPLETION_INDEX', flag) + 1;
    if (given === undefined) {
      throw new UserError(`${flag} auto: a Kubernetes Indexed Job (JOB_COMPLETION_INDEX=${env.JOB_COMPLETION_INDEX}) does not tell its number of completions; pass ${flag} auto/N with N = the Job's spec.completions.`, 'E_SHARD');
    }
    count = given;
  } else {
    throw new UserError(`${flag} auto: neither SLURM_ARRAY_TASK_ID (a SLURM job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; run it as a task of an array, or pass ${flag} i/n.`, 'E_SHARD');
  }
  if (index > count) {
    throw new UserError(`${flag} ${text}: this task is shard ${index} but the count is ${count}; the array has more tasks than shards (make N the number of tasks).`, 'E_SHARD');
  }
  return `${index}/${count}`;
}
