/**
 * The bytes of an exported figure file (issue 15), pure Node (no vscode, so it is unit-tested):
 * an SVG as its UTF-8 text; a PNG decoded from the webview's data URL, checked to be a PNG, and
 * re-encoded losslessly by sharp with the chosen DPI in its pHYs chunk, so a word processor or
 * LaTeX places it at its printed size (300 dpi: 85 mm is 1004 pixels).
 */

/** Decodes a validated `data:image/png;base64,` URL (shared/protocol.ts checked its prefix and base64). */
export function pngBytes(dataUrl: string): Buffer {
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length > PNG_SIGNATURE.length && Buffer.from(bytes.subarray(0, 8)).equals(PNG_SIGNATURE);
}

export async function figureFileBytes(format: 'svg' | 'png', data: string, dpi: number): Promise<Buffer> {
  if (format === 'svg') return Buffer.from(data, 'utf8');
  const raw = pngBytes(data);
  if (!isPng(raw)) throw new Error('The figure sent by the panel is not a PNG image (no PNG signature).');
  const { default: sharp } = await import('sharp');
  return sharp(raw).withMetadata({ density: dpi }).png({ compressionLevel: 9 }).toBuffer();
}
