/** Model source: a local `.onnx` file or TF.js `model.json`, used where it is. */
import * as path from 'path';
import * as vscode from 'vscode';
import type { ModelSource } from './source';

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

export const fileSource: ModelSource = {
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
