#!/usr/bin/env node
/**
 * `sparsity-lens`: the headless front end of the analysis core, for big runs and scripts.
 * Progress goes to stderr, results to stdout (a table, or the report JSON with --json).
 * Exit codes: 0 done, 1 unexpected error, 2 bad input (message says what and how to fix), 130 cancelled.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import * as cliProgress from 'cli-progress';
import * as path from 'path';
import { analyze } from '../core/analyze';
import type { AnalyzeRequest, ProgressEvent } from '../core/analyzeTypes';
import { listModelLayers } from '../core/modelInfo';
import { mergeRuns } from '../core/merge';
import { formatClock } from '../core/report/format';
import { formatTable } from '../core/report/tables';
import { CancelledError, UserError, type Preprocessing } from '../core/types';
import { TOOL_VERSION } from '../core/version';
import { registerModelCommands, resolveModelArgument } from './models';

const EXIT_USER = 2;
const EXIT_CANCELLED = 130;

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer.`);
    return n;
  };
}
function nonNegativeInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer.`);
    return n;
  };
}
const list = (v: string): string[] => v.split(',').map((x) => x.trim()).filter(Boolean);
function triple(name: string) {
  return (v: string): [number, number, number] => {
    const n = v.split(',').map(Number);
    if (n.length !== 3 || n.some((x) => !Number.isFinite(x))) throw new InvalidArgumentError(`${name} takes three numbers, e.g. 0.485,0.456,0.406.`);
    return n as [number, number, number];
  };
}
function parseScale(v: string): number {
  const m = /^\s*([0-9.]+)\s*(?:\/\s*([0-9.]+))?\s*$/.exec(v);
  const n = m ? Number(m[1]) / (m[2] ? Number(m[2]) : 1) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('--scale takes a positive number or fraction, e.g. 1/255.');
  return n;
}
/** Preprocessing flags → overrides on top of the model's own preprocessing. */
function preprocessingOverrides(o: Record<string, unknown>): Partial<Preprocessing> | undefined {
  const p: Partial<Preprocessing> = {};
  if (o.inputSize) p.width = p.height = o.inputSize as number;
  if (o.resize) p.resize = o.resize as Preprocessing['resize'];
  if (o.channelOrder) p.channelOrder = o.channelOrder as Preprocessing['channelOrder'];
  if (o.scale) p.scale = o.scale as number;
  if (o.mean) p.mean = o.mean as Preprocessing['mean'];
  if (o.std) p.std = o.std as Preprocessing['std'];
  return Object.keys(p).length ? p : undefined;
}

/** Progress bar on stderr; plain lines when stderr is not a terminal (CI logs). */
function progressReporter(quiet: boolean) {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;
  return {
    onProgress(e: ProgressEvent) {
      if (quiet) return;
      if (e.phase !== 'run') {
        if (e.message) process.stderr.write(`${e.message}\n`);
        return;
      }
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            { format: '{bar} {percentage}% | {value}/{total} image-passes | {rate} img/s | ETA {eta_h} | {pass}', hideCursor: true, stream: process.stderr },
            cliProgress.Presets.shades_classic,
          );
          bar.start(e.total, e.done, { rate: '0.0', eta_h: '--:--', pass: e.passLabel ?? '' });
        }
        bar.update(e.done, { rate: e.imagesPerSecond.toFixed(1), eta_h: formatClock(e.etaSeconds), pass: e.passLabel ?? '' });
      } else if (Date.now() - lastLine > 5000 || e.done === e.total) {
        lastLine = Date.now();
        process.stderr.write(`progress ${e.done}/${e.total} image-passes, ${e.imagesPerSecond.toFixed(1)} img/s, ETA ${formatClock(e.etaSeconds)}\n`);
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

async function runAnalyze(folder: string | undefined, o: Record<string, unknown>): Promise<void> {
  const progress = progressReporter(o.quiet === true);
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT_CANCELLED);
    process.stderr.write('\nCancelling after the current batch… (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    let request: AnalyzeRequest;
    if (o.resume) {
      request = { datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: String(o.resume), html: o.html !== false };
    } else {
      if (!folder) throw new UserError('Missing <folder>: pass the image folder (one sub-folder per category), or --resume <run folder>.');
      if (!o.model) throw new UserError('Missing --model: pass an .onnx file, a TF.js model.json, torchvision:<arch>, catalog:<id> or an https URL.');
      const model = await resolveModelArgument(String(o.model), {
        onLog: (l) => process.stderr.write(l + '\n'),
        cacheDir: o.cacheDir as string | undefined,
        pythonPath: o.python as string | undefined,
        refresh: o.refreshModel === true,
        maxDownloadMB: o.maxDownloadMb as number | undefined,
        signal: controller.signal,
      });
      const controls = list(String(o.controls ?? 'permuted,norelu'));
      for (const c of controls) if (c !== 'permuted' && c !== 'norelu' && c !== 'none') throw new UserError(`--controls: unknown control "${c}"; use permuted, norelu, none or a comma list.`);
      const ipc = o.imagesPerCategory === undefined || o.imagesPerCategory === 'all' ? 'all' : Number(o.imagesPerCategory);
      if (ipc !== 'all' && (!Number.isInteger(ipc) || ipc < 1)) throw new UserError('--images-per-category must be "all" or a positive integer.');
      request = {
        datasetPath: path.resolve(folder),
        modelPath: model.path,
        modelSource: model.source,
        outputRoot: path.resolve(String(o.out ?? 'sparsity-runs')),
        preprocessing: preprocessingOverrides(o),
        html: o.html !== false,
        checkpoint: o.checkpoint !== false,
        settings: {
          preset: o.preset as string | undefined,
          imagesPerCategory: ipc,
          sampling: o.sample === 'random' ? 'random' : 'first',
          minImagesPerCategory: o.minImages as number | undefined,
          layers: o.layers as string[] | undefined,
          seed: o.seed as number | undefined,
          batchSize: o.batchSize as number | undefined,
          unit: o.unit as 'channel' | 'channel-position' | undefined,
          accuracy: o.accuracy as 'auto' | 'model' | 'decoder' | 'none' | undefined,
          decoderLayer: o.decoderLayer as string | undefined,
          folds: o.folds as number | undefined,
          correlation: o.correlation as 'pearson' | 'spearman' | undefined,
          regressionGroups: o.regressionGroups as string[] | undefined,
          concurrentPasses: o.concurrentPasses === 'auto' || o.concurrentPasses === undefined ? 'auto' : Number(o.concurrentPasses),
          referencePSI: o.referencePsi as number | undefined,
          labelFile: o.labels ? path.resolve(String(o.labels)) : undefined,
          shard: o.shard as string | undefined,
          controls: {
            permutations: controls.includes('permuted') ? (o.permutations as number | undefined) ?? 10 : 0,
            noNonlinearity: controls.includes('norelu'),
            permuteTarget: o.permuteBiases ? 'biases' : 'weights',
          },
        },
      };
      const passes = 1 + (request.settings!.controls!.permutations ?? 0) + (request.settings!.controls!.noNonlinearity ? 1 : 0);
      if (passes > 1 && o.quiet !== true) process.stderr.write(`Running ${passes} passes over every image (trained + ${passes - 1} control model${passes > 2 ? 's' : ''}); use --controls none to run the trained model only.\n`);
    }
    const result = await analyze(request, {
      signal: controller.signal,
      onProgress: (e) => progress.onProgress(e),
      onLog: o.verbose ? (l) => process.stderr.write(l + '\n') : undefined,
    });
    progress.stop();
    if (o.json) process.stdout.write(JSON.stringify(result.report, null, 1) + '\n');
    else process.stdout.write(`${formatTable(result.report)}\nReport: ${result.reportPath}\n`);
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('sparsity-lens')
    .description('Population sparseness (PSI) of CNN layers over an image folder, after Liu, Zhen & Liu (2020).')
    .version(TOOL_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    // Throw instead of exiting so main() maps usage errors to exit code 2 (inherited by subcommands).
    .exitOverride();

  program
    .command('analyze')
    .description('Run the analysis on <folder> (one sub-folder per category) and write a new run folder with the report.')
    .argument('[folder]', 'image folder, one sub-folder per category')
    .option('-m, --model <model>', '.onnx file, TF.js model.json, torchvision:<arch>, catalog:<id> or https URL')
    .option('-o, --out <dir>', 'parent folder for run folders (a new one per run)', 'sparsity-runs')
    .option('-n, --images-per-category <n|all>', 'images per category', 'all')
    .addOption(new Option('--sample <how>', 'which N images per category').choices(['first', 'random']).default('first'))
    .option('--min-images <n>', 'drop categories with fewer usable images', positiveInt('--min-images'))
    .option('-l, --layers <a,b,...>', 'layers to analyse (default: every ReLU after conv/fc; see `layers`)', list)
    .option('--seed <s>', 'seed for sampling, permutations and folds', nonNegativeInt('--seed'))
    .option('-b, --batch-size <b>', 'images per forward pass', positiveInt('--batch-size'))
    .addOption(new Option('--preset <name>', 'analysis preset').choices(['liu2020']).default('liu2020'))
    .addOption(new Option('--unit <mode>', 'unit of a conv layer: channel (spatial mean) or channel-position').choices(['channel', 'channel-position']))
    .addOption(new Option('--accuracy <how>', 'per-category accuracy').choices(['auto', 'model', 'decoder', 'none']))
    .option('--decoder-layer <layer>', 'layer whose per-image responses train the decoder (default: last analysed layer)')
    .option('--folds <k>', 'cross-validation folds for the decoder', positiveInt('--folds'))
    .addOption(new Option('--correlation <r>', 'PSI-accuracy correlation').choices(['pearson', 'spearman']))
    .option('--controls <list>', 'lesion controls: permuted,norelu | none (each costs full extra passes)', 'permuted,norelu')
    .option('--permutations <n>', 'number of permuted-weight models', nonNegativeInt('--permutations'))
    .option('--permute-biases', 'permute biases instead of weights (option of METHOD §8)')
    .option('--concurrent-passes <n|auto>', 'passes held in memory at once (auto: as many as fit in half the RAM; fewer decode images again per group)', 'auto')
    .option('--regression-groups <list>', 'layer groups for the multiple regression: conv,fc,all or a+b', list)
    .option('--reference-psi <v>', 'reference PSI line (macaque extrastriate: 0.36)', parseFloat)
    .option('--labels <file>', 'JSON/CSV mapping folder names to model class indices')
    .option('--shard <i/n>', 'analyse every n-th category from the i-th (merge shards with `merge`)')
    .option('--python <path>', 'Python with torch/torchvision, for --model torchvision:<arch>')
    .option('--cache-dir <dir>', 'model cache folder (default ~/.cache/sparsity-lens/models)')
    .option('--refresh-model', 'fetch/export the model again even when cached')
    .option('--max-download-mb <n>', 'refuse model downloads larger than this', positiveInt('--max-download-mb'))
    .option('--input-size <n>', 'preprocessing: input width = height (default: from the model, else 224)', positiveInt('--input-size'))
    .addOption(new Option('--resize <rule>', 'preprocessing: stretch (study) or shorter-crop (256 then centre crop)').choices(['stretch', 'shorter-crop']))
    .addOption(new Option('--channel-order <o>', 'preprocessing: channel order').choices(['RGB', 'BGR']))
    .option('--scale <s>', 'preprocessing: pixel scale, e.g. 1/255 or 1', parseScale)
    .option('--mean <r,g,b>', 'preprocessing: per-channel mean (RGB order)', triple('--mean'))
    .option('--std <r,g,b>', 'preprocessing: per-channel std (RGB order)', triple('--std'))
    .option('--resume <runDir>', 'continue a killed run from its checkpoint')
    .option('--no-checkpoint', 'do not write checkpoints')
    .option('--no-html', 'do not write report.html')
    .option('--json', 'print the report JSON on stdout instead of the table')
    .option('-q, --quiet', 'no progress output')
    .option('-v, --verbose', 'log settings, backend and skipped files to stderr')
    .action((folder: string | undefined, o: Record<string, unknown>) => runAnalyze(folder, o));

  program
    .command('layers')
    .description('List the layers of a model and mark the default taps.')
    .requiredOption('-m, --model <model>', '.onnx file, TF.js model.json, torchvision:<arch>, catalog:<id> or https URL')
    .option('--python <path>', 'Python with torch/torchvision, for torchvision:<arch>')
    .option('--cache-dir <dir>', 'model cache folder')
    .option('--json', 'print JSON')
    .action(async (o: { model: string; json?: boolean; python?: string; cacheDir?: string }) => {
      const model = await resolveModelArgument(o.model, { onLog: (l) => process.stderr.write(l + '\n'), pythonPath: o.python, cacheDir: o.cacheDir });
      const info = await listModelLayers(model.path);
      if (o.json) {
        process.stdout.write(JSON.stringify(info, null, 1) + '\n');
        return;
      }
      process.stdout.write(`${model.path}: ${info.format} on ${info.backend}, input ${info.inputSize ? `${info.inputSize.width}x${info.inputSize.height}` : 'dynamic'}\n`);
      for (const l of info.layers) {
        process.stdout.write(`${l.defaultTap ? '*' : ' '} ${l.name.padEnd(24)} ${l.op.padEnd(16)} ${l.kind.padEnd(6)} [${l.shape.map((d) => d ?? '?').join(', ')}]${l.name !== l.id ? `  (${l.id})` : ''}\n`);
      }
      process.stdout.write(`* default taps (${info.defaultTaps.length}): ${info.defaultTaps.join(', ')}\n`);
    });

  program
    .command('merge')
    .description('Merge complete runs over disjoint category shards (--shard) into one report; exact.')
    .argument('<runDirs...>', 'run folders of the shards')
    .option('-o, --out <dir>', 'parent folder for the merged run folder', 'sparsity-runs')
    .option('--json', 'print the report JSON')
    .action(async (runDirs: string[], o: { out: string; json?: boolean }) => {
      const result = await mergeRuns(runDirs.map((d) => path.resolve(d)), path.resolve(o.out));
      if (o.json) process.stdout.write(JSON.stringify(result.report, null, 1) + '\n');
      else process.stdout.write(`${formatTable(result.report)}\nReport: ${result.reportPath}\n`);
    });

  registerModelCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : EXIT_USER;
    }
    if (e instanceof CancelledError) {
      process.stderr.write('Cancelled; no report was written.\n');
      return EXIT_CANCELLED;
    }
    if (e instanceof UserError) {
      process.stderr.write(`Error: ${e.message}\n`);
      return EXIT_USER;
    }
    process.stderr.write(`Unexpected error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\nPlease report this with the command you ran.\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
