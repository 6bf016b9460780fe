#!/usr/bin/env node
/**
 * Runs one test suite: every *.test.ts under test/ that belongs to it. (node 20's --test takes no
 * globs, and a shell glob per folder would silently leave out a test in a new sub-folder.)
 *
 *   node test/run.mjs unit           # npm test: everything but test/integration and test/e2e; node only
 *   node test/run.mjs integration    # npm run test:integration: live Python; prerequisites first
 *
 * Further arguments go to `node --test` (e.g. --test-name-pattern=psi).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(TEST);

/** Folders of test/ that hold no tests of their own (e2e has its own runner: npm run test:e2e). */
const NOT_UNIT = ['integration', 'e2e', 'fixtures', 'helpers'];

const SUITES = {
  unit: { includes: (rel) => !NOT_UNIT.includes(rel.split('/')[0]), concurrency: 2 },
  integration: {
    includes: (rel) => rel.startsWith('integration/'),
    // One heavy suite at a time (each exports or runs PyTorch models).
    concurrency: 1,
    // Fails with the install command, before any test, when a prerequisite is missing.
    first: ['--import', 'tsx', path.join(TEST, 'integration', 'prerequisites.ts')],
  },
};

const [name, ...extra] = process.argv.slice(2);
const suite = SUITES[name];
if (!suite) {
  console.error(`usage: node test/run.mjs ${Object.keys(SUITES).join('|')} [node --test options]`);
  process.exit(2);
}

const files = fs
  .readdirSync(TEST, { recursive: true })
  .map((f) => f.split(path.sep).join('/'))
  .filter((f) => f.endsWith('.test.ts') && suite.includes(f))
  .sort()
  .map((f) => path.join('test', f));
if (files.length === 0) {
  console.error(`No ${name} tests found under ${TEST}.`);
  process.exit(1);
}

const node = (args) => spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' }).status ?? 1;
if (suite.first) {
  const status = node(suite.first);
  if (status !== 0) process.exit(status);
}
process.exit(node(['--import', 'tsx', '--test', `--test-concurrency=${suite.concurrency}`, ...extra, ...files]));
