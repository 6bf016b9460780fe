/** ShuffleNet v2 (torchvision): `stageN.M` inverted residuals (conv1 and conv5 are the stem and the last activation). */
import type { FamilyRule } from './types';
import { leafOf } from './types';

export const shufflenet: FamilyRule = {
  name: 'shufflenet',
  matches: (t) => t.top.some((s) => /^stage\d+$/.test(s)),
  blocks: (t) => t.top.filter((s) => /^stage\d+$/.test(s)).flatMap((s) => t.children(s).filter((c) => /^\d+$/.test(leafOf(c, s)))),
};
