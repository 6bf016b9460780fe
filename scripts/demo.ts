/**
 * `npm run demo`: the whole analysis on the embedded default, offline. Generates the stimulus
 * folder (procedurally drawn object categories) if it is absent, runs the trained demo CNN and
 * all lesion controls over it, writes the report (JSON, CSV, NPY, report.html) and prints the table.
 */
import * as fs from 'fs';
import * as path from 'path';
import { analyze } from '../src/core/analyze';
import { formatTable } from '../src/core/report/tables';
import { generateStimuli } from './demo-stimuli';

const ROOT = path.resolve(__dirname, '..');
const STIMULI = path.join(ROOT, 'demo-stimuli');
const OUTPUT = path.join(ROOT, 'demo-output');
const MODEL = path.join(ROOT, 'media', 'demo-model', 'model.json');

async function main(): Promise<void> {
  if (!fs.existsSync(STIMULI)) {
    process.stderr.write(`Generating stimuli in ${STIMULI}…\n`);
    await generateStimuli(STIMULI, { perCategory: 30, seed: 2020 });
  }
  const t0 = Date.now();
  let last = 0;
  let lastLine = '';
  const result = await analyze(
    { datasetPath: STIMULI, modelPath: MODEL, outputRoot: OUTPUT, modelSource: 'embedded demo model (scripts/train-demo-model.ts)' },
    {
      onProgress: (e) => {
        if (e.phase === 'run' && Date.now() - last < 2000 && e.done < e.total) return;
        last = Date.now();
        const pct = e.total ? ` ${((100 * e.done) / e.total).toFixed(0)}%` : '';
        const line = `[${e.phase}]${pct} ${e.message ?? e.passLabel ?? ''}${e.phase === 'run' ? ` ${e.imagesPerSecond.toFixed(1)} img/s` : ''}`;
        if (line !== lastLine) process.stderr.write(line + '\n');
        lastLine = line;
      },
    },
  );
  process.stdout.write(`\n${formatTable(result.report)}\n\nRun folder: ${result.runDir}\n`);
  for (const f of fs.readdirSync(result.runDir).sort()) process.stdout.write(`  ${f}\n`);
  process.stdout.write(`Done in ${((Date.now() - t0) / 1000).toFixed(1)} s.\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
