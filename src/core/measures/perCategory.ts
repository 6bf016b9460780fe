/** An index from a normalisation and a vector measure: the measure of each category's row of normalised R. */
import type { Measure, Normalisation, SparsenessIndex } from './types';

export function perCategory(id: string, normalisation: Normalisation, measure: Measure, label = `${measure.label} (${normalisation.id})`): SparsenessIndex {
  return {
    id,
    axis: 'category',
    label,
    bounded: measure.bounded,
    description: `${measure.label} of each category across units (${measure.reference}), after normalisation "${normalisation.id}": ${normalisation.label}.`,
    compute({ r, categories, units }) {
      const { matrix, shifted } = normalisation.apply(r, categories, units);
      const values: number[] = new Array(categories);
      for (let c = 0; c < categories; c++) values[c] = measure.value(matrix, c * units, units);
      return { values, shifted };
    },
  };
}
