/**
 * EXTENSION POINT: where a model comes from.
 *
 * "Choose Model…" (and the "no model configured" prompt) show a QuickPick whose entries are
 * MODEL_SOURCES. Today there is one source, a local `.onnx` / TF.js `model.json` file. Other
 * sources (PyTorch export through `sparsityLens.pythonPath`, URL download, a model catalog)
 * are added by pushing a ModelSource to MODEL_SOURCES (or calling registerModelSource) before
 * the picker runs; each returns a local model path the analysis can open.
 */
import * as path from 'path';
import * as vscode from 'vscode';

export interface PickedModel {
  /** Absolute path of a local `.onnx` file or TF.js `model.json`. */
  path: string;
  /** Where it came from, recorded in the report (`file`, `catalog:alexnet`, a URL, ...). */
  source: string;
}

export interface ModelSourceContext {
  /** Workspace folder the model is for (dialogs start there), if any. */
  workspaceFolder?: vscode.Uri;
  /** Extension-private folder for downloads / exports. */
  storageDir: vscode.Uri;
  /** sparsityLens.pythonPath ('' in untrusted workspaces). */
  pythonPath: string;
  log(line: string): void;
}

export interface ModelSource {
  id: string;
  /** QuickPick label; may use $(codicon) syntax. */
  label: string;
  description?: string;
  detail?: string;
  pick(ctx: ModelSourceContext): Promise<PickedModel | undefined>;
}

export const MODEL_FILE_FILTERS: Record<string, string[]> = {
  'Models (ONNX, TensorFlow.js)': ['onnx', 'json'],
  'ONNX model': ['onnx'],
  'TensorFlow.js model.json': ['json'],
};

/** Accepts `.onnx` files and `model.json`-style files (TF.js layers or graph models). */
export function isModelFileName(file: string): boolean {
  const b = path.basename(file).toLowerCase();
  return b.endsWith('.onnx') || (b.endsWith('.json') && !b.endsWith('.sparsity.json'));
}

export const localFileSource: ModelSource = {
  id: 'file',
  label: '$(file) Model file on this computer…',
  description: '.onnx or TensorFlow.js model.json',
  async pick(ctx) {
    const picked = await vscode.window.showOpenDialog({
      title: 'Choose a model (.onnx or TensorFlow.js model.json)',
      canSelectFiles: true,
      canSelectFolders: false,
      canSelectMany: false,
      defaultUri: ctx.workspaceFolder,
      openLabel: 'Use This Model',
      filters: MODEL_FILE_FILTERS,
    });
    const uri = picked?.[0];
    if (!uri) return undefined;
    if (!isModelFileName(uri.fsPath)) {
      void vscode.window.showErrorMessage(`"${path.basename(uri.fsPath)}" is not a model file: choose an .onnx file or a TensorFlow.js model.json.`);
      return undefined;
    }
    return { path: uri.fsPath, source: 'file' };
  },
};

/** The sources offered, in order. Other modules extend this list (see the file comment). */
export const MODEL_SOURCES: ModelSource[] = [localFileSource];

export function registerModelSource(source: ModelSource): vscode.Disposable {
  const i = MODEL_SOURCES.findIndex((s) => s.id === source.id);
  if (i >= 0) MODEL_SOURCES[i] = source;
  else MODEL_SOURCES.push(source);
  return new vscode.Disposable(() => {
    const j = MODEL_SOURCES.indexOf(source);
    if (j >= 0) MODEL_SOURCES.splice(j, 1);
  });
}

interface SourceItem extends vscode.QuickPickItem {
  source?: ModelSource;
  recent?: string;
}

/**
 * Shows the model QuickPick: the sources, then recently used model files.
 * Returns the chosen model or undefined when dismissed.
 */
export async function pickModel(ctx: ModelSourceContext, recent: string[], title = 'Sparsity Lens: Choose Model'): Promise<PickedModel | undefined> {
  const items: SourceItem[] = MODEL_SOURCES.map((s) => ({ label: s.label, description: s.description, detail: s.detail, source: s }));
  const recentItems = recent.filter((r) => r.length > 0).slice(0, 8);
  if (recentItems.length) {
    items.push({ label: 'Recent', kind: vscode.QuickPickItemKind.Separator });
    for (const r of recentItems) items.push({ label: `$(history) ${path.basename(r)}`, description: path.dirname(r), recent: r });
  }
  const choice = await vscode.window.showQuickPick(items, { title, placeHolder: 'Where is the model?', ignoreFocusOut: true });
  if (!choice) return undefined;
  if (choice.recent) return { path: choice.recent, source: 'file' };
  return choice.source?.pick(ctx);
}
