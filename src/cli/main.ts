#!/usr/bin/env node
/**
 * `sparsity-lens`: the headless front end of the analysis core, for big runs and scripts.
 * Progress goes to stderr, results to stdout (a table, or the report JSON with --json).
 * Exit codes: 0 done, 1 unexpected error, 2 bad input (message says what and how to fix), 130 cancelled.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import * as cliProgress from 'cli-progress';
import * as path from 'path';
import { analyze } from '../core/analyze';
import type { AnalyzeRequest, ProgressEvent } from '../core/analyzeTypes';
import { listModelLayers } from '../core/modelInfo';
import { mergeRuns } from '../core/merge';
import { fmt, formatClock } from '../core/report/format';
import { formatTable } from '../core/report/tables';
import { CancelledError, UserError } from '../core/types';
import { TOOL_VERSION } from '../core/version';
import { registerModelCommands, resolveModelArgument } from './models';
import { registerClusterCommands } from './cluster';
import { registerCompareCommand } from './compare';
import { addSettingOptions, settingsFromOptions } from './settingOptions';
import { checkResumeFlags } from './resumeFlags';
import { resolveSettings } from '../core/settings';

const EXIT_USER = 2;
const EXIT_CANCELLED = 130;

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer.`);
    return n;
  };
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
        bar.update(e.done, { rate: fmt(e.imagesPerSecond, 1), eta_h: formatClock(e.etaSeconds), pass: e.passLabel ?? '' });
      } else if (Date.now() - lastLine > 5000 || e.done === e.total) {
        lastLine = Date.now();
        process.stderr.write(`progress ${e.done}/${e.total} image-passes, ${fmt(e.imagesPerSecond, 1)} img/s, ETA ${formatClock(e.etaSeconds)}\n`);
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

async function runAnalyze(folder: string | undefined, o: Record<string, unknown>, cmd: Command): Promise<void> {
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
      // Flags that contradict the checkpoint are refused, not ignored (issue 14).
      for (const note of checkResumeFlags(cmd, folder, String(o.resume))) process.stderr.write(`Note: ${note}\n`);
      request = { datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: String(o.resume), html: o.html !== false, restartChanged: o.restartChanged === true };
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
      // Settings flags → request (src/cli/settingOptions.ts, from the settings table); left-out flags take the preset's values.
      const { settings, preprocessing } = settingsFromOptions(o);
      request = {
        datasetPath: path.resolve(folder),
        modelPath: model.path,
        modelSource: model.source,
        outputRoot: path.resolve(String(o.out ?? 'sparsity-runs')),
        preprocessing,
        html: o.html !== false,
        checkpoint: o.checkpoint !== false,
        settings,
      };
      const { controls } = resolveSettings(settings);
      const passes = 1 + controls.permutations + (controls.noNonlinearity ? 1 : 0);
      if (passes > 1 && o.quiet !== true) process.stderr.write(`Running ${passes} passes over every image (trained + ${passes - 1} control model${passes > 2 ? 's' : ''}); use --controls none to run the trained model only.\n`);
    }
    const result = await analyze(request, {
      signal: controller.signal,
      onProgress: (e) => progress.onProgress(e),
      onLog: o.verbose ? (l) => process.stderr.write(l + '\n') : undefined,
    });
    progress.stop();
    // Warnings go to stderr whatever the output format: left-out statistics, replaced images.
    for (const w of result.report.warnings ?? []) process.stderr.write(`Warning: ${w}\n`);
    if (result.report.skipped.length && o.quiet !== true) process.stderr.write(`Skipped ${result.report.skipped.length} file(s), listed in the report${o.verbose ? '' : ' (-v lists them here)'}.\n`);
    if (o.json) process.stdout.write(JSON.stringify(result.report, null, 1) + '\n');
    // PSI only unless --indices chose indices (core/report/tables.ts indexMedianLines).
    else process.stdout.write(`${formatTable(result.report, { indices: o.indices as string[] | undefined })}\nReport: ${result.reportPath}\n`);
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

  const analyzeCommand = program
    .command('analyze')
    .description('Run the analysis on <folder> (one sub-folder per category) and write a new run folder with the report.')
    .argument('[folder]', 'image folder, one sub-folder per category')
    .option('-m, --model <model>', '.onnx file, TF.js model.json, torchvision:<arch>, catalog:<id> or https URL')
    .option('-o, --out <dir>', 'parent folder for run folders (a new one per run)', 'sparsity-runs');
  // Every analysis setting's flag, help, parser and default come from the settings table.
  addSettingOptions(analyzeCommand)
    .option('--python <path>', 'Python with torch/torchvision, for --model torchvision:<arch>')
    .option('--cache-dir <dir>', 'model cache folder (default ~/.cache/sparsity-lens/models)')
    .option('--refresh-model', 'fetch/export the model again even when cached')
    .option('--max-download-mb <n>', 'refuse model downloads larger than this', positiveInt('--max-download-mb'))
    .option('--resume <runDir>', 'continue a killed run from its checkpoint')
    .option('--restart-changed', 'with --resume: recompute the categories whose images changed since the run started (else resume refuses)')
    .option('--no-checkpoint', 'do not write checkpoints')
    .option('--no-html', 'do not write report.html')
    .option('--json', 'print the report JSON on stdout instead of the table')
    .option('-q, --quiet', 'no progress output')
    .option('-v, --verbose', 'log settings, backend and skipped files to stderr')
    .action((folder: string | undefined, o: Record<string, unknown>, cmd: Command) => runAnalyze(folder, o, cmd));

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
  registerClusterCommands(program);
  registerCompareCommand(program);
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
