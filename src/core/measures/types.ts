/**
 * The one interface of every sparseness index (issue 11). An index is a number per category or
 * per unit of one layer, computed from that layer's category-mean responses R
 * [categories x units] (float64, row-major, what the run accumulates) after run time.
 * `registry.ts` lists them; a new index is one module here and one line there.
 */

/** What an index gives one value for: each category (across units) or each unit (across categories). */
export type IndexAxis = 'category' | 'unit';

/** One layer of one pass, as the statistics stage has it. */
export interface LayerResponses {
  /** Category-mean responses, row-major [categories x units]. Never modified by an index. */
  r: ArrayLike<number>;
  categories: number;
  units: number;
  /**
   * Per category: the mean over its images of the fraction of units with a response > 0
   * (accumulated during the run, runState.ts activeCounts). Absent when the run state predates
   * it: indices that need it then give no values rather than a wrong one.
   */
  active?: ArrayLike<number>;
}

/** R after a normalisation, and whether the normalisation had to shift it (raw with negative values). */
export interface Normalised {
  matrix: ArrayLike<number>;
  shifted: boolean;
}

/** A normalisation of R before a per-category measure (`<measure>:<normalisation>` ids). */
export interface Normalisation {
  id: string;
  label: string;
  apply(r: ArrayLike<number>, categories: number, units: number): Normalised;
}

/** A sparseness measure of one vector: `n` values of `v` from `offset` (a row of R, or a copy of a column). */
export type VectorMeasure = (v: ArrayLike<number>, offset: number, n: number) => number;

/** A named vector measure with the text the report, docs and panel show. */
export interface Measure {
  id: string;
  label: string;
  /** Values lie in [0, 1] (charts fix that axis); false for unbounded measures (kurtosis). */
  bounded: boolean;
  /** Where the formula comes from (docs/METHOD-NOTES.md has the formulas). */
  reference: string;
  value: VectorMeasure;
}

export interface IndexValues {
  /** One value per category (report.categories order) or per unit (unit order). */
  values: number[];
  /** True when the layer's R had negative values and was shifted by its minimum (raw normalisation). */
  shifted: boolean;
}

export interface SparsenessIndex {
  /** `<measure>` or `<measure>:<normalisation>`; scripts rely on these exact ids. */
  id: string;
  axis: IndexAxis;
  /** Short label for charts and tables. */
  label: string;
  /** One sentence: what it is and where it comes from. */
  description: string;
  /** Values lie in [0, 1]. */
  bounded: boolean;
  /** The values, or undefined when the layer lacks what the index needs (`active` from an old run state). */
  compute(layer: LayerResponses): IndexValues | undefined;
}
