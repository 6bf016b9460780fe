/**
 * What `npm run test:integration` needs beyond node, checked before any integration test runs.
 * The suite fails (never skips) when something is missing, and says how to install it.
 *
 *   node --import tsx test/integration/prerequisites.ts     # the check alone (npm runs it first)
 *
 * Each integration test file also calls requireIntegrationPrerequisites() in a `before` hook, so
 * running one file directly fails the same way. A new kind of prerequisite (e.g. a SLURM cluster
 * for a cluster suite) is one more entry in PREREQUISITES.
 */
import { spawnSync } from 'node:child_process';

/** The Python every live-Python test runs: Debian's, whose packages come from apt. */
export const PYTHON = '/usr/bin/python3';

/** Python module → the Debian package that provides it. */
const PYTHON_MODULES: Record<string, string> = {
  numpy: 'python3-numpy',
  scipy: 'python3-scipy',
  statsmodels: 'python3-statsmodels',
  sklearn: 'python3-sklearn',
  torch: 'python3-torch',
  torchvision: 'python3-torchvision',
  // The cross-check reads its stimuli with PIL (torchvision depends on it).
  PIL: 'python3-pil',
};

export const APT_INSTALL = `apt-get install -y ${[...new Set(Object.values(PYTHON_MODULES))].join(' ')}`;

interface Prerequisite {
  name: string;
  /** undefined when present; else what is wrong. */
  problem(): string | undefined;
  /** How to install it. */
  install: string;
}

function pythonModulesProblem(): string | undefined {
  // One interpreter start tries every module (importing torch alone takes seconds).
  const probe = `import importlib, json
missing = {}
for m in ${JSON.stringify(Object.keys(PYTHON_MODULES))}:
    try:
        importlib.import_module(m)
    except Exception as e:
        missing[m] = f"{type(e).__name__}: {e}"
print(json.dumps(missing))`;
  const r = spawnSync(PYTHON, ['-c', probe], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return `${PYTHON} cannot be run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} failed: ${r.stderr.trim().split('\n').pop()}`;
  const missing: Record<string, string> = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
  const names = Object.keys(missing);
  if (names.length === 0) return undefined;
  return `${PYTHON} cannot import ${names.map((m) => `${m} (${PYTHON_MODULES[m]}: ${missing[m]})`).join(', ')}`;
}

/** The SLURM daemons and client commands scripts/slurm-local.sh starts and test/integration/slurm.test.ts uses. */
const SLURM_COMMANDS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'scontrol', 'sinfo'];

function slurmProblem(): string | undefined {
  // `command -v` through sh: the daemons are in /usr/sbin, which a non-login PATH may lack.
  const r = spawnSync('sh', ['-c', `PATH="$PATH:/usr/sbin:/sbin"; for c in ${SLURM_COMMANDS.join(' ')}; do command -v "$c" >/dev/null || echo "$c"; done`], { encoding: 'utf8' });
  const missing = r.stdout.split('\n').filter(Boolean);
  if (r.error) return `sh cannot be run (${r.error.message})`;
  return missing.length ? `${missing.join(', ')} not found` : undefined;
}

const PREREQUISITES: Prerequisite[] = [
  {
    name: `Debian's Python with numpy, scipy, statsmodels, scikit-learn, PyTorch and torchvision`,
    problem: pythonModulesProblem,
    install: APT_INSTALL,
  },
  {
    name: 'SLURM (slurm-wlm) and munge, for the cluster test (scripts/slurm-local.sh starts a single-node cluster; needs root)',
    problem: slurmProblem,
    install: 'apt-get update && apt-get install -y slurm-wlm munge',
  },
];

/** Every missing prerequisite with its install command; empty when all are present. */
export function missingPrerequisites(): string[] {
  return PREREQUISITES.flatMap((p) => {
    const problem = p.problem();
    return problem ? [`${p.name}: ${problem}\n  Install: ${p.install}`] : [];
  });
}

let checked: string[] | undefined;

/** Throws (so the calling test fails, it is never skipped) when a prerequisite is missing. */
export function requireIntegrationPrerequisites(): void {
  checked ??= missingPrerequisites();
  if (checked.length) {
    throw new Error(`The integration tests (npm run test:integration) cannot run; missing:\n${checked.join('\n')}`);
  }
}

if (require.main === module) {
  const missing = missingPrerequisites();
  if (missing.length) {
    console.error(`npm run test:integration: prerequisites missing, no test was run.\n${missing.join('\n')}`);
    process.exit(1);
  }
  console.log(`integration prerequisites present (${PYTHON}: ${Object.keys(PYTHON_MODULES).join(', ')}; SLURM: ${SLURM_COMMANDS.join(', ')})`);
}
