/**
 * What the host writes for an exported figure (src/extension/figureFile.ts, issue 15): a real
 * print-style multi-panel figure drawn headless (webview/figure/), sent as the webview sends it
 * (SVG text, or a PNG data URL), and the bytes the host would save: PNG signature, the chosen
 * DPI in the file, a white corner pixel; the SVG with its white background rect.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { SparsityReport } from '../../src/core/report/schema';
import { figureFileBytes, isPng } from '../../src/extension/figureFile';
import { writeFileAtomic } from '../../src/core/fsAtomic';
import { validateWebviewMessage } from '../../src/shared/protocol';
import { renderFigure } from '../../webview/figure/export';
import { DEFAULT_FIGURE_OPTIONS } from '../../webview/figure/options';
import { ESTIMATED_TEXT_WIDTH } from '../../webview/figure/spec';
import { DARK_THEME } from '../../webview/theme';
import { nodeVegaKit } from '../webview/figureKit';

const report: SparsityReport = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/report/sample.sparsity.json'), 'utf8'));
let svg = '';

before(async () => {
  const kit = await nodeVegaKit();
  // Print style from a panel in the DARK theme: the figure must not take the theme's background.
  svg = await renderFigure({
    options: { ...DEFAULT_FIGURE_OPTIONS, figure: 'multi-panel', format: 'svg', unit: 'px', width: 1100, height: 900, title: 'Figure 1', caption: 'Caption.' },
    report,
    shownTheme: DARK_THEME,
    chartState: { persisted: {}, memory: new Map() },
    kit,
    measure: ESTIMATED_TEXT_WIDTH,
  });
});

describe('figure file bytes (host)', () => {
  it('an SVG is written as sent: the document with its white background rect', async () => {
    const bytes = await figureFileBytes('svg', svg, 300);
    const text = bytes.toString('utf8');
    assert.equal(text, svg);
    assert.match(text.slice(0, 400), /^<svg[^>]*width="1100"[^>]*height="900"/);
    assert.match(text, /<rect[^>]*class="background"[^>]*style="fill: #ffffff;?"|<rect[^>]*fill="#ffffff"/);
  });

  it('a PNG keeps its pixels, gets the chosen DPI in its pHYs chunk (150 dpi), and has a white corner', async () => {
    // The webview draws the PNG with vega's canvas at scale dpi / 96; here sharp rasterises the same
    // figure at that scale (librsvg counts 72 SVG units per inch, so density = dpi * 72 / 96).
    const dpi = 150;
    const png = await sharp(Buffer.from(svg), { density: (dpi * 72) / 96 }).flatten({ background: '#ff00ff' }).png().toBuffer();
    const dataUrl = `data:image/png;base64,${png.toString('base64')}`;
    const msg = validateWebviewMessage({ type: 'exportFigure', figure: 'multi-panel', format: 'png', dpi, data: dataUrl });
    assert.ok(msg.ok, msg.ok ? '' : msg.error);
    const bytes = await figureFileBytes('png', dataUrl, dpi);
    assert.ok(isPng(bytes), 'PNG signature');
    const meta = await sharp(bytes).metadata();
    assert.equal(meta.density, dpi);
    assert.equal(meta.width, Math.round((1100 * dpi) / 96));
    assert.equal(meta.height, Math.round((900 * dpi) / 96));
    // A pixel just inside the corner (librsvg anti-aliases the outermost edge at a fractional scale).
    const { data, info } = await sharp(bytes).extract({ left: 3, top: 3, width: 1, height: 1 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 3);
    assert.deepEqual([...data], [255, 255, 255], 'the corner is white (the background was drawn; magenta would show a transparent one)');
    // written atomically where the save dialog pointed
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-fig-'));
    try {
      const file = path.join(dir, 'figure.png');
      writeFileAtomic(file, bytes);
      assert.deepEqual(fs.readFileSync(file), bytes);
      assert.deepEqual(fs.readdirSync(dir), ['figure.png'], 'no temporary file left');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses PNG data that is not a PNG, saying so', async () => {
    const notPng = `data:image/png;base64,${Buffer.from('GIF89a-not-a-png').toString('base64')}`;
    await assert.rejects(figureFileBytes('png', notPng, 300), /not a PNG image/);
  });
});

describe('exportFigure message validation', () => {
  const svgDoc = '<svg xmlns="http://www.w3.org/2000/svg"></svg>';
  it('accepts a chart or the multi-panel figure with a dpi in range', () => {
    for (const figure of ['multi-panel', 'psi-by-layer', 'accuracy-scatter']) {
      const v = validateWebviewMessage({ type: 'exportFigure', figure, format: 'svg', dpi: 300, data: svgDoc });
      assert.ok(v.ok && v.message.type === 'exportFigure' && v.message.figure === figure);
    }
  });
  it('rejects unknown figures, bad dpi, extra fields, non-images and oversized data', () => {
    const bad = (m: Record<string, unknown>, re: RegExp): void => {
      const v = validateWebviewMessage({ type: 'exportFigure', figure: 'multi-panel', format: 'svg', dpi: 300, data: svgDoc, ...m });
      assert.ok(!v.ok, JSON.stringify(m).slice(0, 80));
      assert.match(v.error, re);
    };
    bad({ figure: 'everything' }, /unknown figure/);
    bad({ dpi: 0 }, /dpi must be an integer from 50 to 1200/);
    bad({ dpi: 300.5 }, /dpi/);
    bad({ dpi: '300' }, /dpi/);
    bad({ format: 'pdf' }, /format/);
    bad({ path: '/etc/passwd' }, /unexpected field "path"/);
    bad({ data: '<script>alert(1)</script>' }, /not an SVG/);
    bad({ format: 'png', data: 'data:image/png;base64,@@' }, /base64/);
    bad({ data: `<svg>${'x'.repeat(21 * 1024 * 1024)}` }, /too large/);
  });
});
