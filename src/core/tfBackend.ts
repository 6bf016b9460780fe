/**
 * The one place that chooses the TensorFlow.js backend (engine `tfjs`).
 *
 * Order: `@tensorflow/tfjs-node` (native TensorFlow; an optionalDependency that may be
 * missing or fail to load) → `@tensorflow/tfjs` + `@tensorflow/tfjs-backend-wasm`
 * (WebAssembly, XNNPACK) → `@tensorflow/tfjs` pure-JS `cpu`. The result is cached for the
 * process: every engine and session shares one tf instance and one backend.
 *
 * Bundling: the wasm backend loads its `.wasm` binaries at run time. We look for them
 * (1) next to the running script (`__dirname`, i.e. `dist/` when bundled — the build must
 * copy `node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm` there), (2) in a `wasm/`
 * folder beside it, and (3) in the installed package's `dist/` (resolved through
 * `require.resolve`), in that order. `SPARSITY_LENS_TF_BACKEND=cpu|wasm|tensorflow` forces one.
 */
import * as fs from 'fs';
import * as path from 'path';

/** The tfjs namespace (the union API of @tensorflow/tfjs; tfjs-node re-exports the same). */
export type Tf = typeof import('@tensorflow/tfjs');

export interface TfRuntime {
  tf: Tf;
  /** Backend actually active: `tensorflow`, `wasm` or `cpu`. */
  backend: string;
  /** For reports: e.g. `tfjs 4.22.0 (wasm)`. */
  runtime: string;
  /** Why faster backends were not used (diagnostics only). */
  notes: string[];
}

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

let cached: Promise<TfRuntime> | null = null;

/** Folder (with trailing separator) that holds the wasm binaries, or null if none found. */
export function findWasmDir(extraDirs: string[] = []): string | null {
  const candidates: string[] = [...extraDirs];
  if (typeof __dirname === 'string') {
    candidates.push(__dirname, path.join(__dirname, 'wasm'));
  }
  try {
    const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
    candidates.push(path.join(path.dirname(pkg), 'dist'));
  } catch {
    /* not resolvable from a bundle without node_modules: fine if a copy exists beside it */
  }
  for (const dir of candidates) {
    // The simd binary is the one Node uses; the plain one is the fallback without SIMD.
    if (fs.existsSync(path.join(dir, WASM_FILES[1])) || fs.existsSync(path.join(dir, WASM_FILES[0]))) {
      return dir.endsWith(path.sep) ? dir : dir + path.sep;
    }
  }
  return null;
}

function message(e: unknown): string {
  const m = e instanceof Error ? e.message : typeof e === 'object' && e && 'message' in e ? String((e as { message: unknown }).message) : String(e);
  return m.split('\n')[0];
}

/** A require that bundlers leave alone (the optional native package must stay external). */
function optionalRequire(name: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const req: NodeRequire = require;
  return req(name);
}

async function pick(): Promise<TfRuntime> {
  const notes: string[] = [];
  const forced = (process.env.SPARSITY_LENS_TF_BACKEND ?? '').trim().toLowerCase();

  if (forced === '' || forced === 'tensorflow' || forced === 'tfjs-node') {
    try {
      const tfn = optionalRequire('@tensorflow/tfjs-node') as Tf;
      await tfn.setBackend('tensorflow');
      await tfn.ready();
      if (tfn.getBackend() === 'tensorflow') {
        return { tf: tfn, backend: 'tensorflow', runtime: `tfjs-node ${tfn.version.tfjs} (tensorflow)`, notes };
      }
      notes.push('@tensorflow/tfjs-node loaded but its backend did not start');
    } catch (e) {
      notes.push(`@tensorflow/tfjs-node unavailable: ${message(e)}`);
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const tf = require('@tensorflow/tfjs') as Tf;
  const version = tf.version.tfjs;

  if (forced === '' || forced === 'wasm' || forced === 'tensorflow' || forced === 'tfjs-node') {
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      const dir = findWasmDir();
      if (dir == null) throw new Error(`no ${WASM_FILES[1]} found beside ${typeof __dirname === 'string' ? __dirname : 'the script'} nor in node_modules`);
      wasm.setWasmPaths(dir);
      const ok = await tf.setBackend('wasm');
      await tf.ready();
      if (ok && tf.getBackend() === 'wasm') {
        return { tf, backend: 'wasm', runtime: `tfjs ${version} (wasm)`, notes };
      }
      notes.push('wasm backend did not initialise');
    } catch (e) {
      notes.push(`wasm backend unavailable: ${message(e)}`);
    }
  }

  await tf.setBackend('cpu');
  await tf.ready();
  // The cpu backend prints an install-tfjs-node banner on first use; the reason is in `notes`.
  const cpu = tf.backend() as unknown as { firstUse?: boolean };
  if (typeof cpu.firstUse === 'boolean') cpu.firstUse = false;
  return { tf, backend: 'cpu', runtime: `tfjs ${version} (cpu)`, notes };
}

/** Load TensorFlow.js once per process and pick the fastest working backend (cached). */
export function loadTf(): Promise<TfRuntime> {
  if (!cached) {
    cached = pick().catch((e) => {
      cached = null;
      throw e;
    });
  }
  return cached;
}
