/**
 * EXTENSION POINT: where a model comes from.
 *
 * "Choose Model…" (and the "no model configured" prompt) show a QuickPick whose entries are
 * MODEL_SOURCES: a local `.onnx` / TF.js `model.json` file (here), and the sources of
 * modelSourceProviders.ts (PyTorch export through `sparsityLens.pythonPath`, URL download, the
 * model catalog, the model cache), added with registerModelSource when the extension activates.
 * Each returns a PickedModel: the model reference stored in `sparsityLens.model` and, when it
 * is already on disk, its path.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { checkModelRef, describeModelRef, pickedFromRecent } from './refs';

export interface PickedModel {
  /**
   * Absolute path of a local `.onnx` file or TF.js `model.json`; '' when the model is a reference
   * not resolved yet (the analysis worker resolves `ref` through the model cache).
   */
  path: string;
  /** The value for sparsityLens.model: the file path, or a model reference (`torchvision:alexnet`, `catalog:<id>`, a URL, `cache:<id>`). */
  ref: string;
  /** Where it came from, recorded in the report (`file`, `torchvision:alexnet`, `catalog:vgg16`, a URL, ...). */
  source: string;
}

export interface ModelSourceContext {
  /** Workspace folder the model is for (dialogs start there), if any. */
  workspaceFolder?: vscode.Uri;
  /** Extension-private folder for downloads / exports (globalStorage). */
  storageDir: vscode.Uri;
  /** The model cache folder (globalStorage/models). */
  cacheDir: string;
  /** sparsityLens.pythonPath resolved to a command ('' → python3, then python; ignored from untrusted workspaces by VS Code). */
  pythonPath: string;
  /** sparsityLens.maxDownloadMB in bytes. */
  maxDownloadBytes: number;
  /** vscode.workspace.isTrusted when the picker opened. */
  trusted: boolean;
  log(line: string): void;
  /** Reveals the "Sparsity Lens" output channel. */
  showLog(): void;
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
    return { path: uri.fsPath, ref: uri.fsPath, source: 'file' };
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

function recentItem(r: string): SourceItem {
  const c = checkModelRef(r);
  if (c.ok && c.ref && c.ref.kind !== 'file') return { label: `$(history) ${r}`, description: describeModelRef(r), recent: r };
  return { label: `$(history) ${path.basename(r)}`, description: path.dirname(r), recent: r };
}

/**
 * Shows the model QuickPick: the sources, then recently used models.
 * Returns the chosen model or undefined when dismissed.
 */
export async function pickModel(ctx: ModelSourceContext, recent: string[], title = 'Sparsity Lens: Choose Model'): Promise<PickedModel | undefined> {
  const items: SourceItem[] = MODEL_SOURCES.map((s) => ({ label: s.label, description: s.description, detail: s.detail, source: s }));
  const recentItems = recent.filter((r) => r.length > 0).slice(0, 8);
  if (recentItems.length) {
    items.push({ label: 'Recent', kind: vscode.QuickPickItemKind.Separator });
    for (const r of recentItems) items.push(recentItem(r));
  }
  const choice = await vscode.window.showQuickPick(items, { title, placeHolder: 'Where is the model?', ignoreFocusOut: true, matchOnDescription: true });
  if (!choice) return undefined;
  if (choice.recent) return pickedFromRecent(choice.recent);
  return choice.source?.pick(ctx);
}
