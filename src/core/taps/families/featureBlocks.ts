/**
 * Networks whose body is `features.N` (torchvision MobileNet v2/v3, EfficientNet, ConvNeXt):
 * an inverted residual / MBConv / CNBlock is a module with a `conv` or `block` child. Such a
 * module directly under `features` is a block (MobileNet: `features.3`); under a stage
 * `features.N` it is `features.N.M` (EfficientNet MBConv, ConvNeXt CNBlock). Stems, the last
 * 1x1 convolution and ConvNeXt's downsampling layers are not blocks (the stem and the last
 * activation are tapped by the selector's own rules).
 */
import type { ScopeTree } from '../scopeTree';
import type { FamilyRule } from './types';
import { leafOf } from './types';

const isBlock = (t: ScopeTree, m: string): boolean => t.children(m).some((c) => ['conv', 'block'].includes(leafOf(c, m)));

function blocks(t: ScopeTree): string[] {
  const out: string[] = [];
  for (const c of t.children('features')) {
    if (isBlock(t, c)) out.push(c);
    else out.push(...t.children(c).filter((g) => isBlock(t, g)));
  }
  return out;
}

export const featureBlocks: FamilyRule = {
  name: 'inverted-residual',
  matches: (t) => t.has('features') && blocks(t).length > 0,
  blocks,
};
