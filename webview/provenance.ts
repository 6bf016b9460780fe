/**
 * The provenance section of the report (issue 15): which model file (path, sha256, weights),
 * which images, the settings in effect (preprocessing, input size, mean/std, seed, images per
 * category, controls, …), when, and on which engine and backend. Everything is read from the
 * report as saved; a field the report does not have (older reports, schema 1) says
 * "not recorded", never a default that might not have been the run's.
 *
 * provenanceGroups / provenanceText / provenanceJson are pure (unit-tested in node);
 * renderProvenance builds the DOM section (panel and standalone page), with "Copy as text",
 * "Copy as JSON" and, in the panel, "Run again".
 */
import { fmt, formatCount } from '../src/core/report/format';
import type { SparsityReport } from '../src/core/report/schema';

export const NOT_RECORDED = 'not recorded';

export interface ProvenanceField {
  /** Stable id (data-testid `prov-<id>`, the JSON key). */
  id: string;
  label: string;
  /** Display text; NOT_RECORDED when the report lacks it. */
  text: string;
  /** The value as recorded (JSON copy), undefined when not recorded. */
  value: unknown;
}

export interface ProvenanceGroup {
  id: 'model' | 'dataset' | 'settings' | 'run';
  title: string;
  fields: ProvenanceField[];
}

type Loose = Record<string, unknown> | undefined;

function rec(x: unknown): Loose {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined;
}

function field(id: string, label: string, value: unknown, show: (v: never) => string = (v) => String(v)): ProvenanceField {
  const missing = value === undefined || value === null || (typeof value === 'string' && value === '');
  return { id, label, text: missing ? NOT_RECORDED : show(value as never), value: missing ? undefined : value };
}

const list = (v: unknown[]): string => (v.length ? v.join(', ') : '(none)');
const triple = (v: number[]): string => `[${v.map((x) => String(x)).join(', ')}]`;

/** The weights as the report records them (torchvision exports), else undefined. */
function weightsText(w: unknown): string | undefined {
  const o = rec(w);
  if (!o) return undefined;
  if (o.kind === 'pretrained') return `pretrained ${String(o.name)}${typeof o.enum === 'string' ? ` (${o.enum})` : ''}`;
  if (o.kind === 'random') return `random initialisation, seed ${String(o.seed)}`;
  return undefined;
}

export function provenanceGroups(report: SparsityReport): ProvenanceGroup[] {
  // Read loosely: an old or hand-written report may lack any of these.
  const r = report as unknown as Record<string, unknown>;
  const model = rec(r.model);
  const ds = rec(r.dataset);
  const s = rec(r.settings);
  const pre = rec(s?.preprocessing);
  const controls = rec(s?.controls);
  const engine = rec(r.engine);
  const timings = rec(r.timings);
  const tool = rec(r.tool);
  const decoder = rec(rec(r.accuracy)?.decoder);
  const size = rec(model?.inputSize);
  const weights = model?.weights === undefined ? undefined : weightsText(model.weights);
  return [
    {
      id: 'model',
      title: 'Model',
      fields: [
        field('model-path', 'Path', model?.path),
        field('model-sha256', 'sha256', model?.sha256),
        field('model-format', 'Format', model?.format),
        field('model-source', 'Source', model?.source),
        field('model-weights', 'Weights', weights),
        field('model-input', 'Input size', size ? `${String(size.width)} x ${String(size.height)}` : undefined),
      ],
    },
    {
      id: 'dataset',
      title: 'Dataset',
      fields: [
        field('dataset-path', 'Folder', ds?.path),
        field('dataset-categories', 'Categories used', typeof ds?.categoriesUsed === 'number' ? `${formatCount(ds.categoriesUsed)} of ${formatCount(Number(ds.categoriesFound))} found` : undefined),
        field('dataset-images', 'Images used', typeof ds?.imagesUsed === 'number' ? `${formatCount(ds.imagesUsed)} of ${formatCount(Number(ds.imagesFound))} found` : undefined),
      ],
    },
    {
      id: 'settings',
      title: 'Settings in effect',
      fields: [
        field('preset', 'Preset', s?.preset),
        field('images-per-category', 'Images per category', s?.imagesPerCategory),
        field('sampling', 'Sampling', s?.sampling),
        field('seed', 'Seed', s?.seed),
        field('decoding', 'Decoding', s?.decoding),
        field('pre-size', 'Preprocessing size', pre && pre.width !== undefined ? `${String(pre.width)} x ${String(pre.height)}` : undefined),
        field('pre-resize', 'Resize', pre?.resize === 'shorter-crop' ? `shorter side to ${String(pre.shorterSide)}, centre crop` : pre?.resize),
        field('pre-scale', 'Pixel scale', pre?.scale, (v: number) => (Math.abs(v - 1 / 255) < 1e-12 ? '1/255' : fmt(v, 6))),
        field('pre-mean', 'Mean (RGB)', Array.isArray(pre?.mean) ? pre.mean : undefined, triple),
        field('pre-std', 'Std (RGB)', Array.isArray(pre?.std) ? pre.std : undefined, triple),
        field('pre-channels', 'Channel order', pre?.channelOrder),
        field('layers', 'Layers', Array.isArray(s?.layers) ? s.layers : undefined, list),
        field('taps', 'Default layers', s?.taps),
        field('unit', 'Unit', s?.unit),
        field('tokens', 'Token unit', s?.tokens),
        field('batch-size', 'Batch size', s?.batchSize),
        field('accuracy', 'Accuracy', s?.accuracy),
        field('decoder-layer', 'Decoder layer', s?.decoderLayer),
        field('folds', 'Folds', s?.folds),
        field('correlation', 'Correlation', s?.correlation),
        field('controls-permutations', 'Permuted controls', controls?.permutations),
        field('controls-target', 'Permute', controls?.permuteTarget),
        field('controls-nonlinearity', 'No-nonlinearity control', controls?.noNonlinearity, (v: boolean) => (v ? 'yes' : 'no')),
        field('controls-keep-norms', 'Keep normalisation', controls?.keepNorms, (v: boolean) => (v ? 'yes' : 'no')),
        field('indices', 'Indices', Array.isArray(s?.indices) ? s.indices : undefined, list),
        field('concurrent-passes', 'Concurrent passes', s?.concurrentPasses),
        field('reference-psi', 'Reference PSI', s?.referencePSI),
        field('label-file', 'Label file', s?.labelFile),
        field('shard', 'Shard', s?.shard),
      ],
    },
    {
      id: 'run',
      title: 'Run',
      fields: [
        field('created', 'Report written', r.createdAt),
        field('started', 'Started', timings?.startedAt),
        field('finished', 'Finished', timings?.finishedAt),
        field('engine', 'Engine', engine?.runtime),
        field('backend', 'Backend', engine?.backend),
        field('decoder-backend', 'Decoder backend', decoder ? decoder.backend : undefined),
        field('tool', 'Tool', tool ? `${String(tool.name)} ${String(tool.version)}` : undefined),
        field('schema', 'Report schema', r.schemaVersion),
      ],
    },
  ];
}

/** Fields that are optional by meaning (absent = not used), not "not recorded": left out of the display when absent. */
const OPTIONAL_BY_MEANING = new Set(['model-source', 'decoder-layer', 'label-file', 'shard', 'decoder-backend']);

/** The groups as shown: optional-by-meaning fields only when present. */
export function shownProvenance(report: SparsityReport): ProvenanceGroup[] {
  return provenanceGroups(report).map((g) => ({ ...g, fields: g.fields.filter((f) => f.value !== undefined || !OPTIONAL_BY_MEANING.has(f.id)) }));
}

/** Plain text, one "Label: value" a line under each group's title (for a lab notebook or a methods section). */
export function provenanceText(report: SparsityReport): string {
  const lines: string[] = [];
  for (const g of shownProvenance(report)) {
    lines.push(`${g.title}`);
    for (const f of g.fields) lines.push(`  ${f.label}: ${f.text}`);
  }
  return lines.join('\n') + '\n';
}

/** JSON of the recorded values only (a field not recorded is absent, so nothing is invented). */
export function provenanceJson(report: SparsityReport): string {
  const r = report as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {
    tool: r.tool,
    schemaVersion: r.schemaVersion,
    createdAt: r.createdAt,
    model: r.model,
    engine: r.engine,
    dataset: r.dataset === undefined ? undefined : { ...(rec(r.dataset) ?? {}), droppedCategories: undefined },
    settings: r.settings,
    timings: r.timings === undefined ? undefined : { startedAt: rec(r.timings)?.startedAt, finishedAt: rec(r.timings)?.finishedAt },
  };
  return JSON.stringify(out, null, 2) + '\n';
}

export interface ProvenanceActions {
  /** A button factory (webview/toolkit.ts button). */
  button(label: string, o: { testId: string; title: string; onClick: () => void }): HTMLElement;
  copy(text: string, what: string): void;
  /** "Run again" (panel only; a finished report). */
  runAgain?(): void;
}

/** The collapsible provenance section. */
export function renderProvenance(report: SparsityReport, actions: ProvenanceActions): HTMLElement {
  const section = document.createElement('details');
  section.className = 'sl-provenance';
  section.setAttribute('data-testid', 'provenance');
  const summary = document.createElement('summary');
  summary.textContent = 'Provenance: model, dataset, settings, engine';
  section.append(summary);
  const tools = document.createElement('div');
  tools.className = 'sl-toolbar';
  tools.setAttribute('role', 'toolbar');
  tools.setAttribute('aria-label', 'Provenance');
  tools.append(
    actions.button('Copy as Text', { testId: 'provenance-copy-text', title: 'Copy the provenance as text', onClick: () => actions.copy(provenanceText(report), 'text') }),
    actions.button('Copy as JSON', { testId: 'provenance-copy-json', title: 'Copy the provenance as JSON', onClick: () => actions.copy(provenanceJson(report), 'JSON') }),
  );
  if (actions.runAgain && report.complete) {
    tools.append(actions.button('Run Again', { testId: 'run-again', title: 'Run this dataset again with the settings of this report (not the workspace settings)', onClick: () => actions.runAgain!() }));
  }
  section.append(tools);
  for (const g of shownProvenance(report)) {
    const h = document.createElement('h3');
    h.textContent = g.title;
    const dl = document.createElement('dl');
    dl.className = 'sl-facts';
    dl.setAttribute('data-testid', `provenance-${g.id}`);
    for (const f of g.fields) {
      const item = document.createElement('div');
      item.className = 'sl-fact';
      const dt = document.createElement('dt');
      dt.textContent = f.label;
      const dd = document.createElement('dd');
      dd.textContent = f.text;
      dd.setAttribute('data-testid', `prov-${f.id}`);
      if (f.value === undefined) dd.classList.add('sl-not-recorded');
      item.append(dt, dd);
      dl.append(item);
    }
    section.append(h, dl);
  }
  return section;
}
