/**
 * A cluster run folder: what `submit` writes and `status`, the shard tasks and the merge job read.
 *
 *   <run>/cluster.json          the plan (ClusterPlan): request, model + sha256, shards, resources,
 *                               how to run sparsity-lens on the nodes, every submission's job ids
 *   <run>/<scheduler scripts>   e.g. shards.sbatch and merge.sbatch (core/cluster/slurm.ts)
 *   <run>/logs/                 one log per shard task and submission, one per merge job
 *   <run>/shards/<i>/<run dir>  shard i's ordinary analyze run folder (checkpoint in state/)
 *   <run>/merged/<run dir>      the merged report (exactly the unsharded result)
 *
 * Everything is found from the folder alone, so status and --resume work from any login node.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { AnalyzeRequest } from '../analyzeTypes';
import { writeFileAtomic } from '../fsAtomic';
import { REPORT_FILE } from '../report/schema';
import { UserError } from '../types';

export const PLAN_FILE = 'cluster.json';
export const PLAN_VERSION = 1;

/** What each shard task analyses: an analyze request without the per-shard parts. */
export type ShardRequest = Omit<AnalyzeRequest, 'outputRoot' | 'resumeRunDir' | 'checkpoint'>;

/** Resources asked of the scheduler for every shard task (the merge job asks for one CPU). */
export interface ClusterResources {
  partition?: string;
  /** Wall-time limit as the scheduler writes it (SLURM: 30, 4:00:00, 1-00:00:00). */
  time?: string;
  cpusPerTask?: number;
  /** Memory per task as the scheduler writes it (SLURM: 16G, 4000M). */
  mem?: string;
  /** Further scheduler arguments, verbatim (e.g. --account=lab, --qos=long). */
  extra: string[];
}

export interface Submission {
  at: string;
  /** Shards (1-based) this submission ran. Empty when only the merge job was resubmitted. */
  shards: number[];
  /** The array job's id (undefined when no shard was submitted). */
  arrayJobId?: string;
  mergeJobId: string;
}

export interface ClusterPlan {
  version: typeof PLAN_VERSION;
  scheduler: string;
  createdAt: string;
  shards: number;
  request: ShardRequest;
  model: { path: string; sha256: string; source?: string };
  resources: ClusterResources;
  /** argv that runs sparsity-lens on a compute node: node, its flags, the CLI script. */
  command: string[];
  submissions: Submission[];
}

export function planPath(runDir: string): string {
  return path.join(runDir, PLAN_FILE);
}

export function loadPlan(runDir: string): ClusterPlan {
  const file = planPath(runDir);
  let plan: ClusterPlan;
  try {
    plan = JSON.parse(fs.readFileSync(file, 'utf8')) as ClusterPlan;
  } catch (e) {
    throw new UserError(`${runDir} is not a cluster run folder: ${file} cannot be read (${(e as Error).message}). Pass the folder \`sparsity-lens submit\` printed.`, 'E_CLUSTER');
  }
  if (plan.version !== PLAN_VERSION) throw new UserError(`${file} has version ${String(plan.version)}; this Sparsity Lens reads version ${PLAN_VERSION}.`, 'E_CLUSTER');
  return plan;
}

export function savePlan(runDir: string, plan: ClusterPlan): void {
  writeFileAtomic(planPath(runDir), JSON.stringify(plan, null, 1) + '\n');
}

export const logsDir = (runDir: string): string => path.join(runDir, 'logs');
export const shardRoot = (runDir: string, shard: number): string => path.join(runDir, 'shards', String(shard));
export const mergedRoot = (runDir: string): string => path.join(runDir, 'merged');

/** Sub-folders of `dir` (none when it does not exist), sorted by name. */
function subDirs(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join(dir, d.name))
    .sort();
}

/** The shard's analyze run folder: the one with a checkpoint (state/state.json), if any. */
export function shardRunDir(runDir: string, shard: number): string | undefined {
  return subDirs(shardRoot(runDir, shard)).find((d) => fs.existsSync(path.join(d, 'state', 'state.json')));
}

/** The merged run folder with its report, if the merge has finished. */
export function mergedRunDir(runDir: string): string | undefined {
  return subDirs(mergedRoot(runDir)).find((d) => fs.existsSync(path.join(d, REPORT_FILE)));
}

export function hasReport(dir: string | undefined): dir is string {
  return dir !== undefined && fs.existsSync(path.join(dir, REPORT_FILE));
}

export interface CheckpointProgress {
  /** Image-passes done (as of the last checkpoint) and in all. */
  done: number;
  total: number;
  /** When the checkpoint was written. */
  at: Date;
}

/**
 * Progress of a shard as of its last checkpoint, read from state.json alone (not the sums): the
 * pass groups before the current one are complete, the current one is at nextImage.
 */
export function checkpointProgress(shardRun: string): CheckpointProgress | undefined {
  const file = path.join(shardRun, 'state', 'state.json');
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      categories: { files: unknown[] }[];
      passes: unknown[];
      passGroup?: number;
      nextImage: number;
      meta: { passGroupSize?: number };
    };
    const images = j.categories.reduce((s, c) => s + c.files.length, 0);
    const passes = j.passes.length;
    const groupSize = j.meta.passGroupSize ?? passes;
    const group = j.passGroup ?? 0;
    const inGroup = (g: number) => Math.max(0, Math.min(groupSize, passes - g * groupSize));
    let done = 0;
    for (let g = 0; g < group; g++) done += images * inGroup(g);
    done += j.nextImage * inGroup(group);
    return { done, total: images * passes, at: fs.statSync(file).mtime };
  } catch {
    return undefined; // no checkpoint yet, or one being replaced: the caller shows "no progress yet"
  }
}

/**
 * Why `p` would not be readable from compute nodes, or undefined. Per-user and node-local temp
 * folders (os.tmpdir(), /tmp, /var/tmp, /dev/shm, /run/user/<uid>, macOS /var/folders) exist on
 * the login node only: a model or dataset there is missing on every other machine.
 */
export function nodeLocalReason(p: string, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  // The user's explicit word that every node sees this machine's temp folders: a single-node
  // cluster (scripts/slurm-local.sh) or a checkout that lives under /tmp (CI). Never assumed.
  if (env.SPARSITY_LENS_NODE_LOCAL_OK === '1') return undefined;
  const real = (x: string) => {
    try {
      return fs.realpathSync(x);
    } catch {
      return path.resolve(x);
    }
  };
  const target = real(p);
  const roots = new Set<string>(['/tmp', '/var/tmp', '/dev/shm', '/run/user', '/var/folders', '/private/var/folders', '/private/tmp']);
  roots.add(os.tmpdir());
  if (env.TMPDIR) roots.add(env.TMPDIR);
  if (env.XDG_RUNTIME_DIR) roots.add(env.XDG_RUNTIME_DIR);
  for (const r of roots) {
    for (const root of new Set([path.resolve(r), real(r)])) {
      if (root === '/' || root === '') continue;
      if (target === root || target.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) {
        return `it is under ${root}, a temporary folder of this machine that compute nodes do not see`;
      }
    }
  }
  return undefined;
}

/** Throws a UserError naming `what` and the fix when `p` is node-local (nodeLocalReason). */
export function requireShared(p: string, what: string): void {
  const reason = nodeLocalReason(p);
  if (reason) {
    throw new UserError(`${what} ${p} is not readable from compute nodes: ${reason}. Put it on a file system every node mounts (your home or project folder) and pass that path.`, 'E_CLUSTER_PATH');
  }
}
