/**
 * The webview set-up the report and comparison panels share: scripts on, command URIs off, only
 * dist/ and media/ readable, the CSP'd page (webviewHtml.ts) with the panel's bundle, the icon.
 */
import * as vscode from 'vscode';
import { buildWebviewHtml, makeNonce } from './webviewHtml';

export function initPanelWebview(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, script: string): void {
  const dist = vscode.Uri.joinPath(extensionUri, 'dist');
  const media = vscode.Uri.joinPath(extensionUri, 'media');
  panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [dist, media] };
  panel.webview.html = buildWebviewHtml({
    cspSource: panel.webview.cspSource,
    nonce: makeNonce(),
    scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, script)).toString(),
    styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'report.css')).toString(),
    title: panel.title,
  });
  panel.iconPath = vscode.Uri.joinPath(media, 'report.svg');
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
