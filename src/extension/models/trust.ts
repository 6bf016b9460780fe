/**
 * Workspace trust and models. In an untrusted workspace nothing here runs Python or downloads:
 * workspace settings could otherwise make Sparsity Lens run a program or fetch a file. Local
 * files and already cached models stay available.
 */
import * as vscode from 'vscode';

export const MANAGE_TRUST = 'Manage Workspace Trust';

export function untrustedFetchMessage(what: string): string {
  return (
    `This workspace is not trusted, so Sparsity Lens does not ${what} here: in Restricted Mode nothing in the workspace ` +
    '(its settings, such as sparsityLens.model and sparsityLens.pythonPath) may make it run a program or fetch a file. ' +
    'Trust the workspace to use this, or choose a model file on this computer or an already cached model.'
  );
}

/** The message when an untrusted workspace's own settings name a model (which is then not loaded). */
export function untrustedModelMessage(value: string): string {
  return (
    `This workspace's settings name the model "${value}" (sparsityLens.model), but the workspace is not trusted, ` +
    'so Sparsity Lens will not load it: running a model executes its graph in native code. ' +
    'Trust the workspace (Manage Workspace Trust) to use it, or choose a model yourself.'
  );
}

export async function manageTrust(): Promise<void> {
  await vscode.commands.executeCommand('workbench.trust.manage');
}

/** In an untrusted workspace: explains, offers "Manage Workspace Trust", returns false. */
export async function requireTrustFor(what: string, log?: (l: string) => void): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const msg = untrustedFetchMessage(what);
  log?.(msg);
  const c = await vscode.window.showWarningMessage(msg, { modal: true }, MANAGE_TRUST);
  if (c === MANAGE_TRUST) await manageTrust();
  return false;
}
