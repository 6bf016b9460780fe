/** The standalone report.html (src/core/report/html.ts). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { escapeHtml, jsonForScript, renderStandaloneHtml, scriptForHtml } from '../../../src/core/report/html';
import type { SparsityReport } from '../../../src/core/report/schema';
import { UserError } from '../../../src/core/types';
import { tempDir } from '../../helpers/tempDir';

const report: SparsityReport = JSON.parse(fs.readFileSync(path.join(__dirname, '../../fixtures/report/sample.sparsity.json'), 'utf8'));

function assets(js: string, css = '.x{color:red}'): string {
  const dir = tempDir('sl-html-');
  fs.writeFileSync(path.join(dir, 'reportStandalone.js'), js);
  fs.writeFileSync(path.join(dir, 'report.css'), css);
  return dir;
}
const sha = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

describe('renderStandaloneHtml', () => {
  it('inlines renderer, stylesheet and report; the CSP allows exactly those by hash', async () => {
    const js = 'window.__rendered = 1; const s = "</script><b>";';
    const html = await renderStandaloneHtml(report, assets(js));
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    assert.equal(scripts.length, 1, 'one executable inline script, and </script in it escaped');
    assert.equal(scripts[0], scriptForHtml(js));
    assert.ok(scripts[0].includes('<\\/script><b>'));
    const style = html.match(/<style>([\s\S]*?)<\/style>/)![1];
    assert.ok(style.includes('.x{color:red}') && style.includes('--vscode-editor-background'));
    const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)![1].replace(/&#39;/g, "'");
    assert.ok(csp.includes("default-src 'none'"));
    assert.ok(csp.includes(`script-src ${sha(scripts[0])}`), csp);
    assert.ok(csp.includes(`style-src ${sha(style)} ${sha('')}`), csp);
    assert.ok(!/unsafe-(inline|eval)/.test(csp));
    assert.ok(!/https?:/.test(html.replace(/https?:\/\/vega\.github\.io\/schema[^"]*/g, '')), 'no remote URLs');
  });

  it('embeds the report JSON safely: category names cannot break out of the data block', async () => {
    const evil: SparsityReport = { ...report, categories: [...report.categories, { name: '</script><script>alert(1)</script>\u2028', images: 1 }] };
    const html = await renderStandaloneHtml(evil, assets('1'));
    const data = html.match(/<script type="application\/json" id="sparsity-report">([\s\S]*?)<\/script>/)![1];
    assert.ok(!data.includes('<') && !data.includes('>'));
    assert.deepEqual(JSON.parse(data), evil);
    assert.equal((html.match(/<script/g) ?? []).length, 2);
    assert.ok(html.includes('<title>Sparsity report: alexnet-mini.onnx on fish</title>'));
  });

  it('says how to build the renderer when it is missing', async () => {
    const empty = tempDir('sl-html-');
    await assert.rejects(renderStandaloneHtml(report, empty), (e: unknown) => e instanceof UserError && /npm run build/.test((e as Error).message));
  });

  it('escapes helpers', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.equal(jsonForScript({ a: '</script>&' }), '{"a":"\\u003c/script\\u003e\\u0026"}');
  });
});
