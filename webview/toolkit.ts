/**
 * The only module that touches @vscode/webview-ui-toolkit (deprecated upstream in 2025).
 * Everything else builds UI through these few functions, so replacing the toolkit (plain
 * elements, or another component set) means rewriting this file only.
 *
 * The toolkit's components are FAST web components; in Chromium (VS Code's webview) they
 * style themselves through constructable stylesheets (adoptedStyleSheets), which the
 * strict CSP (no 'unsafe-inline' styles) allows. FAST probes `:focus-visible` support with an
 * empty <style> element carrying the nonce from <meta property="csp-nonce"> (the panel HTML
 * provides it; the standalone page allows the empty style's hash).
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeProgressRing,
} from '@vscode/webview-ui-toolkit';

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodeProgressRing(),
  );
}

export interface ButtonOptions {
  appearance?: 'primary' | 'secondary' | 'icon';
  title?: string;
  testId?: string;
  onClick(): void;
}

export function button(label: string, o: ButtonOptions): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  b.setAttribute('appearance', o.appearance ?? 'secondary');
  if (o.title) {
    b.setAttribute('title', o.title);
    b.setAttribute('aria-label', o.title);
  }
  if (o.testId) b.setAttribute('data-testid', o.testId);
  b.addEventListener('click', () => o.onClick());
  return b;
}

export interface DropdownOptions {
  label: string;
  testId?: string;
  onChange(value: string): void;
}

/** A labelled select. `options` are [value, text] pairs. */
export function dropdown(options: [string, string][], selected: string | undefined, o: DropdownOptions): HTMLElement {
  const wrap = document.createElement('label');
  wrap.className = 'sl-field';
  const span = document.createElement('span');
  span.textContent = o.label;
  wrap.append(span);
  const d = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  if (o.testId) d.setAttribute('data-testid', o.testId);
  d.setAttribute('aria-label', o.label);
  for (const [value, text] of options) {
    const opt = document.createElement('vscode-option') as HTMLElement & { value: string };
    opt.setAttribute('value', value);
    opt.textContent = text;
    if (value === selected) opt.setAttribute('selected', '');
    d.append(opt);
  }
  d.addEventListener('change', () => o.onChange(d.value));
  wrap.append(d);
  return wrap;
}

/** A small count/status pill. Not the toolkit's vscode-badge: its template carries a `style`
 *  attribute, which the strict CSP (no inline styles) rejects. Styled by media/report.css. */
export function badge(text: string, title?: string): HTMLElement {
  const b = document.createElement('span');
  b.className = 'sl-badge';
  b.textContent = text;
  if (title) b.setAttribute('title', title);
  return b;
}

export function spinner(): HTMLElement {
  const p = document.createElement('vscode-progress-ring');
  p.setAttribute('aria-label', 'working');
  return p;
}
