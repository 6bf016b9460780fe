/**
 * The figure export dialog (issue 15): what (this chart | the multi-panel figure), format, style
 * (print | as shown), size in mm or px, DPI, title and caption. A modal <dialog> of plain form
 * elements (no report data through innerHTML). Its choices are handed back on every change, so the
 * panel remembers them (webview state); Export calls `onExport` and shows its error, if any, inside.
 *
 * Stable hooks for e2e tests: data-testid figure-dialog, figure-what, figure-format, figure-style,
 * figure-unit, figure-width, figure-height, figure-dpi, figure-title, figure-caption,
 * figure-size-note, figure-error, figure-export, figure-cancel.
 */
import type { FigureOptions } from '../../src/shared/protocol';
import { el } from '../pageKit';
import { convertUnit, DEFAULT_FIGURE_OPTIONS, DEFAULT_MULTI_PANEL_MM, describeSize, figureOptionErrors } from './options';

export interface FigureDialogContext {
  /** The chart whose Export… button opened the dialog (title shown), or null from the figure button. */
  chartTitle: string | null;
  /** Panels the report lacks for the multi-panel figure (said in the dialog). */
  multiPanelMissing: string[];
  multiPanelAvailable: boolean;
  options: FigureOptions;
  onChange(o: FigureOptions): void;
  /** Draws and sends the figure; a thrown error is shown in the dialog, which then stays open. */
  onExport(o: FigureOptions): Promise<void>;
}

function field(label: string, control: HTMLElement): HTMLElement {
  const wrap = el('label', { class: 'sl-fig-field' });
  wrap.append(el('span', { class: 'sl-fig-label' }, label), control);
  return wrap;
}

function select<T extends string>(testId: string, choices: [T, string][], value: T, disabled: T[] = []): HTMLSelectElement {
  const s = el('select', { 'data-testid': testId });
  for (const [v, text] of choices) {
    const o = el('option', { value: v }, text);
    if (disabled.includes(v)) o.disabled = true;
    s.append(o);
  }
  s.value = value;
  return s;
}

function numberInput(testId: string, value: number, step: string): HTMLInputElement {
  const i = el('input', { type: 'number', 'data-testid': testId, step, inputmode: 'decimal' });
  i.value = String(value);
  return i;
}

/** Opens the dialog inside `host` (the report root); it removes itself when closed. */
export function openFigureDialog(host: HTMLElement, ctx: FigureDialogContext): HTMLDialogElement {
  let o: FigureOptions = { ...ctx.options };
  if (!ctx.chartTitle) o.figure = 'multi-panel';
  if (o.figure === 'multi-panel' && !ctx.multiPanelAvailable) o.figure = 'chart';
  const dialog = el('dialog', { class: 'sl-fig-dialog', 'data-testid': 'figure-dialog', 'aria-labelledby': 'sl-fig-h' });
  const form = el('form', { method: 'dialog', class: 'sl-fig-form' });
  form.append(el('h2', { id: 'sl-fig-h' }, 'Export figure'));

  const whatChoices: ['chart' | 'multi-panel', string][] = [];
  if (ctx.chartTitle) whatChoices.push(['chart', `This chart: ${ctx.chartTitle}`]);
  whatChoices.push(['multi-panel', 'Multi-panel figure: A PSI by layer, B r by layer, C accuracy vs PSI']);
  const what = select('figure-what', whatChoices, o.figure, ctx.multiPanelAvailable ? [] : ['multi-panel']);
  const format = select('figure-format', [['png', 'PNG'], ['svg', 'SVG']], o.format);
  const style = select('figure-style', [['print', 'Print (white, black text, greyscale-safe)'], ['shown', 'As shown (the panel\'s theme)']], o.style);
  const unit = select('figure-unit', [['mm', 'mm'], ['px', 'px']], o.unit);
  const width = numberInput('figure-width', o.width, '1');
  const height = numberInput('figure-height', o.height, '1');
  const dpi = numberInput('figure-dpi', o.dpi, '1');
  const title = el('input', { type: 'text', 'data-testid': 'figure-title', placeholder: 'none' });
  title.value = o.title;
  const caption = el('textarea', { 'data-testid': 'figure-caption', rows: '3', placeholder: 'none' });
  caption.value = o.caption;
  const sizeNote = el('p', { class: 'sl-note', 'data-testid': 'figure-size-note' });
  const missing = el('p', { class: 'sl-note', 'data-testid': 'figure-missing' });
  const error = el('p', { class: 'sl-error', 'data-testid': 'figure-error', role: 'alert' });
  const exportBtn = el('button', { type: 'button', class: 'sl-fig-primary', 'data-testid': 'figure-export' }, 'Export');
  const cancelBtn = el('button', { type: 'button', 'data-testid': 'figure-cancel' }, 'Cancel');
  const dpiField = field('DPI (PNG)', dpi);

  const read = (): FigureOptions => ({
    figure: what.value === 'multi-panel' ? 'multi-panel' : 'chart',
    format: format.value === 'svg' ? 'svg' : 'png',
    style: style.value === 'shown' ? 'shown' : 'print',
    unit: unit.value === 'px' ? 'px' : 'mm',
    width: Number(width.value),
    height: Number(height.value),
    dpi: Number(dpi.value),
    title: title.value,
    caption: caption.value,
  });
  const refresh = (): void => {
    const errors = figureOptionErrors(o);
    sizeNote.textContent = errors.length ? '' : describeSize(o);
    error.textContent = errors.join(' ');
    exportBtn.toggleAttribute('disabled', errors.length > 0);
    dpiField.hidden = o.format !== 'png';
    missing.textContent = o.figure === 'multi-panel' && ctx.multiPanelMissing.length ? `Left out (not in this report): ${ctx.multiPanelMissing.join('; ')}.` : '';
  };
  const changed = (): void => {
    const prev = o;
    o = read();
    if (o.unit !== prev.unit) {
      o.width = convertUnit(prev.width, prev.unit, o.unit);
      o.height = convertUnit(prev.height, prev.unit, o.unit);
      width.value = String(o.width);
      height.value = String(o.height);
    }
    // Switching between one chart and the multi-panel figure: its default size, unless the size was chosen.
    if (o.figure !== prev.figure && o.unit === 'mm') {
      const from = prev.figure === 'multi-panel' ? DEFAULT_MULTI_PANEL_MM : DEFAULT_FIGURE_OPTIONS;
      const to = o.figure === 'multi-panel' ? DEFAULT_MULTI_PANEL_MM : DEFAULT_FIGURE_OPTIONS;
      if (o.width === from.width && o.height === from.height) {
        o.width = to.width;
        o.height = to.height;
        width.value = String(o.width);
        height.value = String(o.height);
      }
    }
    ctx.onChange(o);
    refresh();
  };
  for (const c of [what, format, style, unit, width, height, dpi, title, caption]) {
    c.addEventListener('input', changed);
    c.addEventListener('change', changed);
  }
  const close = (): void => {
    dialog.close();
    dialog.remove();
  };
  cancelBtn.addEventListener('click', close);
  dialog.addEventListener('cancel', () => dialog.remove());
  exportBtn.addEventListener('click', () => {
    o = read();
    const errors = figureOptionErrors(o);
    if (errors.length) {
      error.textContent = errors.join(' ');
      return;
    }
    exportBtn.setAttribute('disabled', '');
    exportBtn.textContent = 'Drawing…';
    error.textContent = '';
    ctx.onExport(o).then(close, (e: unknown) => {
      error.textContent = `Export failed: ${(e as Error).message}`;
      exportBtn.removeAttribute('disabled');
      exportBtn.textContent = 'Export';
    });
  });

  const size = el('div', { class: 'sl-fig-row' });
  size.append(field('Width', width), field('Height', height), field('Unit', unit), dpiField);
  const top = el('div', { class: 'sl-fig-row' });
  top.append(field('Format', format), field('Style', style));
  const buttons = el('div', { class: 'sl-fig-buttons' });
  buttons.append(cancelBtn, exportBtn);
  form.append(field('Figure', what), missing, top, size, sizeNote, field('Title', title), field('Caption', caption), error, buttons);
  dialog.append(form);
  host.append(dialog);
  dialog.showModal();
  refresh();
  return dialog;
}
