/**
 * Model errors that get their own buttons, and the pip command inside a missing-torch error.
 * Pure (no `vscode` import); showing them is fetch.ts's showModelError.
 */

/** Codes of model errors that get their own buttons. */
export function isModelErrorCode(code: string | undefined): boolean {
  return code === 'E_NO_TORCH' || code === 'E_NO_PYTHON' || code === 'E_DOWNLOAD_SIZE';
}

/** The install command inside a E_NO_TORCH message (`<python> -m pip install torch torchvision`). */
export function installCommandFromError(message: string): string | undefined {
  const m = /^\s*(\S.*?-m pip install torch torchvision)\s*$/m.exec(message);
  return m ? m[1].trim() : undefined;
}
