/**
 * Export from PyTorch: runs the shipped python/export_torchvision.py with the user's Python
 * (given path, else `python3`, else `python`), which builds torchvision.models.<arch> with
 * its pretrained weights (downloaded by torchvision on the user's machine) or random ones
 * (torch.manual_seed(seed) first, so the same seed writes the same file), and writes an ONNX
 * file (opset 17, input `input`, dynamic batch, eval mode) into a staging folder of the model
 * cache. The file is checked (ONNX graph with nodes, dynamic batch) and only then moved into
 * the cache and indexed, with the study's preprocessing.
 *
 * Any image classifier the user's torchvision lists can be exported (the script decides, from
 * torchvision.models.list_models); TORCHVISION_ARCHS is only what the pickers offer first.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CancelledError, LIU2020_PREPROCESSING, UserError, type Preprocessing } from '../types';
import type { ModelWeights } from '../report/schema';
import { ModelCache, type CacheEntry } from './cache';
import { inspectOnnx, OnnxFormatError } from './onnxInspect';

export interface TorchvisionArch {
  arch: string;
  family: string;
  /** Square input size the export uses. */
  inputSize: number;
  /** One of the two networks of Liu, Zhen & Liu (2020). */
  study?: boolean;
}

/**
 * Architectures the pickers offer (the common torchvision ImageNet classifiers). Not a limit:
 * exportTorchvision accepts every classifier of the user's torchvision (listTorchvisionArchs).
 */
export const TORCHVISION_ARCHS: readonly TorchvisionArch[] = [
  { arch: 'alexnet', family: 'alexnet', inputSize: 224, study: true },
  { arch: 'vgg11', family: 'vgg', inputSize: 224, study: true },
  { arch: 'vgg11_bn', family: 'vgg', inputSize: 224 },
  { arch: 'vgg13', family: 'vgg', inputSize: 224 },
  { arch: 'vgg13_bn', family: 'vgg', inputSize: 224 },
  { arch: 'vgg16', family: 'vgg', inputSize: 224 },
  { arch: 'vgg16_bn', family: 'vgg', inputSize: 224 },
  { arch: 'vgg19', family: 'vgg', inputSize: 224 },
  { arch: 'vgg19_bn', family: 'vgg', inputSize: 224 },
  { arch: 'resnet18', family: 'resnet', inputSize: 224 },
  { arch: 'resnet34', family: 'resnet', inputSize: 224 },
  { arch: 'resnet50', family: 'resnet', inputSize: 224 },
  { arch: 'resnet101', family: 'resnet', inputSize: 224 },
  { arch: 'resnet152', family: 'resnet', inputSize: 224 },
  { arch: 'resnext50_32x4d', family: 'resnet', inputSize: 224 },
  { arch: 'wide_resnet50_2', family: 'resnet', inputSize: 224 },
  { arch: 'squeezenet1_0', family: 'squeezenet', inputSize: 224 },
  { arch: 'squeezenet1_1', family: 'squeezenet', inputSize: 224 },
  { arch: 'densenet121', family: 'densenet', inputSize: 224 },
  { arch: 'densenet169', family: 'densenet', inputSize: 224 },
  { arch: 'googlenet', family: 'googlenet', inputSize: 224 },
  { arch: 'inception_v3', family: 'inception', inputSize: 299 },
  { arch: 'mobilenet_v2', family: 'mobilenet', inputSize: 224 },
  { arch: 'mobilenet_v3_small', family: 'mobilenet', inputSize: 224 },
  { arch: 'mobilenet_v3_large', family: 'mobilenet', inputSize: 224 },
  { arch: 'shufflenet_v2_x1_0', family: 'shufflenet', inputSize: 224 },
  { arch: 'mnasnet1_0', family: 'mnasnet', inputSize: 224 },
  { arch: 'efficientnet_b0', family: 'efficientnet', inputSize: 224 },
  { arch: 'regnet_x_400mf', family: 'regnet', inputSize: 224 },
  { arch: 'regnet_y_400mf', family: 'regnet', inputSize: 224 },
  { arch: 'convnext_tiny', family: 'convnext', inputSize: 224 },
  { arch: 'vit_b_16', family: 'vit', inputSize: 224 },
];

export type TorchWeights = 'DEFAULT' | 'none';

export interface PythonInfo {
  /** Command to run (`python3`, or the configured path). */
  command: string;
  /** Extra arguments before the script (`-3` for the Windows `py` launcher). */
  args: string[];
  /** How to write it in an instruction (quoted when it has spaces). */
  display: string;
  executable: string;
  version: string;
}

export interface ExportOptions {
  /** The user's Python (setting `sparsityLens.pythonPath`, CLI `--python`). Default: python3, then python. */
  pythonPath?: string;
  /** `DEFAULT`: torchvision's ImageNet weights (downloaded on first use). `none`: random weights. */
  weights?: TorchWeights;
  /** torch.manual_seed before the model is built (default 0): the random weights' seed. */
  seed?: number;
  /** Every line of the script's output, readable (for the output channel / stderr). */
  onOutput?(line: string): void;
  signal?: AbortSignal;
  opset?: number;
  /** Cache id (default torchvisionCacheId(arch, weights, seed)). */
  id?: string;
  /** Override the location of export_torchvision.py. */
  scriptPath?: string;
  /** Extra environment for the Python process (e.g. TORCH_HOME). */
  env?: NodeJS.ProcessEnv;
}

export function quoteArg(s: string): string {
  return /[\s"'$`\\]/.test(s) ? JSON.stringify(s) : s;
}

/** The exact install command shown when torch/torchvision are missing. */
export function pipInstallCommand(python: Pick<PythonInfo, 'display'>): string {
  return `${python.display} -m pip install torch torchvision`;
}

/** Finds the shipped export script (source tree, or beside the bundled dist/). */
export function exportScriptPath(): string {
  const env = process.env.SPARSITY_LENS_EXPORT_SCRIPT;
  if (env) return env;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'python', 'export_torchvision.py');
    if (fs.existsSync(p)) return p;
    dir = path.dirname(dir);
  }
  throw new UserError(`The export script python/export_torchvision.py is missing from this installation (searched upward from ${__dirname}). Reinstall Sparsity Lens.`, 'E_INSTALL');
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const PROBE = "import sys; print(sys.executable); print('%d.%d.%d' % tuple(sys.version_info[:3]))";

/** Resolves the Python to use. A configured path must work; otherwise python3, then python. */
export async function findPython(pythonPath?: string): Promise<PythonInfo> {
  const candidates: { command: string; args: string[] }[] = pythonPath
    ? [{ command: pythonPath, args: [] }]
    : [{ command: 'python3', args: [] }, { command: 'python', args: [] }, ...(process.platform === 'win32' ? [{ command: 'py', args: ['-3'] }] : [])];
  const tried: string[] = [];
  for (const c of candidates) {
    const display = [quoteArg(c.command), ...c.args].join(' ');
    let r: RunResult;
    try {
      r = await run(c.command, [...c.args, '-c', PROBE], 30_000);
    } catch (e) {
      tried.push(`${display} (${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message})`);
      continue;
    }
    const [executable, version] = r.stdout.trim().split(/\r?\n/);
    if (r.code !== 0 || !version) {
      tried.push(`${display} (did not run: ${r.stderr.trim().split(/\r?\n/).pop() ?? `exit ${r.code}`})`);
      continue;
    }
    const [major, minor] = version.split('.').map(Number);
    if (major < 3 || (major === 3 && minor < 8)) {
      tried.push(`${display} (Python ${version}; 3.8 or newer is needed)`);
      continue;
    }
    return { command: c.command, args: c.args, display, executable, version };
  }
  if (pythonPath) {
    throw new UserError(
      `The configured Python "${pythonPath}" cannot be used: ${tried.join('; ')}. Fix the setting sparsityLens.pythonPath (CLI: --python) to point at a Python 3.8+ that has torch and torchvision.`,
      'E_NO_PYTHON',
    );
  }
  throw new UserError(
    `No usable Python found (tried ${tried.join(', ')}). Install Python 3 (https://www.python.org/downloads/), then "python3 -m pip install torch torchvision", or set sparsityLens.pythonPath (CLI: --python) to a Python that has them.`,
    'E_NO_PYTHON',
  );
}

export interface TorchCheck {
  python: PythonInfo;
  torch: string;
  torchvision: string;
}

interface ScriptEvent {
  event: string;
  [k: string]: unknown;
}

function noTorchError(python: PythonInfo, ev: ScriptEvent): UserError {
  const missing = typeof ev.missing === 'string' ? ev.missing : 'torch';
  return new UserError(
    `${missing === 'torchvision' ? 'torchvision' : 'PyTorch (torch)'} is not installed for the Python ${python.display} (${python.executable}, ${python.version}). Install both with:\n  ${pipInstallCommand(python)}\nor point sparsityLens.pythonPath (CLI: --python) at a Python that has them.`,
    'E_NO_TORCH',
  );
}

/** Checks that the Python has torch and torchvision; UserError with the install command if not. */
export async function checkTorch(opts: { pythonPath?: string; scriptPath?: string } = {}): Promise<TorchCheck> {
  const python = await findPython(opts.pythonPath);
  const script = opts.scriptPath ?? exportScriptPath();
  const r = await run(python.command, [...python.args, script, '--check'], 120_000, { PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' });
  const events = parseEvents(r.stdout);
  const err = events.find((e) => e.event === 'error');
  if (err?.code === 'E_NO_TORCH') throw noTorchError(python, err);
  const v = events.find((e) => e.event === 'versions');
  if (r.code !== 0 || !v) {
    throw new UserError(`Checking torch with ${python.display} failed (exit ${r.code}): ${lastLines(r.stderr, 5) || String(err?.message ?? '')}`, 'E_EXPORT');
  }
  return { python, torch: String(v.torch), torchvision: String(v.torchvision) };
}

function parseEvents(stdout: string): ScriptEvent[] {
  const out: ScriptEvent[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const ev = parseEvent(line);
    if (ev) out.push(ev);
  }
  return out;
}

function parseEvent(line: string): ScriptEvent | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  try {
    const v = JSON.parse(t) as ScriptEvent;
    return typeof v?.event === 'string' ? v : null;
  } catch {
    return null;
  }
}

function lastLines(text: string, n: number): string {
  return text.split(/\r\n|\r|\n/).map((l) => l.trimEnd()).filter(Boolean).slice(-n).join('\n');
}

/**
 * The cache id of an export: `torchvision-<arch>` (pretrained), `torchvision-<arch>-random`
 * (random, seed 0), `torchvision-<arch>-random-seed<N>` (random, seed N): one entry per seed.
 */
export function torchvisionCacheId(arch: string, weights: TorchWeights, seed = 0): string {
  const base = `torchvision-${arch.replace(/_/g, '-')}`;
  if (weights !== 'none') return base;
  return seed === 0 ? `${base}-random` : `${base}-random-seed${seed}`;
}

/** True for a seed torch.manual_seed takes and JSON keeps exact. */
export function isValidSeed(seed: number): boolean {
  return Number.isSafeInteger(seed) && seed >= 0;
}

/** The classification architectures of the user's torchvision (`export_torchvision.py --list`). */
export async function listTorchvisionArchs(opts: { pythonPath?: string; scriptPath?: string } = {}): Promise<TorchCheck & { archs: string[] }> {
  const python = await findPython(opts.pythonPath);
  const script = opts.scriptPath ?? exportScriptPath();
  const r = await run(python.command, [...python.args, script, '--list'], 120_000, { PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' });
  const events = parseEvents(r.stdout);
  const err = events.find((e) => e.event === 'error');
  if (err?.code === 'E_NO_TORCH') throw noTorchError(python, err);
  const v = events.find((e) => e.event === 'versions');
  const a = events.find((e) => e.event === 'archs');
  if (r.code !== 0 || !v || !a || !Array.isArray(a.archs)) {
    throw new UserError(`Listing torchvision's architectures with ${python.display} failed (exit ${r.code}): ${lastLines(r.stderr, 5) || String(err?.message ?? '')}`, 'E_EXPORT');
  }
  return { python, torch: String(v.torch), torchvision: String(v.torchvision), archs: a.archs.map(String) };
}

/** The study's preprocessing, sized for the architecture's input. */
export function torchvisionPreprocessing(inputSize: number): Preprocessing {
  return {
    ...LIU2020_PREPROCESSING,
    mean: [...LIU2020_PREPROCESSING.mean],
    std: [...LIU2020_PREPROCESSING.std],
    width: inputSize,
    height: inputSize,
    shorterSide: Math.round((inputSize * 256) / 224),
  };
}

/**
 * Exports torchvision.models.<arch> to ONNX into the cache at `cacheDir`; returns the entry.
 * Throws UserError (no Python, no torch → with the install command, unknown arch, weights
 * download failure, export failure) or CancelledError; the cache is untouched on failure.
 */
export async function exportTorchvision(arch: string, cacheDir: string, opts: ExportOptions = {}): Promise<CacheEntry> {
  const weights: TorchWeights = opts.weights ?? 'DEFAULT';
  if (weights !== 'DEFAULT' && weights !== 'none') {
    throw new UserError(`Weights must be "DEFAULT" (pretrained ImageNet weights) or "none" (random), not "${String(weights)}".`, 'E_EXPORT');
  }
  const seed = opts.seed ?? 0;
  if (!isValidSeed(seed)) throw new UserError(`The seed of random weights must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, not ${seed}.`, 'E_EXPORT');
  // Which names exist is torchvision's answer (E_ARCH from the script, with its list); only
  // text that cannot be a Python identifier is refused here, before starting Python.
  if (!/^[a-z][a-z0-9_]*$/.test(arch)) {
    throw new UserError(`"${arch}" is not a torchvision architecture name (lower-case letters, digits and _, e.g. resnet50, vit_b_16; "sparsity-lens models export --list" lists them).`, 'E_ARCH');
  }
  const known = TORCHVISION_ARCHS.find((a) => a.arch === arch);
  const say = (line: string): void => opts.onOutput?.(line);
  if (opts.signal?.aborted) throw new CancelledError();

  const python = await findPython(opts.pythonPath);
  const script = opts.scriptPath ?? exportScriptPath();
  const cache = new ModelCache(cacheDir);
  const id = opts.id ?? torchvisionCacheId(arch, weights, seed);
  const staging = cache.stage(id);
  const file = `${arch}.onnx`;
  const out = path.join(staging.dir, file);
  // The input size is the script's choice (the model's own, or its weights' crop) unless listed.
  const args = [...python.args, script, '--arch', arch, '--weights', weights, '--seed', String(seed), '--output', out, '--opset', String(opts.opset ?? 17), ...(known ? ['--input-size', String(known.inputSize)] : [])];
  say(`Running ${python.display} ${path.basename(script)} --arch ${arch} --weights ${weights}${weights === 'none' ? ` --seed ${seed}` : ''}`);

  try {
    const events: ScriptEvent[] = [];
    let stderrTail: string[] = [];
    const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const child = spawn(python.command, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        env: { ...process.env, ...opts.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
      });
      const onAbort = (): void => {
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const lines = (stream: NodeJS.ReadableStream, sep: RegExp, onLine: (l: string) => void): void => {
        let buf = '';
        stream.on('data', (d: Buffer) => {
          buf += d.toString('utf8');
          const parts = buf.split(sep);
          buf = parts.pop() ?? '';
          for (const p of parts) onLine(p);
        });
        stream.on('end', () => {
          if (buf) onLine(buf);
        });
      };
      lines(child.stdout, /\r?\n/, (l) => {
        const ev = parseEvent(l);
        if (!ev) {
          if (l.trim()) say(l);
          return;
        }
        events.push(ev);
        if (ev.event === 'versions') say(`Python ${String(ev.python)} (${String(ev.executable)}), torch ${String(ev.torch)}, torchvision ${String(ev.torchvision)}`);
        else if (ev.event === 'stage') say(String(ev.message));
        else if (ev.event === 'warning') say(`warning: ${String(ev.message)}`);
        else if (ev.event === 'done') say(`Exported ${arch} (${String(ev.weights)}): ${String(ev.bytes)} bytes in ${String(ev.seconds)} s`);
        else if (ev.event === 'error') say(`error: ${String(ev.message)}`);
      });
      // torch's download progress bar rewrites its line with \r: each state becomes a line.
      lines(child.stderr, /\r\n|\r|\n/, (l) => {
        if (!l.trim()) return;
        stderrTail = [...stderrTail.slice(-19), l];
        say(l);
      });
      child.on('error', (e) => {
        opts.signal?.removeEventListener('abort', onAbort);
        reject(new UserError(`Could not start ${python.display}: ${e.message}.`, 'E_NO_PYTHON'));
      });
      child.on('close', (code, signal) => {
        opts.signal?.removeEventListener('abort', onAbort);
        resolve({ code, signal });
      });
    });
    if (opts.signal?.aborted) throw new CancelledError();

    const err = events.find((e) => e.event === 'error');
    const done = events.find((e) => e.event === 'done');
    if (err) {
      const msg = String(err.message);
      switch (err.code) {
        case 'E_NO_TORCH':
          throw noTorchError(python, err);
        case 'E_ARCH':
          throw new UserError(
            `"${arch}" is not an image-classification architecture of the torchvision of ${python.display} (${msg}).${Array.isArray(err.archs) ? ` It has: ${err.archs.map(String).join(', ')}.` : ''}`,
            'E_ARCH',
          );
        case 'E_WEIGHTS':
          throw new UserError(`${msg}.`, 'E_ARCH');
        case 'E_WEIGHTS_DOWNLOAD':
          throw new UserError(
            `Could not get the pretrained weights of ${arch}: ${msg}. torchvision downloads them once from download.pytorch.org; check the network and proxy (HTTPS_PROXY) for ${python.display}, or copy the weights file into ${String(err.checkpoints ?? '$TORCH_HOME/hub/checkpoints')}. Nothing was saved.`,
            'E_WEIGHTS_DOWNLOAD',
          );
        default:
          throw new UserError(`Exporting ${arch} with ${python.display} failed: ${msg}${stderrTail.length ? `\n${stderrTail.slice(-5).join('\n')}` : ''}`, 'E_EXPORT');
      }
    }
    if (result.code !== 0 || !done) {
      const how = result.signal ? `was killed (${result.signal})` : `exited with status ${result.code}`;
      throw new UserError(`Exporting ${arch}: ${python.display} ${how}${done ? '' : ' before finishing'}.${stderrTail.length ? `\n${stderrTail.slice(-10).join('\n')}` : ''}`, 'E_EXPORT');
    }

    let summary;
    try {
      summary = inspectOnnx(out);
    } catch (e) {
      if (e instanceof OnnxFormatError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new UserError(`Exporting ${arch} produced no valid ONNX file (${(e as Error).message}). Nothing was saved.`, 'E_EXPORT');
      }
      throw e;
    }
    const input = summary.inputs[0];
    if (summary.nodeCount === 0 || !input || input.name !== 'input') {
      throw new UserError(`Exporting ${arch} produced an unexpected ONNX graph (${summary.nodeCount} nodes, input ${input?.name ?? 'none'}). Nothing was saved.`, 'E_EXPORT');
    }
    if (typeof input.shape?.[0] !== 'string') {
      throw new UserError(`Exporting ${arch} produced a fixed batch size (${JSON.stringify(input.shape)}), not a dynamic one. Update torch, or report this. Nothing was saved.`, 'E_EXPORT');
    }
    const weightsName = String(done.weights);
    // The seed the script used (it echoes it), never just the one asked for.
    const usedSeed = Number(done.seed);
    if (weights === 'none' && usedSeed !== seed) {
      throw new UserError(`Exporting ${arch}: the export script did not confirm the seed ${seed} (it reported ${String(done.seed)}); update Sparsity Lens's python/export_torchvision.py. Nothing was saved.`, 'E_EXPORT');
    }
    const entry = await cache.commit(staging, {
      source: 'torchvision',
      origin: arch,
      mainFile: file,
      format: 'onnx',
      preprocessing: torchvisionPreprocessing(Number(done.inputSize) || known?.inputSize || 224),
      label: `${arch} (torchvision, ${weights === 'none' ? `random weights, seed ${seed}` : weightsName})`,
      sourceLabel: `torchvision:${arch} (weights=${weightsName}, torch ${String(done.torch)}, torchvision ${String(done.torchvision)}${weights === 'none' ? `, seed ${seed}` : ''})`,
      weights: weights === 'none' ? { kind: 'random', seed } : { kind: 'pretrained', name: weightsName.replace(/^.*\./, ''), enum: weightsName },
      details: {
        arch,
        weights: weightsName,
        ...(weights === 'none' ? { seed } : {}),
        torch: String(done.torch),
        torchvision: String(done.torchvision),
        python: python.version,
        opset: Number(done.opset),
        params: Number(done.params),
        nodes: summary.nodeCount,
        onnxChecked: done.onnxChecked === true,
      },
    });
    say(`Saved ${entry.id} → ${entry.path}`);
    return entry;
  } catch (e) {
    cache.discard(staging);
    if (opts.signal?.aborted && !(e instanceof UserError && e.code === 'E_NO_TORCH')) throw new CancelledError();
    throw e;
  }
}
