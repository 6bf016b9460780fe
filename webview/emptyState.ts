/**
 * The panel with no report (issue 15): the host's message (why there is none), then what to do,
 * with buttons for the actions the host offers (src/shared/protocol.ts EMPTY_ACTIONS; each click
 * is sent back as `emptyAction`). Without actions (a run starting, the standalone page) only the message.
 */
import type { EmptyAction } from '../src/shared/protocol';
import { el } from './pageKit';
import * as ui from './toolkit';

const ACTION_BUTTONS: Record<EmptyAction, { label: string; title: string; appearance: 'primary' | 'secondary' }> = {
  analyzeFolder: { label: 'Analyze a Folder…', title: 'Choose an image folder (one sub-folder per category) and analyse it', appearance: 'secondary' },
  tryDemo: { label: 'Try the Demo', title: 'Generate demo images into the workspace and analyse them with the embedded demo model', appearance: 'primary' },
};

export function emptyState(message: string, actions: readonly EmptyAction[], onAction: ((a: EmptyAction) => void) | undefined): HTMLElement {
  const box = el('div', { class: 'sl-empty', 'data-testid': 'report-empty' });
  box.append(el('p', {}, message));
  if (!onAction || actions.length === 0) return box;
  const guide = el('div', { class: 'sl-empty-guide', 'data-testid': 'empty-guide' });
  guide.append(
    el('p', {}, 'To see a report here: in the Explorer, right-click a folder of images with one sub-folder per category and choose "Analyze Sparsity". Or try the demo: it generates 10 categories of drawn objects into your workspace and analyses them with a small CNN that ships with the extension.'),
  );
  const row = el('div', { class: 'sl-empty-actions' });
  for (const a of actions) {
    const b = ACTION_BUTTONS[a];
    row.append(ui.button(b.label, { appearance: b.appearance, title: b.title, testId: `empty-${a}`, onClick: () => onAction(a) }));
  }
  guide.append(row);
  box.append(guide);
  return box;
}
