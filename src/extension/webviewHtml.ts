/**
 * HTML of the report webview (panel and custom editor), with its Content-Security-Policy.
 * Pure (no `vscode` import) so the policy is unit-tested.
 *
 * CSP choices:
 * - default-src 'none': nothing loads unless listed below; no network.
 * - script-src 'nonce-…': only our bundle dist/webview.js (a fresh nonce per render). No
 *   'unsafe-eval': vega runs with `ast: true` and vega-interpreter instead of new Function.
 * - style-src ${cspSource} 'nonce-…': our stylesheet media/report.css from the extension, and
 *   nothing inline. No 'unsafe-inline': vega-embed's and vega-tooltip's injected <style>
 *   elements are switched off (defaultStyle: false, tooltip.disableDefaultStyle) and
 *   report.css carries their rules; the UI toolkit styles itself through adoptedStyleSheets;
 *   the nonce exists only for the toolkit's one probe <style> (it reads
 *   <meta property="csp-nonce">). Vega's SVG renderer sets styles through the CSSOM
 *   (element.style), which CSP does not restrict.
 * - img-src ${cspSource} data:: exported PNGs are data URLs; no remote images.
 * - font-src ${cspSource}: fonts only from the extension (none today).
 */
import { randomBytes } from 'crypto';

export interface WebviewHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  nonce: string;
  /** `webview.asWebviewUri(dist/webview.js)`. */
  scriptUri: string;
  /** `webview.asWebviewUri(media/report.css)`. */
  styleUri: string;
  title: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function buildWebviewHtml(o: WebviewHtmlOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta property="csp-nonce" content="${attr(o.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(o.styleUri)}">
<title>${attr(o.title)}</title>
</head>
<body>
<div id="root" data-testid="report-root"></div>
<script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>
`;
}
