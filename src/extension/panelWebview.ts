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
