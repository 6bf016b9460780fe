/**
 * The webview set-up the report and comparison panels share: scripts on, command URIs off, only
 * dist/ and media/ readable, the CSP'd page (webviewHtml.ts) with the panel's bundle, the icon.
 */
import * as vscode from 'vscode';
import type { Logger } from './log';
import { watchPanelStart } from './panelStart';
import { buildWebviewHtml, makeNonce } from './webviewHtml';

export function initPanelWebview(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, script: string, log: Logger): void {
  const dist = vscode.Uri.joinPath(extensionUri, 'dist');
  const media = vscode.Uri.joinPath(extensionUri, 'media');
  panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [dist, media] };
  // A fresh nonce each time: the page is set again when it does not start (panelStart.ts).
  const setPage = (): void => {
    panel.webview.html = buildWebviewHtml({
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, script)).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'report.css')).toString(),
      title: panel.title,
    });
  };
  setPage();
  panel.iconPath = vscode.Uri.joinPath(media, 'report.svg');
  const watch = watchPanelStart({
    visible: () => panel.visible,
    onVisibilityChange: (listener) => {
      const d = panel.onDidChangeViewState(listener);
      return () => d.dispose();
    },
    reload: setPage,
    log: (m) => log.info(`${panel.title}: ${m}`),
    giveUp: (attempts) => {
      log.warn(`${panel.title}: the panel's page did not start after ${attempts} attempts (its script did not load).`);
      void vscode.window
        .showErrorMessage(`The "${panel.title}" panel did not load (its page's script could not be fetched, ${attempts} attempts). Reload the window to try again.`, 'Reload Window')
        .then((choice) => choice && vscode.commands.executeCommand('workbench.action.reloadWindow'));
    },
  });
  // Any message means the page's script runs (the first is 'ready').
  const first = panel.webview.onDidReceiveMessage(() => {
    watch.started();
    first.dispose();
  });
  panel.onDidDispose(() => {
    watch.dispose();
    first.dispose();
  });
}

/**
 * Lets the webview also read `folders` (the report panel's dataset folder, for the drill-down's
 * thumbnails) besides dist/ and media/. Changing the roots reloads the page in VS Code, so the
 * report panel calls this once per folder, right after creating the panel, before it loads.
 */
export function allowPanelFolders(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, folders: string[]): void {
  const roots = [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media'), ...folders.map((f) => vscode.Uri.file(f))];
  panel.webview.options = { ...panel.webview.options, localResourceRoots: roots };
}
