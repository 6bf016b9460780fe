/**
 * Helpers of the cluster tests: folders that compute nodes could read (not under the temp
 * folder, which `submit` refuses), and the comparison of a merged report with an unsharded one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { nodeLocalReason } from '../../src/core/cluster/layout';

const ROOT = path.join(__dirname, '..', '..');
const made: string[] = [];

/**
 * A checkout under a temp folder (a CI clone in /tmp) makes the CLI and node themselves
 * "node-local", so `submit` would refuse every run. There (only there) the tests give the
 * documented override that a single-node cluster uses; the refusal test clears it again.
 */
export const CHECKOUT_IS_NODE_LOCAL = nodeLocalReason(ROOT, { ...process.env, SPARSITY_LENS_NODE_LOCAL_OK: undefined }) !== undefined;
if (CHECKOUT_IS_NODE_LOCAL) process.env.SPARSITY_LENS_NODE_LOCAL_OK = '1';

/** A new empty folder under the checkout's test-output/ (git-ignored), removed when the process exits (SPARSITY_LENS_KEEP_TEMP=1 keeps it). */
export function sharedTestDir(prefix: string): string {
  const parent = path.join(ROOT, 'test-output');
  fs.mkdirSync(parent, { recursive: true });
  const dir = fs.mkdtempSync(path.join(parent, prefix));
  if (made.length === 0 && process.env.SPARSITY_LENS_KEEP_TEMP !== '1') {
    process.on('exit', () => {
      for (const d of made) fs.rmSync(d, { recursive: true, force: true });
    });
  }
  made.push(dir);
  return dir;
}

/** What legitimately differs between two runs of one analysis: when, how fast, which files were written. */
const VOLATILE = ['createdAt', 'timings', 'files'];

/** `v` without durations (`trainSeconds` and the like, at any depth): time, not results. */
function withoutDurations(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutDurations);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !/Seconds$/.test(k)).map(([k, x]) => [k, withoutDurations(x)]));
}

/**
 * Asserts that two report folders hold the same results: every report field but VOLATILE and durations
 * deep-equal (numbers bit for bit), and every per-layer response .npy byte for byte.
 */
export function assertSameResults(reportDirA: string, reportDirB: string): void {
  const read = (d: string) => JSON.parse(fs.readFileSync(path.join(d, 'report.sparsity.json'), 'utf8')) as Record<string, unknown>;
  const a = read(reportDirA);
  const b = read(reportDirB);
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (VOLATILE.includes(k)) continue;
    assert.deepEqual(withoutDurations(a[k]), withoutDurations(b[k]), `report field "${k}" differs between ${reportDirA} and ${reportDirB}`);
  }
  const responses = (r: Record<string, unknown>) => (r.files as { responses?: Record<string, string> }).responses ?? {};
  const ra = responses(a);
  assert.deepEqual(Object.keys(ra).sort(), Object.keys(responses(b)).sort(), 'same response files');
  assert.ok(Object.keys(ra).length > 0, 'the reports list response files');
  for (const rel of Object.values(ra)) {
    assert.ok(fs.readFileSync(path.join(reportDirA, rel)).equals(fs.readFileSync(path.join(reportDirB, rel))), `${rel} differs`);
  }
}
