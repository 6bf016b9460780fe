#!/usr/bin/env node
/**
 * Bundles the extension with esbuild.
 *
 *   dist/extension.js        extension host entry (src/extension/extension.ts), CommonJS, node
 *   dist/analysisWorker.js   analysis child process (src/extension/analysisWorker.ts), CommonJS, node
 *   dist/cli.js              the `sparsity-lens` command line (src/cli/main.ts), CommonJS, node
 *   dist/shuffleWorker.js    worker thread that shuffles permuted control models (src/core/shuffleWorker.ts),
 *                            started by src/core/shufflePool.ts from beside the bundle that runs analyze()
 *   dist/runLockHeartbeat.js worker thread that keeps a run's writer lock fresh (src/core/runLockHeartbeat.ts);
 *                            workers are found by src/core/workerEntry.ts
 *   dist/webview.js          report panel UI (webview/main.ts), browser IIFE
 *   dist/reportStandalone.js standalone report.html renderer (webview/standalone.ts), browser IIFE
 *   dist/comparisonWebview.js comparison panel UI (webview/compareMain.ts), browser IIFE
 *   dist/comparisonStandalone.js standalone comparison.html renderer (webview/compareStandalone.ts)
 *   dist/report.css          copy of media/report.css (inlined into the standalone report.html)
 *   dist/*.wasm              @tensorflow/tfjs-backend-wasm binaries (the backend is bundled,
 *                            its .wasm files are loaded at run time from beside the bundle)
 *
 * Native modules stay external (they ship in node_modules): vscode, onnxruntime-node, sharp,
 * @tensorflow/tfjs-node. An entry whose source file does not exist yet is skipped with a note.
 *
 * Flags: --production (minify, no source maps), --watch (rebuild on change).
 */
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, copyFileSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
const dist = path.join(root, 'dist');

const NATIVE_EXTERNALS = ['vscode', 'onnxruntime-node', 'sharp', '@tensorflow/tfjs-node'];

const node = {
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: NATIVE_EXTERNALS,
  // Some deps ship ESM and CJS; prefer the CJS "main" for node bundles.
  mainFields: ['main', 'module'],
};
const browser = {
  platform: 'browser',
  target: ['chrome114'],
  format: 'iife',
  define: { 'process.env.NODE_ENV': production ? '"production"' : '"development"' },
  // esbuild escapes `</script` inside strings; the standalone HTML inlines this bundle.
};

const entries = [
  { name: 'extension', src: 'src/extension/extension.ts', out: 'extension.js', ...node },
  { name: 'worker', src: 'src/extension/analysisWorker.ts', out: 'analysisWorker.js', ...node },
  { name: 'cli', src: 'src/cli/main.ts', out: 'cli.js', ...node, hashbang: true },
  { name: 'shuffle-worker', src: 'src/core/shuffleWorker.ts', out: 'shuffleWorker.js', ...node },
  { name: 'run-lock-heartbeat', src: 'src/core/runLockHeartbeat.ts', out: 'runLockHeartbeat.js', ...node },
  { name: 'webview', src: 'webview/main.ts', out: 'webview.js', ...browser },
  { name: 'standalone', src: 'webview/standalone.ts', out: 'reportStandalone.js', ...browser, sourcemap: false },
  { name: 'comparison-webview', src: 'webview/compareMain.ts', out: 'comparisonWebview.js', ...browser },
  { name: 'comparison-standalone', src: 'webview/compareStandalone.ts', out: 'comparisonStandalone.js', ...browser, sourcemap: false },
];

function copyWasm() {
  const dir = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  if (!existsSync(dir)) {
    console.warn('[build] @tensorflow/tfjs-backend-wasm not installed: no .wasm copied');
    return;
  }
  mkdirSync(dist, { recursive: true });
  const files = readdirSync(dir).filter((f) => f.endsWith('.wasm'));
  for (const f of files) copyFileSync(path.join(dir, f), path.join(dist, f));
  console.log(`[build] copied ${files.length} .wasm files to dist/`);
}

const reportPlugin = (name) => ({
  name: 'report',
  setup(build) {
    let t0 = 0;
    build.onStart(() => {
      t0 = Date.now();
    });
    build.onEnd((r) => {
      const out = Object.entries(r.metafile?.outputs ?? {}).filter(([f]) => !f.endsWith('.map'));
      const size = out.reduce((s, [, o]) => s + o.bytes, 0);
      const status = r.errors.length ? `FAILED (${r.errors.length} errors)` : `${(size / 1024).toFixed(0)} KiB`;
      console.log(`[build] ${name}: ${status} in ${Date.now() - t0} ms`);
    });
  },
});

/** The panel stylesheet, also inlined into the standalone report.html by src/core/report/html.ts. */
function copyCss() {
  copyFileSync(path.join(root, 'media/report.css'), path.join(dist, 'report.css'));
}

async function main() {
  mkdirSync(dist, { recursive: true });
  copyWasm();
  copyCss();
  const contexts = [];
  let failed = false;
  for (const e of entries) {
    const src = path.join(root, e.src);
    if (!existsSync(src)) {
      console.log(`[build] ${e.name}: skipped (${e.src} does not exist yet)`);
      continue;
    }
    const { name, src: _s, out, hashbang, ...opts } = e;
    const hasHashbang = hashbang && readFileSync(src, 'utf8').startsWith('#!');
    const options = {
      entryPoints: [src],
      outfile: path.join(dist, out),
      bundle: true,
      minify: production,
      sourcemap: production ? false : (opts.sourcemap ?? 'linked'),
      logLevel: 'warning',
      metafile: true,
      legalComments: production ? 'none' : 'inline',
      ...opts,
      ...(hashbang && !hasHashbang ? { banner: { js: '#!/usr/bin/env node' } } : {}),
      plugins: [reportPlugin(name)],
    };
    if (opts.sourcemap === false) options.sourcemap = false;
    if (watch) {
      const ctx = await esbuild.context(options);
      await ctx.watch();
      contexts.push(ctx);
    } else {
      try {
        await esbuild.build(options);
      } catch {
        failed = true;
      }
    }
  }
  if (watch) {
    console.log('[build] watching for changes (Ctrl-C to stop)');
    process.on('SIGINT', async () => {
      await Promise.all(contexts.map((c) => c.dispose()));
      process.exit(0);
    });
  } else if (failed) {
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
