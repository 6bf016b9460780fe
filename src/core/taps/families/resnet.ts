/** ResNet / ResNeXt / Wide ResNet (torchvision): `layerN.M` are BasicBlock / Bottleneck blocks. */
import type { FamilyRule } from './types';
import { leafOf } from './types';

export const resnet: FamilyRule = {
  name: 'resnet',
  matches: (t) => t.top.some((s) => /^layer\d+$/.test(s)) && t.has('layer1') && t.children('layer1').some((c) => /^\d+$/.test(leafOf(c, 'layer1'))),
  blocks: (t) => t.top.filter((s) => /^layer\d+$/.test(s)).flatMap((s) => t.children(s).filter((c) => /^\d+$/.test(leafOf(c, s)))),
};
