/**
 * The family registry of the `blocks` tap selection, tried in order; the first rule that
 * matches decides. Unscoped graphs (Keras, other exporters) use Add / Concat boundaries
 * (taps/select.ts), not a rule here.
 */
import { densenet } from './densenet';
import { featureBlocks } from './featureBlocks';
import { genericScoped } from './generic';
import { inception } from './inception';
import { regnet } from './regnet';
import { resnet } from './resnet';
import { shufflenet } from './shufflenet';
import { squeezenet } from './squeezenet';
import type { FamilyRule } from './types';
import { vit } from './vit';

export type { FamilyRule } from './types';

export const FAMILY_RULES: FamilyRule[] = [resnet, regnet, densenet, squeezenet, shufflenet, inception, vit, featureBlocks, genericScoped];
