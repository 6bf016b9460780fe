/** GoogLeNet / Inception v3 (torchvision): every `inception*` / `Mixed_*` module. */
import type { FamilyRule } from './types';

const re = /^(inception\d+[a-z]|Mixed_\d+[a-z])$/;
export const inception: FamilyRule = {
  name: 'inception',
  matches: (t) => t.top.some((s) => re.test(s)),
  blocks: (t) => t.top.filter((s) => re.test(s)),
};
