/**
 * Entry of the report panel webview (bundled to dist/webview.js, loaded with a nonce).
 * Talks to the extension host only through src/shared/protocol.ts messages.
 */
import {
  isHostMessage,
  PROTOCOL_VERSION,
  sanitizePersistedState,
  type WebviewPersistedState,
  type WebviewToHostMessage,
} from '../src/shared/protocol';
import { ReportApp } from './render';
import { registerToolkit } from './toolkit';

interface VsCodeApi {
  postMessage(message: WebviewToHostMessage): void;
  getState(): unknown;
  setState(state: WebviewPersistedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (m: WebviewToHostMessage): void => vscode.postMessage(m);

registerToolkit();
const root = document.getElementById('root') ?? document.body.appendChild(document.createElement('div'));
const app = new ReportApp(
  root,
  {
    reportFormats: ['json', 'csv', 'html'],
    exportReport: (format) => post({ type: 'exportReport', format }),
    exportChart: (chart, format, data) => post({ type: 'exportChart', chart, format, data }),
    exportFigure: (figure, format, dpi, data) => post({ type: 'exportFigure', figure, format, dpi, data }),
    cancelRun: (runId) => post({ type: 'cancelRun', runId }),
    openAnalysisOptions: () => post({ type: 'openAnalysisOptions' }),
    revealSkipped: (index) => post({ type: 'revealSkipped', index }),
    listCategoryImages: (category) => post({ type: 'listCategoryImages', category }),
    emptyAction: (action) => post({ type: 'emptyAction', action }),
    runAgain: () => post({ type: 'runAgain' }),
    resumeRun: () => post({ type: 'resumeRun' }),
    copyText: (text) => post({ type: 'copyText', text }),
    log: (level, message) => post({ type: 'log', level, message }),
    saveState: (state) => vscode.setState(state),
  },
  sanitizePersistedState(vscode.getState()),
);

window.addEventListener('message', (ev: MessageEvent) => {
  const m: unknown = ev.data;
  if (!isHostMessage(m)) return;
  switch (m.type) {
    case 'report':
      app.showReport(m.report, m.source);
      break;
    case 'progress':
      app.showProgress(m.runId, m.progress);
      break;
    case 'runStatus':
      app.showRunStatus(m.runId, m.status, m.message, m.reportPath);
      break;
    case 'empty':
      app.showEmpty(m.message, m.actions);
      break;
    case 'exportResult':
      app.showToast(m.ok, m.message);
      break;
    case 'categoryImages':
      app.showCategoryImages(m);
      break;
    case 'resumable':
      app.showResumable(m.description);
      break;
  }
});

window.addEventListener('error', (e) => post({ type: 'log', level: 'error', message: `webview: ${e.message}` }));
post({ type: 'ready', protocol: PROTOCOL_VERSION });
