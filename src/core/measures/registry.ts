/**
 * Every sparseness index, by id (issue 11). Adding one: a module with its measure (a Measure or
 * a SparsenessIndex) in this folder, and one line in INDICES. Everything downstream (report,
 * trends, correlation with accuracy, controls, CSV, CLI table, charts) takes the id as a parameter.
 */
import { ACTIVE } from './active';
import { GINI } from './gini';
import { HOYER } from './hoyer';
import { KURTOSIS } from './kurtosis';
import { LIFETIME } from './lifetime';
import { LIU2020 } from './normalisations/liu2020';
import { MINMAX } from './normalisations/minmax';
import { RAW } from './normalisations/raw';
import { perCategory } from './perCategory';
import { VINJE_GALLANT } from './psi';
import type { SparsenessIndex } from './types';

export const INDICES: readonly SparsenessIndex[] = [
  perCategory('psi', LIU2020, VINJE_GALLANT, 'PSI'),
  perCategory('psi:minmax', MINMAX, VINJE_GALLANT),
  perCategory('psi:raw', RAW, VINJE_GALLANT),
  perCategory('hoyer:raw', RAW, HOYER),
  perCategory('gini:raw', RAW, GINI),
  perCategory('kurtosis:raw', RAW, KURTOSIS),
  LIFETIME,
  ACTIVE,
];

/** The study's index: always computed (the report's `psi` fields are it). */
export const DEFAULT_INDEX = 'psi';

/** Every index id, in registry order (the default of the `indices` setting). */
export const INDEX_IDS: readonly string[] = INDICES.map((i) => i.id);

export function indexById(id: string): SparsenessIndex | undefined {
  return INDICES.find((i) => i.id === id);
}

/** The chosen ids in registry order, `psi` always first: the report's psi fields are its values. */
export function indicesToCompute(chosen: readonly string[] | undefined): SparsenessIndex[] {
  const want = new Set(chosen ?? INDEX_IDS);
  want.add(DEFAULT_INDEX);
  return INDICES.filter((i) => want.has(i.id));
}
