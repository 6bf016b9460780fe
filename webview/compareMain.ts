/**
 * Entry of the comparison panel webview (bundled to dist/comparisonWebview.js, loaded with a
 * nonce). Talks to the host only through src/shared/compareProtocol.ts messages.
 */
import { isHostComparisonMessage, PROTOCOL_VERSION, type ComparisonToHostMessage } from '../src/shared/compareProtocol';
import { ComparisonApp } from './compareRender';
import { registerToolkit } from './toolkit';

interface VsCodeApi {
  postMessage(message: ComparisonToHostMessage): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (m: ComparisonToHostMessage): void => vscode.postMessage(m);

registerToolkit();
const root = document.getElementById('root') ?? document.body.appendChild(document.createElement('div'));
const app = new ComparisonApp(root, {
  formats: ['json', 'csv', 'html'],
  exportComparison: (format) => post({ type: 'exportComparison', format }),
  exportChart: (chart, format, data) => post({ type: 'exportChart', chart, format, data }),
  compareIndex: (index) => post({ type: 'compareIndex', index }),
  log: (level, message) => post({ type: 'log', level, message }),
});

window.addEventListener('message', (ev: MessageEvent) => {
  const m: unknown = ev.data;
  if (!isHostComparisonMessage(m)) return;
  if (m.type === 'comparison') app.showComparison(m.comparison, m.indices);
  else if (m.type === 'empty') app.showEmpty(m.message);
  else app.showToast(m.ok, m.message);
});
window.addEventListener('error', (e) => post({ type: 'log', level: 'error', message: `webview: ${e.message}` }));
post({ type: 'ready', protocol: PROTOCOL_VERSION });
