/**
 * The per-category drill-down of the report UI (issue 15): clicking a category (a row of the
 * category table, a point of the accuracy scatter) or Enter on its row opens a dialog with its
 * index-by-layer curve against the median of all categories, its accuracy, a few thumbnails of its
 * images and its skipped files. Escape (or Close) closes it and gives the focus back.
 *
 * Thumbnails come from the host (`listCategoryImages` by category index → `categoryImages` with
 * webview URIs, src/extension/categoryImages.ts); the standalone report.html has no host and says
 * they need VS Code. The numbers are webview/charts/categoryDetail.ts (pure).
 */
import type { Result } from 'vega-embed';
import { formatCount, formatPercent } from '../src/core/report/format';
import type { SparsityReport } from '../src/core/report/schema';
import type { CategoryImagesMessage } from '../src/shared/protocol';
import { categoryDetail, categoryDetailSpec, type CategoryDetail } from './charts/categoryDetail';
import { embedChart, el } from './pageKit';
import { vegaConfig, type ChartTheme } from './theme';

export interface DrilldownHost {
  /** Asks the host for thumbnails of category `index` (absent in the standalone page). */
  listCategoryImages?(index: number): void;
  revealSkipped?(index: number): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export class CategoryDrilldown {
  readonly dialog: HTMLDialogElement;
  private current: { index: number; name: string } | null = null;
  private opener: HTMLElement | null = null;
  private view: Result | null = null;
  /** The host's answer for the open category (kept across report updates of a live run). */
  private images: CategoryImagesMessage | null = null;
  private thumbsEl: HTMLElement | null = null;

  constructor(
    parent: HTMLElement,
    private readonly host: DrilldownHost,
  ) {
    this.dialog = el('dialog', { class: 'sl-drilldown', 'data-testid': 'drilldown', 'aria-labelledby': 'sl-drilldown-title' });
    // Escape closes a modal <dialog> by itself ('cancel', then 'close'); Close and a click on the backdrop too.
    this.dialog.addEventListener('close', () => this.onClosed());
    this.dialog.addEventListener('click', (e) => {
      if (e.target === this.dialog) this.close();
    });
    parent.append(this.dialog);
  }

  get openCategory(): string | null {
    return this.current?.name ?? null;
  }

  /** Opens (or switches) the detail of category `index` of `report` (the index selector's view). */
  open(report: SparsityReport, index: number, theme: ChartTheme, opener: HTMLElement | null = null): void {
    const d = categoryDetail(report, index);
    if (!d) return;
    const same = this.current?.name === d.name && this.dialog.open;
    this.current = { index, name: d.name };
    if (!same) {
      this.opener = opener;
      this.images = null;
    }
    this.draw(d, theme);
    if (!this.dialog.open) this.dialog.showModal();
    if (!same) this.host.listCategoryImages?.(index);
  }

  /** A new report (partial → complete, index switched): redraws the open category, or closes when it is gone. */
  refresh(report: SparsityReport, theme: ChartTheme): void {
    if (!this.current || !this.dialog.open) return;
    const index = report.categories.findIndex((c) => c.name === this.current!.name);
    if (index < 0) {
      this.close();
      return;
    }
    const moved = index !== this.current.index;
    this.current.index = index;
    this.draw(categoryDetail(report, index)!, theme);
    if (moved) {
      this.images = null;
      this.host.listCategoryImages?.(index);
    }
  }

  /** The host's thumbnails; ignored unless they are of the open category. */
  receiveImages(m: CategoryImagesMessage): void {
    if (!this.current || m.category !== this.current.index || m.name !== this.current.name) return;
    this.images = m;
    this.drawThumbnails();
  }

  close(): void {
    if (this.dialog.open) this.dialog.close();
    else this.onClosed();
  }

  private onClosed(): void {
    this.view?.finalize();
    this.view = null;
    this.current = null;
    this.images = null;
    this.thumbsEl = null;
    const back = this.opener;
    this.opener = null;
    if (back?.isConnected) back.focus();
  }

  private draw(d: CategoryDetail, theme: ChartTheme): void {
    const box = this.dialog;
    box.dataset.category = d.name;
    const head = el('div', { class: 'sl-drilldown-head' });
    head.append(el('h2', { id: 'sl-drilldown-title' }, `Category ${d.name}${d.className && d.className !== d.name ? ` (${d.className})` : ''}`));
    const closeButton = el('button', { type: 'button', class: 'sl-drilldown-close', 'data-testid': 'drilldown-close', 'aria-label': 'Close', title: 'Close (Escape)' }, '×');
    closeButton.addEventListener('click', () => this.close());
    head.append(closeButton);

    const facts = el('dl', { class: 'sl-facts' });
    const fact = (label: string, value: string, testId: string): void => {
      const item = el('div', { class: 'sl-fact' });
      item.append(el('dt', {}, label), el('dd', { 'data-testid': testId }, value));
      facts.append(item);
    };
    fact('Images used', formatCount(d.images), 'drilldown-images');
    if (d.accuracy) {
      const a = d.accuracy;
      const own = a.value === null ? 'not computable' : formatPercent(a.value);
      fact('Accuracy', `${own} (${a.method === 'model' ? 'model' : 'decoder'}; all categories ${formatPercent(a.overall)})`, 'drilldown-accuracy');
      if (a.top1 !== undefined && a.method !== 'model') fact('Model top-1 / top-5', `${formatPercent(a.top1)} / ${formatPercent(a.top5)}`, 'drilldown-top');
      else if (a.top5 !== undefined) fact('Model top-5', formatPercent(a.top5), 'drilldown-top');
    } else fact('Accuracy', 'not measured in this run', 'drilldown-accuracy');

    const chart = el('div', { class: 'sl-drilldown-chart', 'data-testid': 'drilldown-chart' });
    const chartPart = el('section', { 'aria-label': `${d.indexLabel} by layer` });
    chartPart.append(el('h3', {}, `${d.indexLabel} by layer, against the median of all categories`));
    if (d.perUnit) chartPart.append(el('p', { class: 'sl-note' }, `${d.indexLabel} has one value per unit, not per category: choose a per-category index (PSI) to see this category's curve.`));
    else chartPart.append(el('p', { class: 'sl-note' }, 'Dashed: median of the categories, band: their quartiles.'), chart);

    const thumbs = el('section', { class: 'sl-drilldown-thumbs', 'data-testid': 'drilldown-thumbnails', 'aria-label': 'Images' });
    this.thumbsEl = thumbs;

    const skipPart = el('section', { 'aria-label': 'Skipped files' });
    skipPart.append(el('h3', {}, `Skipped files of this category (${d.skipped.length})`));
    const list = el('ul', { class: 'sl-skipped', 'data-testid': 'drilldown-skipped', 'data-count': String(d.skipped.length) });
    if (d.skipped.length === 0) list.append(el('li', { class: 'sl-muted' }, 'None: every image of this category was read.'));
    for (const s of d.skipped) {
      const li = el('li');
      if (this.host.revealSkipped) {
        const b = el('button', { type: 'button', class: 'sl-link', title: 'Reveal in the Explorer' }, s.file);
        b.addEventListener('click', () => this.host.revealSkipped!(s.index));
        li.append(b);
      } else li.append(el('code', {}, s.file));
      li.append(el('span', { class: 'sl-muted' }, ` — ${s.reason}`));
      list.append(li);
    }
    skipPart.append(list);

    box.replaceChildren(head, facts, chartPart, thumbs, skipPart);
    this.drawThumbnails();
    if (!d.perUnit) void this.drawChart(d, theme, chart);
  }

  private async drawChart(d: CategoryDetail, theme: ChartTheme, target: HTMLElement): Promise<void> {
    const name = d.name;
    try {
      const inner = el('div', { class: 'sl-chart-inner' });
      target.append(inner);
      const result = await embedChart(inner, categoryDetailSpec(d, theme), vegaConfig(theme), `category-${name}`);
      if (!target.isConnected || this.current?.name !== name) {
        result.finalize();
        return;
      }
      this.view?.finalize();
      this.view = result;
      target.dataset.rendered = 'true';
    } catch (e) {
      target.replaceChildren(el('p', { class: 'sl-error' }, `Could not draw this chart: ${(e as Error).message}`));
      this.host.log('error', `category chart ${name}: ${(e as Error).stack ?? String(e)}`);
    }
  }

  private drawThumbnails(): void {
    const box = this.thumbsEl;
    if (!box) return;
    box.replaceChildren(el('h3', {}, 'Images'));
    if (!this.host.listCategoryImages) {
      box.dataset.state = 'no-host';
      box.append(el('p', { class: 'sl-note', 'data-testid': 'drilldown-thumbnails-message' }, 'Thumbnails need VS Code: open report.sparsity.json with Sparsity Lens to see this category’s images.'));
      return;
    }
    const m = this.images;
    if (!m) {
      box.dataset.state = 'loading';
      box.append(el('p', { class: 'sl-muted' }, 'Listing images…'));
      return;
    }
    if (m.error) {
      box.dataset.state = 'error';
      box.append(el('p', { class: 'sl-note', 'data-testid': 'drilldown-thumbnails-message' }, m.error));
      return;
    }
    box.dataset.state = 'shown';
    const grid = el('ul', { class: 'sl-thumbs' });
    for (const img of m.images) {
      const li = el('li');
      const image = el('img', { src: img.uri, alt: img.file, title: img.file, loading: 'lazy', decoding: 'async', class: 'sl-thumb', 'data-testid': 'drilldown-thumbnail' });
      // A file that does not load (changed since the listing, unreadable) says so instead of a broken image.
      image.addEventListener('error', () => {
        image.replaceWith(el('span', { class: 'sl-thumb sl-thumb-failed', title: img.file }, `${img.file}: cannot be shown`));
      });
      li.append(image);
      grid.append(li);
    }
    box.append(grid);
    const notes: string[] = [];
    if (m.images.length === 0) notes.push('No image of this folder can be previewed here.');
    if (m.more > 0) notes.push(`${formatCount(m.more)} more image file${m.more === 1 ? '' : 's'} in the folder not shown.`);
    if (m.note) notes.push(m.note);
    if (notes.length) box.append(el('p', { class: 'sl-note', 'data-testid': 'drilldown-thumbnails-message' }, notes.join(' ')));
  }
}
