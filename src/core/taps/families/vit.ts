/** Vision Transformer (torchvision): `encoder.layers.encoder_layer_N` transformer encoder blocks. */
import type { FamilyRule } from './types';

export const vit: FamilyRule = {
  name: 'vit',
  matches: (t) => t.has('encoder.layers') && t.children('encoder.layers').length > 0,
  blocks: (t) => t.children('encoder.layers'),
};
