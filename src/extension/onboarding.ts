/**
 * Onboarding (issue 15): "Sparsity Lens: Try the Demo" (the walkthrough's first step,
 * package.json contributes.walkthroughs, media/walkthrough/*.md) and "Get Started".
 *
 * Try the Demo: generates the demo stimuli (src/core/demoStimuli.ts) into a new folder of the
 * workspace (never into a folder that is not ours: onboardingLogic.ts), then starts a normal run
 * through the RunManager (progress, cancel, live panel) with the embedded demo model
 * (media/demo-model/model.json) whatever sparsityLens.model says; every other setting applies.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { generateStimuli } from '../core/demoStimuli';
import { writeFileAtomic } from '../core/fsAtomic';
import type { Logger } from './log';
import { chooseDemoFolder, DEMO_MARKER, DEMO_STIMULI, demoMarker } from './onboardingLogic';
import type { RunManager } from './runs';

export const WALKTHROUGH_ID = 'sparsityLens.gettingStarted';
export const DEMO_MODEL_SOURCE = 'embedded demo model (media/demo-model)';

export interface OnboardingEnv {
  context: vscode.ExtensionContext;
  log: Logger;
  runs: RunManager;
}

/** "Get Started with Sparsity Lens": opens the walkthrough. */
export async function gettingStartedCommand(env: OnboardingEnv): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${env.context.extension.id}#${WALKTHROUGH_ID}`, false);
}

async function pickWorkspaceFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  if (folders.length <= 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Sparsity Lens: which workspace folder gets the demo images?' });
}

export async function tryDemoCommand(env: OnboardingEnv): Promise<void> {
  const { log } = env;
  if (!vscode.workspace.workspaceFolders?.length) {
    const open = 'Open Folder…';
    const c = await vscode.window.showInformationMessage(
      'Sparsity Lens: the demo writes its images into a folder of your workspace, and no folder is open. Open a folder (an empty one is fine), then run "Try the Demo" again.',
      open,
    );
    if (c === open) await vscode.commands.executeCommand('workbench.action.files.openFolder');
    return;
  }
  const folder = await pickWorkspaceFolder();
  if (!folder) {
    if ((vscode.workspace.workspaceFolders ?? []).every((f) => f.uri.scheme !== 'file')) {
      void vscode.window.showErrorMessage('Sparsity Lens: the demo needs a workspace folder on this machine\'s disk; this workspace has none.');
    }
    return;
  }
  const model = vscode.Uri.joinPath(env.context.extensionUri, 'media', 'demo-model', 'model.json').fsPath;
  if (!fs.existsSync(model)) {
    void vscode.window.showErrorMessage(`Sparsity Lens: the embedded demo model is missing (${model}); reinstall the extension.`);
    return;
  }

  const { dir, state } = chooseDemoFolder(folder.uri.fsPath);
  if (state !== 'ours-complete') {
    log.info(`Try the Demo: generating the demo images in ${dir} (${state === 'absent' ? 'new folder' : 'completing our earlier folder'})`);
    const generated = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Sparsity Lens: generating demo images in ${path.basename(dir)}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        // Ours from the first file on: a cancelled generation is completed next time, not abandoned.
        writeFileAtomic(path.join(dir, DEMO_MARKER), JSON.stringify(demoMarker(), null, 2) + '\n');
        let reported = 0;
        try {
          await generateStimuli(dir, {
            ...DEMO_STIMULI,
            signal: abort.signal,
            onImage: (done, total) => {
              const pct = (100 * done) / total;
              progress.report({ message: `${done} of ${total} images`, increment: pct - reported });
              reported = pct;
            },
          });
          return true;
        } catch (e) {
          if (abort.signal.aborted) return false;
          throw e;
        }
      },
    );
    if (!generated) {
      log.info('Try the Demo: cancelled while generating the images.');
      void vscode.window.showInformationMessage('Sparsity Lens: demo cancelled. "Try the Demo" again finishes the images and runs the analysis.');
      return;
    }
  } else {
    log.info(`Try the Demo: reusing the demo images in ${dir}`);
  }
  const uri = vscode.Uri.file(dir);
  // Show where the images are (the Explorer), then analyse them as the user would.
  await vscode.commands.executeCommand('revealInExplorer', uri).then(undefined, () => undefined);
  await env.runs.analyzeFolder(uri, { model: { path: model, ref: model, source: DEMO_MODEL_SOURCE } });
}
