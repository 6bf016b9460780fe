/** The panel's HTML and Content-Security-Policy (src/extension/webviewHtml.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildWebviewHtml, contentSecurityPolicy, makeNonce } from '../../src/extension/webviewHtml';

describe('webview HTML', () => {
  it('has a strict CSP: nonce scripts, no inline styles or eval, local resources only', () => {
    const nonce = makeNonce();
    assert.match(nonce, /^[A-Za-z0-9]{20,}$/);
    assert.notEqual(nonce, makeNonce());
    const src = 'https://file+.vscode-resource.vscode-cdn.net';
    const csp = contentSecurityPolicy(src, nonce);
    assert.equal(
      csp,
      `default-src 'none'; img-src ${src} data:; style-src ${src} 'nonce-${nonce}'; font-src ${src}; script-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'`,
    );
    const html = buildWebviewHtml({ cspSource: src, nonce, scriptUri: `${src}/dist/webview.js`, styleUri: `${src}/media/report.css`, title: 'Sparsity: "x"' });
    assert.ok(html.includes(`<script nonce="${nonce}" src="${src}/dist/webview.js"></script>`));
    assert.ok(html.includes(`<meta property="csp-nonce" content="${nonce}">`));
    assert.ok(html.includes('<title>Sparsity: &quot;x&quot;</title>'));
    assert.ok(html.includes('data-testid="report-root"'));
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.ok(!/unsafe-/.test(html));
  });
});
