/** DenseNet (torchvision): `features.denseblockN` and `features.transitionN`. */
import type { FamilyRule } from './types';
import { leafOf } from './types';

const re = /^(denseblock|transition)\d+$/;
export const densenet: FamilyRule = {
  name: 'densenet',
  matches: (t) => t.children('features').some((c) => /^denseblock\d+$/.test(leafOf(c, 'features'))),
  blocks: (t) => t.children('features').filter((c) => re.test(leafOf(c, 'features'))),
};
