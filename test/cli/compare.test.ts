/**
 * `sparsity-lens compare` end to end on two real runs of the demo CNN (media/demo-model) over
 * generated stimuli, different seeds (random sampling, so the images differ): the three files,
 * every median / depth / trend equal to the runs' own reports, the paired Wilcoxon equal to a
 * recomputation on the reports' numbers, the run folder names, exit codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateStimuli } from '../../scripts/demo-stimuli';
import { parseComparisonJson } from '../../src/core/compare/parse';
import { readReport } from '../../src/core/report/reader';
import { spearman, wilcoxonSignedRank } from '../../src/core/stats';
import { tempDir } from '../helpers/tempDir';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');
const MODEL = path.join(ROOT, 'media', 'demo-model', 'model.json');
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('compare two demo-model runs with different seeds: three files, numbers equal the reports', async () => {
  const dir = tempDir('cli-compare-');
  const stimuli = path.join(dir, 'shapes');
  await generateStimuli(stimuli, { categories: 5, perCategory: 6, size: 48, seed: 3 });
  const out = path.join(dir, 'runs');
  const analyse = (seed: number) => {
    const r = run(['analyze', stimuli, '--model', MODEL, '--out', out, '--seed', String(seed), '--sample', 'random', '-n', '4', '--controls', 'none', '--accuracy', 'none', '--no-html', '--no-checkpoint', '-q', '--json']);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as { createdAt: string };
  };
  analyse(1);
  // Run folders are named <dataset>-<model>-<time>; a second run in the same second gets a suffix.
  analyse(2);
  const runs = fs.readdirSync(out).sort();
  assert.equal(runs.length, 2);
  for (const r of runs) assert.match(r, /^shapes-demo-model-\d{8}-\d{6}(-\d+)?$/);
  const runDirs = runs.map((r) => path.join(out, r));
  const reports = runDirs.map((d) => readReport(path.join(d, 'report.sparsity.json')));
  assert.notEqual(reports[0].settings.seed, reports[1].settings.seed);

  const cmpDir = path.join(dir, 'cmp');
  const r = run(['compare', runDirs[0], path.join(runDirs[1], 'report.sparsity.json'), '--out', cmpDir]);
  assert.equal(r.code, 0, r.err);
  for (const f of ['comparison.sparsity.json', 'comparison.csv', 'comparison.html']) assert.ok(fs.existsSync(path.join(cmpDir, f)), f);
  const c = parseComparisonJson(fs.readFileSync(path.join(cmpDir, 'comparison.sparsity.json'), 'utf8'), 'c');
  c.runs.forEach((cr, i) => {
    const rep = reports[i];
    assert.equal(cr.reportFile, path.join(runDirs[i], 'report.sparsity.json'));
    assert.equal(cr.passes.length, 1);
    assert.deepEqual(cr.passes[0].depthTrend, rep.passes[0].depthTrend);
    cr.passes[0].layers.forEach((l, li) => {
      const rl = rep.passes[0].layers[li];
      assert.equal(l.name, rl.name);
      assert.equal(l.median, rl.summary.median);
      assert.equal(l.q1, rl.summary.q1);
      assert.equal(l.q3, rl.summary.q3);
      assert.equal(l.relativeDepth, rl.relativeDepth);
      assert.ok(l.ciLow <= l.median && l.median <= l.ciHigh, `${l.name} CI`);
    });
  });
  // Seeds differ: listed at the top (seed changes which images are sampled).
  assert.ok(c.differences.some((d) => d.setting === 'seed' && d.changesNumbers));
  assert.match(r.out, /Settings that differ between the runs[\s\S]*seed\s+1\s+2\s+yes/);
  // Same categories: paired, and the Wilcoxon p is scipy's rule on the reports' own numbers.
  assert.equal(c.paired.length, 1);
  const p = c.paired[0];
  assert.equal(p.layers.length, reports[0].passes[0].layers.length);
  p.layers.forEach((l, li) => {
    assert.equal(l.matchedBy, 'name');
    const a = reports[0].passes[0].layers[li].psi;
    const bl = reports[1].passes[0].layers[li];
    const b = reports[0].categories.map((cat) => bl.psi[reports[1].categories.findIndex((x) => x.name === cat.name)]);
    assert.equal(l.wilcoxon.p, wilcoxonSignedRank(a, b).p);
  });
  const last = reports[0].passes[0].layers.length - 1;
  assert.equal(p.lastLayer.spearman.r, spearman(reports[0].passes[0].layers[last].psi, p.lastLayer.b).r);
  // The CLI table: run x (layers, tau, p, first / last median).
  const first = reports[0].passes[0].layers[0];
  assert.match(r.out, new RegExp(`A\\s+demo-model/model\\.json on shapes\\s+trained\\s+${reports[0].passes[0].layers.length}\\s`));
  assert.ok(r.out.includes(`(${first.name})`));
  // CSV: one row per run and layer, medians at full precision.
  const csv = fs.readFileSync(path.join(cmpDir, 'comparison.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 1 + reports[0].passes[0].layers.length + reports[1].passes[0].layers.length);
  assert.ok(csv[1].startsWith(`A,demo-model/model.json,,shapes,trained,${first.name},0,psi,${first.summary.median},`), csv[1]);
  // The standalone page embeds the comparison and allows only its own hashed script.
  const html = fs.readFileSync(path.join(cmpDir, 'comparison.html'), 'utf8');
  assert.match(html, /<script type="application\/json" id="sparsity-comparison">/);
  assert.match(html, /script-src &#39;sha256-/);

  // --json prints the comparison; a run folder without a report is exit 2 naming it.
  const j = run(['compare', ...runDirs, '--out', path.join(dir, 'cmp2'), '--json', '--no-html']);
  assert.equal(j.code, 0, j.err);
  assert.equal(JSON.parse(j.out).schema, 'sparsity-lens/comparison');
  const bad = run(['compare', runDirs[0], stimuli, '--out', path.join(dir, 'cmp3')]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /shapes has no report\.sparsity\.json/);
  const one = run(['compare', runDirs[0], '--out', path.join(dir, 'cmp4')]);
  assert.equal(one.code, 2);
  assert.match(one.err, /two or more/);
  const idx = run(['compare', ...runDirs, '--index', 'bogus', '--out', path.join(dir, 'cmp5')]);
  assert.equal(idx.code, 2);
  assert.match(idx.err, /Unknown index "bogus"/);
});
