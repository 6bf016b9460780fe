/**
 * The "Choose Model…" picker: MODEL_SOURCES in order, then recently used models.
 * A new source: a file `<name>Source.ts` exporting a ModelSource (source.ts), plus one line
 * in MODEL_SOURCES below.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { ModelRef } from '../../core/models';
import { cacheSource } from './cacheSource';
import { catalogSource } from './catalogSource';
import { fileSource } from './fileSource';
import { describeModelRef, pickedFromRecent, referenceOf } from './refs';
import type { ModelSource, ModelSourceContext, PickedModel } from './source';
import { torchvisionSource } from './torchvisionSource';
import { urlSource } from './urlSource';

/** The sources offered, in this order. */
export const MODEL_SOURCES: readonly ModelSource[] = [fileSource, torchvisionSource, urlSource, catalogSource, cacheSource];

interface SourceItem extends vscode.QuickPickItem {
  source?: ModelSource;
  recent?: { text: string; ref: ModelRef | null };
}

/** A recent entry: text from the extension's storage, parsed here once (for its label and for the run). */
function recentItem(text: string): SourceItem {
  const ref = referenceOf(text);
  if (ref) return { label: `$(history) ${text}`, description: describeModelRef(ref), recent: { text, ref } };
  return { label: `$(history) ${path.basename(text)}`, description: path.dirname(text), recent: { text, ref: null } };
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
  if (choice.recent) {
    const { text, ref } = choice.recent;
    return ref ? { ...pickedFromRecent(text, ref), modelRef: ref } : pickedFromRecent(text, null);
  }
  return choice.source?.pick(ctx);
}
