/**
 * `--model` resolution and the `models` subcommands. A model argument is a local file, or a
 * source (torchvision export, catalog, URL, cache entry) that resolves into the model cache.
 */
import { Command } from 'commander';
import * as cliProgress from 'cli-progress';
import {
  catalog,
  defaultCacheDir,
  downloadModel,
  exportTorchvision,
  listTorchvisionArchs,
  fetchCatalogModel,
  formatBytes,
  ModelCache,
  probe,
  resolveModel,
  type DownloadProgress,
} from '../core/models';
import { UserError } from '../core/types';

export interface ResolvedModelArgument {
  path: string;
  /** Where it came from, for the report. */
  source: string;
}

/** A download progress bar on stderr (plain lines when stderr is not a terminal). */
function downloadBar() {
  let bar: cliProgress.SingleBar | undefined;
  let announced = false;
  return {
    onProgress(p: DownloadProgress) {
      if (!announced) {
        announced = true;
        process.stderr.write(`Downloading ${p.file}${p.total ? ` (${formatBytes(p.total)})` : ''}…\n`);
      }
      if (!process.stderr.isTTY || !p.total) return;
      if (!bar) {
        bar = new cliProgress.SingleBar({ format: '{bar} {percentage}% | {value_h}/{total_h} | ETA {eta}s', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
        bar.start(p.total, 0, { value_h: '0 B', total_h: formatBytes(p.total) });
      }
      bar.update(p.received, { value_h: formatBytes(p.received), total_h: formatBytes(p.total) });
    },
    stop() {
      bar?.stop();
    },
  };
}

export async function resolveModelArgument(
  arg: string,
  o: { onLog(line: string): void; cacheDir?: string; pythonPath?: string; refresh?: boolean; maxDownloadMB?: number; signal?: AbortSignal },
): Promise<ResolvedModelArgument> {
  const bar = downloadBar();
  try {
    const r = await resolveModel(arg, {
      cacheDir: o.cacheDir ?? defaultCacheDir(),
      pythonPath: o.pythonPath,
      refresh: o.refresh,
      maxBytes: o.maxDownloadMB ? o.maxDownloadMB * 1024 * 1024 : undefined,
      onProgress: (p) => bar.onProgress(p),
      onOutput: (l) => o.onLog(l),
      signal: o.signal,
    });
    if (r.fetched) o.onLog(`Model ready: ${r.modelPath}${r.entry ? ` (sha256 ${r.entry.sha256.slice(0, 12)}…)` : ''}`);
    return { path: r.modelPath, source: r.source === 'file' ? `file:${r.modelPath}` : r.source };
  } finally {
    bar.stop();
  }
}

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('The model cache: list, export from PyTorch, download, catalog.');
  const cacheDirOption = (c: Command) => c.option('--cache-dir <dir>', 'model cache folder', defaultCacheDir());
  const log = (l: string) => process.stderr.write(l + '\n');

  cacheDirOption(models.command('list').description('List cached models.').option('--json', 'print JSON')).action((o: { cacheDir: string; json?: boolean }) => {
    const entries = new ModelCache(o.cacheDir).list();
    if (o.json) return void process.stdout.write(JSON.stringify(entries, null, 1) + '\n');
    if (!entries.length) return void process.stdout.write(`No cached models in ${o.cacheDir}.\n`);
    for (const e of entries) {
      process.stdout.write(`${e.id.padEnd(32)} ${e.source.padEnd(11)} ${formatBytes(e.size).padStart(10)}  ${e.addedAt.slice(0, 10)}  ${e.sha256.slice(0, 12)}  ${e.origin}\n`);
    }
  });

  cacheDirOption(models.command('remove').description('Delete cached models.').argument('<ids...>')).action(async (ids: string[], o: { cacheDir: string }) => {
    const cache = new ModelCache(o.cacheDir);
    for (const id of ids) {
      if (!(await cache.remove(id))) throw new UserError(`No cached model "${id}"; see \`sparsity-lens models list\`.`);
      process.stdout.write(`Removed ${id}\n`);
    }
  });

  cacheDirOption(models.command('verify').description('Re-hash cached models and report damage.').argument('[id]')).action(async (id: string | undefined, o: { cacheDir: string }) => {
    const results = await new ModelCache(o.cacheDir).verify(id);
    let bad = 0;
    for (const r of results) {
      if (!r.ok) bad++;
      process.stdout.write(`${r.ok ? 'ok     ' : 'DAMAGED'} ${r.id}${r.problems.length ? `: ${r.problems.join('; ')}` : ''}\n`);
    }
    if (bad) throw new UserError(`${bad} damaged cache entr${bad === 1 ? 'y' : 'ies'}; remove with \`sparsity-lens models remove <id>\` and fetch again.`);
  });

  cacheDirOption(
    models
      .command('export')
      .description("Export a torchvision classifier to ONNX with the user's Python (pretrained weights download on this machine).")
      .argument('[arch]', "any classifier of the user's torchvision: alexnet, vgg11, resnet50, vit_b_16, regnet_x_400mf, … (--list)")
      .option('--weights <w>', 'DEFAULT (pretrained) or none (random)', 'DEFAULT')
      .option('--seed <n>', 'random weights: torch.manual_seed before building (same seed, same file)', '0')
      .option('--opset <n>', 'ONNX opset of the export', '17')
      .option('--list', "list the classification architectures of the Python's torchvision")
      .option('--python <path>', 'Python with torch and torchvision'),
  ).action(async (arch: string | undefined, o: { cacheDir: string; weights: string; seed: string; opset: string; list?: boolean; python?: string }) => {
    if (o.list) {
      const l = await listTorchvisionArchs({ pythonPath: o.python });
      process.stderr.write(`torchvision ${l.torchvision} (torch ${l.torch}) of ${l.python.display}: ${l.archs.length} classifiers\n`);
      return void process.stdout.write(l.archs.join('\n') + '\n');
    }
    if (!arch) throw new UserError('Name the architecture (e.g. `sparsity-lens models export resnet50`), or list them with --list.');
    const wl = o.weights.toLowerCase();
    if (wl !== 'none' && wl !== 'default') throw new UserError(`--weights must be DEFAULT (pretrained) or none (random), not "${o.weights}".`);
    const seed = Number(o.seed);
    if (!/^\d+$/.test(o.seed) || !Number.isSafeInteger(seed)) throw new UserError(`--seed must be a whole number from 0, not "${o.seed}".`);
    if (wl !== 'none' && o.seed !== '0') throw new UserError('--seed is for random weights: add --weights none.');
    const opset = Number(o.opset);
    if (!Number.isInteger(opset) || opset < 7) throw new UserError(`--opset must be a whole number (7 or more), not "${o.opset}".`);
    const e = await exportTorchvision(arch, o.cacheDir, { pythonPath: o.python, weights: wl === 'none' ? 'none' : 'DEFAULT', seed, opset, onOutput: log });
    process.stdout.write(`${e.path}\n`);
  });

  cacheDirOption(
    models
      .command('download')
      .description('Download a model by https URL into the cache (size shown first, checked to parse as a model).')
      .argument('<url>')
      .option('--sha256 <hex>', 'expected sha256')
      .option('--max-size <MB>', 'refuse larger downloads', (v) => Number(v)),
  ).action(async (url: string, o: { cacheDir: string; sha256?: string; maxSize?: number }) => {
    const p = await probe(url);
    process.stderr.write(`${p.finalUrl}: ${p.size !== null ? formatBytes(p.size) : 'size unknown'}\n`);
    const bar = downloadBar();
    try {
      const e = await downloadModel(url, o.cacheDir, { expectedSha256: o.sha256, maxBytes: o.maxSize ? o.maxSize * 1024 * 1024 : undefined, onProgress: (x) => bar.onProgress(x) });
      bar.stop();
      process.stdout.write(`${e.path}\n`);
    } finally {
      bar.stop();
    }
  });

  models
    .command('catalog')
    .description('List well-known public ONNX image classifiers (use as --model catalog:<id>).')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const entries = catalog();
      if (o.json) return void process.stdout.write(JSON.stringify(entries, null, 1) + '\n');
      for (const e of entries) process.stdout.write(`${e.id.padEnd(24)} ${(e.sizeBytes ? formatBytes(e.sizeBytes) : '?').padStart(10)}  ${e.origin.padEnd(8)} ${e.name}\n`);
    });

  cacheDirOption(models.command('fetch').description('Download a catalog model into the cache.').argument('<id>')).action(async (id: string, o: { cacheDir: string }) => {
    const bar = downloadBar();
    try {
      const e = await fetchCatalogModel(id, o.cacheDir, { onProgress: (x) => bar.onProgress(x) });
      bar.stop();
      process.stdout.write(`${e.path}\n`);
    } finally {
      bar.stop();
    }
  });
}
