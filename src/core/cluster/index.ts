/**
 * The schedulers `submit` can use, by name. A new one (PBS, LSF, HTCondor): a file exporting a
 * Scheduler (core/cluster/scheduler.ts), plus one line here; `--scheduler <name>` then takes it.
 */
import { UserError } from '../types';
import type { Scheduler } from './scheduler';
import { slurm } from './slurm';

export const SCHEDULERS: Readonly<Record<string, Scheduler>> = {
  slurm,
};

export function schedulerNamed(name: string): Scheduler {
  const s = SCHEDULERS[name];
  if (!s) throw new UserError(`Unknown scheduler "${name}": use ${Object.keys(SCHEDULERS).join(', ')} (Kubernetes: see docs/CLUSTER.md, it runs \`analyze --shard auto/N\`).`, 'E_CLUSTER_ARG');
  return s;
}

export type { Scheduler } from './scheduler';
