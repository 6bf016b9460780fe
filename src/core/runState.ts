/**
 * Everything a run accumulates, small enough to checkpoint (categories x units per layer per
 * pass) and exactly mergeable across category shards: per-category sums (float64) and counts,
 * model-accuracy hit counts, and the decoder layer's per-image features (the only per-image
 * data kept, appended to a file as they come).
 *
 * On-disk layout inside a run folder (`state/`): `state.json` (written last, atomically, it names
 * every binary and its length) + `<pass>.<tap>.f64` + `features.f32` + `featureLabels.i32` (the
 * two feature files are appended to, not rewritten, by later checkpoints).
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from './fsAtomic';
import type { AnalysisSettings, ModelWeights, PassKind, SkippedFile } from './report/schema';
import type { ControlChanges, LayerKind, ModelFormat } from './types';
import type { ClassLabel } from './labels';
import { UserError } from './types';

export const STATE_VERSION = 1;

export interface PassSpec {
  id: string;
  kind: PassKind;
  label: string;
  seed?: number;
}

export interface TapSpec {
  name: string;
  kind: LayerKind;
  units: number;
}

export interface CategoryState {
  name: string;
  files: string[];
  label?: ClassLabel;
  /** Images decoded and run through every pass. */
  images: number;
  /** Model accuracy hit counts (trained pass), when labels map. */
  top1: number;
  top5: number;
}

export interface RunMeta {
  datasetPath: string;
  categoriesFound: number;
  imagesFound: number;
  droppedCategories: { name: string; reason: string }[];
  modelPath: string;
  modelSha256: string;
  modelFormat: ModelFormat;
  modelSource?: string;
  /** From the model's sidecar: pretrained (which) or random (seed). */
  modelWeights?: ModelWeights;
  runtime: string;
  backend: string;
  inputSize: { width: number; height: number };
  settings: AnalysisSettings;
  startedAt: string;
  /** True when every category maps to a model output class, so top-1/top-5 are counted. */
  modelAccuracy: boolean;
  /** Passes held in memory and run together on each decoded batch (see analyze.ts passGroups). */
  passGroupSize: number;
  /** About the images used (files replaced by the next readable, short categories; selectImages.ts), for the report's warnings. */
  dataWarnings?: string[];
  /** Pass id -> what that control changed in the model (issue 10), recorded when its session is made. */
  controlChanges?: Record<string, ControlChanges>;
}

export class RunState {
  /** pass index → tap index → Float64Array [categories x units] of summed responses. */
  readonly sums: Float64Array[][];
  /**
   * pass index → tap index → Float64Array [categories]: per category, the number of units with a
   * response > 0 summed over its images (the `active` index, issue 11). Whole numbers, so sums
   * are exact in any order (checkpoint, resume, shard merge); undefined for a state saved before
   * this existed (its earlier images were not counted: no `active` rather than a wrong one).
   */
  active: Float64Array[][] | undefined;
  /** Group of passes being run (analyze.ts passGroups); earlier groups are complete. */
  passGroup = 0;
  /** Position in the flattened (category-major) image list within the current pass group: everything before it is done. */
  nextImage = 0;
  skipped: SkippedFile[] = [];
  /** Decoder-layer features, row-major; only kept in memory for the decoder stage. */
  features: Float32Array;
  featureLabels: Int32Array;
  featureRows = 0;
  decodeSeconds = 0;
  inferenceSeconds = 0;
  /** Wall seconds spent before the latest resume. */
  elapsedBefore = 0;
  /** performance.now() when this process started the run (not saved): the duration "so far" of partial reports. */
  sessionStart: number | undefined;

  constructor(
    readonly meta: RunMeta,
    readonly categories: CategoryState[],
    readonly passes: PassSpec[],
    readonly taps: TapSpec[],
    /** Tap index whose per-image features feed the decoder, or -1. */
    readonly decoderTap: number,
  ) {
    this.sums = passes.map(() => taps.map((t) => new Float64Array(categories.length * t.units)));
    this.active = passes.map(() => taps.map(() => new Float64Array(categories.length)));
    const units = decoderTap >= 0 ? taps[decoderTap].units : 0;
    this.features = new Float32Array(units * 64);
    this.featureLabels = new Int32Array(64);
  }

  get totalImages(): number {
    return this.categories.reduce((s, c) => s + c.files.length, 0);
  }

  decoderUnits(): number {
    return this.decoderTap >= 0 ? this.taps[this.decoderTap].units : 0;
  }

  /** Appends rows of decoder features (grows geometrically). */
  addFeatures(rows: Float32Array, labels: ArrayLike<number>): void {
    const units = this.decoderUnits();
    const n = labels.length;
    if (this.featureRows + n > this.featureLabels.length) {
      let cap = this.featureLabels.length;
      while (cap < this.featureRows + n) cap *= 2;
      const f = new Float32Array(cap * units);
      f.set(this.features.subarray(0, this.featureRows * units));
      const l = new Int32Array(cap);
      l.set(this.featureLabels.subarray(0, this.featureRows));
      this.features = f;
      this.featureLabels = l;
    }
    this.features.set(rows.subarray(0, n * units), this.featureRows * units);
    for (let i = 0; i < n; i++) this.featureLabels[this.featureRows + i] = labels[i];
    this.featureRows += n;
  }

  /** Category-mean responses [categories x units] for one pass and tap, over the given categories. */
  means(pass: number, tap: number, categoryIdx: number[]): Float64Array {
    const u = this.taps[tap].units;
    const out = new Float64Array(categoryIdx.length * u);
    const sums = this.sums[pass][tap];
    categoryIdx.forEach((c, row) => {
      const n = this.categories[c].images;
      for (let k = 0; k < u; k++) out[row * u + k] = sums[c * u + k] / n;
    });
    return out;
  }

  /** Per category (the given ones): mean over its images of the fraction of units > 0; undefined when not counted. */
  activeFraction(pass: number, tap: number, categoryIdx: number[]): Float64Array | undefined {
    const counts = this.active?.[pass][tap];
    if (!counts) return undefined;
    const u = this.taps[tap].units;
    // Σ_images (k_i / u) / n = Σ k_i / (n u): one rounding of exact integer sums.
    return Float64Array.from(categoryIdx, (c) => counts[c] / (this.categories[c].images * u));
  }

  /** Feature rows known to be on disk per state folder: later checkpoints only append. */
  private readonly featureRowsOnDisk = new Map<string, number>();

  /**
   * The decoder features grow with every image (up to ~800 MB for the full study), so after the
   * first write a checkpoint appends only the new rows. state.json, written after, says how many
   * rows count; rows beyond that (an append cut short) are truncated away here and ignored by load().
   */
  private saveFeatures(dir: string): void {
    const units = this.decoderUnits();
    const files: [string, Float32Array | Int32Array, number][] = [
      ['features.f32', this.features, units],
      ['featureLabels.i32', this.featureLabels, 1],
    ];
    const known = this.featureRowsOnDisk.get(dir);
    for (const [name, data, perRow] of files) {
      const file = path.join(dir, name);
      const bytesPerRow = perRow * 4;
      if (known === undefined || known > this.featureRows || !fs.existsSync(file)) {
        const a = data.subarray(0, this.featureRows * perRow);
        writeFileAtomic(file, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
        continue;
      }
      const a = data.subarray(known * perRow, this.featureRows * perRow);
      const fd = fs.openSync(file, 'r+');
      try {
        fs.ftruncateSync(fd, known * bytesPerRow);
        fs.writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength), 0, a.byteLength, known * bytesPerRow);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    this.featureRowsOnDisk.set(dir, this.featureRows);
  }

  /**
   * Checkpoint generation: the sums of checkpoint g are written as `<name>.g<g>.f64` and only
   * state.json (written last) says which generation counts, so a save cut short (disk full, kill)
   * after some sums were written never pairs new sums with the old image position on resume.
   */
  private generation = 0;

  save(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const binaries: Record<string, number> = {};
    const g = this.generation + 1;
    this.passes.forEach((p, pi) =>
      this.taps.forEach((t, ti) => {
        const name = `${p.id}.${safeName(t.name)}.f64`;
        const a = this.sums[pi][ti];
        writeFileAtomic(path.join(dir, generationFile(name, g)), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
        binaries[name] = a.byteLength;
        const act = this.active?.[pi][ti];
        if (act) {
          const an = activeFile(p.id, t.name);
          writeFileAtomic(path.join(dir, generationFile(an, g)), new Uint8Array(act.buffer, act.byteOffset, act.byteLength));
          binaries[an] = act.byteLength;
        }
      }),
    );
    this.saveFeatures(dir);
    const json = {
      version: STATE_VERSION,
      meta: this.meta,
      categories: this.categories,
      passes: this.passes,
      taps: this.taps,
      decoderTap: this.decoderTap,
      passGroup: this.passGroup,
      nextImage: this.nextImage,
      skipped: this.skipped,
      featureRows: this.featureRows,
      decodeSeconds: this.decodeSeconds,
      inferenceSeconds: this.inferenceSeconds,
      elapsedBefore: this.elapsedBefore,
      binaries,
      generation: g,
    };
    writeFileAtomic(path.join(dir, 'state.json'), JSON.stringify(json));
    // The previous generation is not needed once state.json names this one.
    for (const name of Object.keys(binaries)) if (this.generation !== g) fs.rmSync(path.join(dir, generationFile(name, this.generation)), { force: true });
    this.generation = g;
  }

  static load(dir: string): RunState {
    const file = path.join(dir, 'state.json');
    let j: ReturnType<typeof JSON.parse>;
    try {
      j = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UserError(`No readable run state in ${dir} (${(e as Error).message}). Pass a run folder written by sparsity-lens.`, 'E_STATE');
    }
    if (j.version !== STATE_VERSION) {
      throw new UserError(`Run state ${file} has version ${j.version}; this Sparsity Lens reads version ${STATE_VERSION}.`, 'E_STATE');
    }
    // States written before pass groups existed ran every pass together.
    j.meta.passGroupSize ??= j.passes.length;
    const s = new RunState(j.meta, j.categories, j.passes, j.taps, j.decoderTap);
    s.passes.forEach((p, pi) =>
      s.taps.forEach((t, ti) => {
        const name = `${p.id}.${safeName(t.name)}.f64`;
        const buf = fs.readFileSync(path.join(dir, generationFile(name, j.generation ?? 0)));
        if (buf.byteLength !== j.binaries[name]) throw new UserError(`Run state file ${path.join(dir, name)} is truncated.`, 'E_STATE');
        s.sums[pi][ti] = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      }),
    );
    // Active-unit counts: absent in states saved before they existed (then no `active` index).
    const hasActive = s.passes.every((p) => s.taps.every((t) => j.binaries[activeFile(p.id, t.name)] !== undefined));
    if (!hasActive) s.active = undefined;
    else
      s.passes.forEach((p, pi) =>
        s.taps.forEach((t, ti) => {
          const name = activeFile(p.id, t.name);
          const buf = fs.readFileSync(path.join(dir, generationFile(name, j.generation ?? 0)));
          if (buf.byteLength !== j.binaries[name]) throw new UserError(`Run state file ${path.join(dir, name)} is truncated.`, 'E_STATE');
          s.active![pi][ti] = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        }),
      );
    const units = s.decoderUnits();
    const fbuf = fs.readFileSync(path.join(dir, 'features.f32'));
    const lbuf = fs.readFileSync(path.join(dir, 'featureLabels.i32'));
    // Longer is fine (an append after the last state.json); shorter means damage.
    const fBytes = j.featureRows * units * 4;
    const lBytes = j.featureRows * 4;
    if (fbuf.byteLength < fBytes || lbuf.byteLength < lBytes) {
      throw new UserError(`Run state features in ${dir} are truncated.`, 'E_STATE');
    }
    s.features = new Float32Array(fbuf.buffer.slice(fbuf.byteOffset, fbuf.byteOffset + fBytes));
    s.featureLabels = new Int32Array(lbuf.buffer.slice(lbuf.byteOffset, lbuf.byteOffset + lBytes));
    if (s.featureLabels.length === 0) {
      s.features = new Float32Array(units * 64);
      s.featureLabels = new Int32Array(64);
    }
    s.featureRows = j.featureRows;
    s.featureRowsOnDisk.set(dir, j.featureRows);
    s.generation = j.generation ?? 0;
    s.passGroup = j.passGroup ?? 0;
    s.nextImage = j.nextImage;
    s.skipped = j.skipped;
    s.decodeSeconds = j.decodeSeconds;
    s.inferenceSeconds = j.inferenceSeconds;
    s.elapsedBefore = j.elapsedBefore;
    return s;
  }

  /**
   * Merges complete runs over disjoint category sets (shards) of the same model, settings and
   * dataset root into one state. Exact: per-category sums and counts are simply placed side by side.
   */
  static merge(states: RunState[]): RunState {
    if (states.length === 0) throw new UserError('Nothing to merge: pass at least one run folder.', 'E_MERGE');
    const first = states[0];
    const sameKeys = (a: object, b: object) => JSON.stringify(a) === JSON.stringify(b);
    const settingsKey = (s: RunState) => ({ ...s.meta.settings, shard: undefined });
    for (const s of states) {
      if (s.passGroup < Math.ceil(s.passes.length / s.meta.passGroupSize) - 1 || s.nextImage < s.totalImages) throw new UserError(`Run for shard ${s.meta.settings.shard ?? '?'} is not complete; finish it (--resume) before merging.`, 'E_MERGE');
      if (s.meta.modelSha256 !== first.meta.modelSha256) throw new UserError('Runs used different model files (sha256 differs); merge only runs of the same model.', 'E_MERGE');
      if (!sameKeys(settingsKey(s), settingsKey(first))) throw new UserError('Runs used different settings; merge only shards of one analysis.', 'E_MERGE');
      if (!sameKeys(s.passes, first.passes) || !sameKeys(s.taps, first.taps)) throw new UserError('Runs used different passes or layers.', 'E_MERGE');
    }
    const all = states.flatMap((s, si) => s.categories.map((c, ci) => ({ c, si, ci })));
    all.sort((a, b) => (a.c.name < b.c.name ? -1 : a.c.name > b.c.name ? 1 : 0));
    for (let i = 1; i < all.length; i++) {
      if (all[i].c.name === all[i - 1].c.name) throw new UserError(`Category "${all[i].c.name}" appears in two runs; shards must not overlap.`, 'E_MERGE');
    }
    const meta: RunMeta = {
      ...first.meta,
      categoriesFound: first.meta.categoriesFound,
      imagesFound: states.reduce((s, x) => s + x.meta.imagesFound, 0),
      droppedCategories: states.flatMap((s) => s.meta.droppedCategories),
      settings: { ...first.meta.settings, shard: undefined },
      startedAt: states.map((s) => s.meta.startedAt).sort()[0],
    };
    const merged = new RunState(meta, all.map((x) => ({ ...x.c })), first.passes, first.taps, first.decoderTap);
    merged.passes.forEach((_, pi) =>
      merged.taps.forEach((t, ti) => {
        all.forEach((x, row) => merged.sums[pi][ti].set(states[x.si].sums[pi][ti].subarray(x.ci * t.units, (x.ci + 1) * t.units), row * t.units));
      }),
    );
    // Active counts side by side as the sums; if any shard lacks them, the merge has none.
    if (states.some((s) => !s.active)) merged.active = undefined;
    else merged.active!.forEach((perTap, pi) => perTap.forEach((a, ti) => all.forEach((x, row) => (a[row] = states[x.si].active![pi][ti][x.ci]))));
    // Decoder features: category by category in the merged order, rows within a category in
    // their original order, so a merged run equals the unsharded run row for row.
    for (const [row, x] of all.entries()) {
      const s = states[x.si];
      const u = s.decoderUnits();
      for (let i = 0; i < s.featureRows; i++) {
        if (s.featureLabels[i] === x.ci) merged.addFeatures(s.features.subarray(i * u, (i + 1) * u), [row]);
      }
    }
    merged.passGroup = Math.ceil(merged.passes.length / merged.meta.passGroupSize) - 1;
    merged.nextImage = merged.totalImages;
    merged.skipped = states.flatMap((s) => s.skipped);
    merged.decodeSeconds = states.reduce((a, s) => a + s.decodeSeconds, 0);
    merged.inferenceSeconds = states.reduce((a, s) => a + s.inferenceSeconds, 0);
    merged.elapsedBefore = states.reduce((a, s) => a + s.elapsedBefore, 0);
    return merged;
  }
}

/** `<pass>.<tap>.f64` of checkpoint generation g (0: states saved before generations, the plain name). */
function generationFile(name: string, g: number): string {
  return g > 0 ? name.replace(/\.f64$/, `.g${g}.f64`) : name;
}

/** The state file of one pass and tap's active-unit counts. */
function activeFile(pass: string, tap: string): string {
  return `${pass}.${safeName(tap)}.active.f64`;
}

/** A tap name as a file-name part. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_');
}
