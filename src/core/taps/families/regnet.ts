/** RegNet (torchvision): `trunk_output.blockN.blockN-M` are ResBottleneckBlocks. */
import type { FamilyRule } from './types';

export const regnet: FamilyRule = {
  name: 'regnet',
  matches: (t) => t.has('trunk_output'),
  blocks: (t) => t.children('trunk_output').flatMap((stage) => t.children(stage)),
};
