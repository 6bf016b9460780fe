/**
 * Where the extension fetches models into and with what: the cache folder, the download limit,
 * the Python that exports torchvision models. Pure (no `vscode` import): the settings validator
 * and the analysis worker's host side share it, and it is unit-tested directly.
 */
import * as path from 'path';

/** Sub-folder of the extension's globalStorage that holds the model cache. */
export const MODEL_CACHE_FOLDER = 'models';

export function modelCacheDir(globalStoragePath: string): string {
  return path.join(globalStoragePath, MODEL_CACHE_FOLDER);
}

/** Default of sparsityLens.maxDownloadMB (2 GiB, the core's download limit). */
export const DEFAULT_MAX_DOWNLOAD_MB = 2048;

export function maxDownloadBytes(maxDownloadMB: number): number {
  return maxDownloadMB * 1024 * 1024;
}

/**
 * sparsityLens.pythonPath as a command: '' → undefined (python3, then python); a path with a
 * separator, `~` or `${workspaceFolder}` → absolute; a bare command (`python3.11`) as is.
 */
export function resolvePythonPath(value: string, workspaceFolder: string | undefined, home: string): string | undefined {
  let v = value.trim();
  if (v === '') return undefined;
  if (workspaceFolder) v = v.split('${workspaceFolder}').join(workspaceFolder);
  if (v === '~' || v.startsWith('~/') || v.startsWith('~\\')) v = path.join(home, v.slice(1));
  if (path.isAbsolute(v)) return path.normalize(v);
  if (!/[\\/]/.test(v)) return v;
  return path.resolve(workspaceFolder ?? process.cwd(), v);
}
