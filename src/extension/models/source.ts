/**
 * EXTENSION POINT: where a model comes from. "Choose Model…" (and the "no model configured"
 * prompt) show a QuickPick with one entry per ModelSource in MODEL_SOURCES (sources.ts).
 * A new source: one file `<name>Source.ts` exporting a ModelSource, and one line in that list.
 */
import type * as vscode from 'vscode';
import type { ModelRef } from '../../core/models';

export interface PickedModel {
  /**
   * Absolute path of a local `.onnx` file or TF.js `model.json`; '' when the model is a reference
   * not resolved yet (the analysis worker resolves `modelRef` through the model cache).
   */
  path: string;
  /** The value for sparsityLens.model: the file path, or a model reference (`torchvision:alexnet`, `catalog:<id>`, a URL, `cache:<id>`). */
  ref: string;
  /** Where it came from, recorded in the report (`file`, `torchvision:alexnet`, `catalog:vgg16`, a URL, ...). */
  source: string;
  /** With path '': `ref` parsed (once, where the text came in), for the worker to resolve. */
  modelRef?: ModelRef;
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
  /** Asks the user (dialogs, QuickPicks), fetches into the cache if needed; undefined when given up. */
  pick(ctx: ModelSourceContext): Promise<PickedModel | undefined>;
}
