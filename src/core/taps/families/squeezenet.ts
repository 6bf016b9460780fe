/** SqueezeNet (torchvision): the Fire modules `features.N` (children squeeze, expand1x1, expand3x3). */
import type { ScopeTree } from '../scopeTree';
import type { FamilyRule } from './types';
import { leafOf } from './types';

const isFire = (t: ScopeTree, m: string): boolean => t.children(m).some((c) => leafOf(c, m) === 'squeeze') && t.children(m).some((c) => leafOf(c, m) === 'expand1x1');
export const squeezenet: FamilyRule = {
  name: 'squeezenet',
  matches: (t) => t.children('features').some((c) => isFire(t, c)),
  blocks: (t) => t.children('features').filter((c) => isFire(t, c)),
};
