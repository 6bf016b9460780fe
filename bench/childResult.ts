/**
 * Every benchmark measurement that needs its own process (fresh RSS, no warm caches, Python)
 * runs a child that prints one `BENCH_RESULT <json>` line; this is the one place that runs it.
 */
import { spawn } from 'child_process';
import * as path from 'path';

const MARK = 'BENCH_RESULT ';

/** The lines of stderr worth showing when a child fails: the first error and two more, else the tail. */
function failureLines(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const first = lines.findIndex((x) => /Error|error:/.test(x));
  return (first >= 0 ? lines.slice(first, first + 3) : lines.slice(-3)).join(' | ');
}

export function runBenchChild<T>(what: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: path.resolve(__dirname, '..'), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((x) => x.startsWith(MARK));
      if (code !== 0 || !line) reject(new Error(`${what} failed (exit ${code}): ${failureLines(err)}`));
      else resolve(JSON.parse(line.slice(MARK.length)) as T);
    });
  });
}
