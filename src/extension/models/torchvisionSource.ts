/**
 * Model source: export a torchvision ImageNet classifier to ONNX with the user's Python
 * (sparsityLens.pythonPath, else python3) running python/export_torchvision.py; cached.
 */
import * as vscode from 'vscode';
import { torchvisionCacheId, type ModelRef, type TorchWeights } from '../../core/models';
import { cachedEntry, fetchForSource } from './fetch';
import type { ModelSource } from './source';
import { orderedTorchvisionArchs } from './text';
import { requireTrustFor } from './trust';

interface ArchItem extends vscode.QuickPickItem {
  arch?: string;
}

export const torchvisionSource: ModelSource = {
  id: 'torchvision',
  label: '$(flame) Export from PyTorch (torchvision)…',
  description: 'AlexNet, VGG11 (the study), ResNet, …',
  detail: 'Runs your Python (sparsityLens.pythonPath, else python3) with torch + torchvision; the ONNX file is cached.',
  async pick(ctx) {
    if (!(await requireTrustFor('run Python to export PyTorch models', ctx.log))) return undefined;
    const items: ArchItem[] = [];
    let inStudy = false;
    for (const a of orderedTorchvisionArchs()) {
      if (a.study && !inStudy) {
        inStudy = true;
        items.push({ label: 'Liu, Zhen & Liu (2020)', kind: vscode.QuickPickItemKind.Separator });
      }
      if (!a.study && inStudy) {
        inStudy = false;
        items.push({ label: 'Other torchvision ImageNet classifiers', kind: vscode.QuickPickItemKind.Separator });
      }
      const cached = [cachedEntry(ctx.cacheDir, torchvisionCacheId(a.arch, 'DEFAULT')) && 'pretrained', cachedEntry(ctx.cacheDir, torchvisionCacheId(a.arch, 'none')) && 'random'].filter(Boolean);
      items.push({
        label: a.arch,
        description: [a.study ? "$(star-full) the study's model" : a.family, a.inputSize !== 224 ? `${a.inputSize}×${a.inputSize}` : '', cached.length ? `$(check) cached (${cached.join(', ')})` : '']
          .filter(Boolean)
          .join(' · '),
        arch: a.arch,
      });
    }
    const arch = await vscode.window.showQuickPick(items, {
      title: 'Sparsity Lens: Export from PyTorch (torchvision)',
      placeHolder: "Which architecture? alexnet and vgg11 are the study's networks",
      ignoreFocusOut: true,
      matchOnDescription: true,
    });
    if (!arch?.arch) return undefined;
    const weights = await vscode.window.showQuickPick(
      [
        {
          label: '$(cloud-download) Pretrained ImageNet weights',
          description: `torchvision:${arch.arch}`,
          detail: 'torchvision downloads the weights once on this computer (download.pytorch.org) into its own cache; then the model is exported to ONNX.',
          weights: 'DEFAULT' as TorchWeights,
        },
        {
          label: '$(circle-outline) Random weights (untrained)',
          description: `torchvision:${arch.arch}:random`,
          detail: "Nothing is downloaded. Not needed for the study's controls: Sparsity Lens computes those itself.",
          weights: 'none' as TorchWeights,
        },
      ],
      { title: `Sparsity Lens: ${arch.arch} — which weights?`, ignoreFocusOut: true },
    );
    if (!weights) return undefined;
    // Random weights from the picker are seed 0, as `torchvision:<arch>:random` parses.
    const ref: ModelRef = { kind: 'torchvision', arch: arch.arch, weights: weights.weights, ...(weights.weights === 'none' ? { seed: 0 } : {}) };
    // The setting's text for the same reference (parseModelRef of it gives `ref` back).
    const text = `torchvision:${arch.arch}${weights.weights === 'none' ? ':random' : ''}`;
    ctx.log(`Export from PyTorch: ${text} with ${ctx.pythonPath || 'python3 (else python)'} into ${ctx.cacheDir}`);
    if (!cachedEntry(ctx.cacheDir, torchvisionCacheId(arch.arch, weights.weights))) ctx.showLog();
    return fetchForSource(ctx, ref, text, `Exporting ${arch.arch} from PyTorch`);
  },
};
