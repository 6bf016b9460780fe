/**
 * Depth of a layer for laying networks of different depth side by side (issue 10, point 7):
 * its relative depth in [0, 1] among the analysed layers, and the stage and block its name
 * places it in when the name is a PyTorch module path. Pure (no Node APIs): the report reader
 * (parse.ts, bundled by the standalone page) uses it to upgrade older reports.
 */

/** (index - 1) / (L - 1) for the 1-based `index` of L layers; a single layer is at 0. */
export function relativeDepth(index: number, layerCount: number): number {
  return layerCount <= 1 ? 0 : (index - 1) / (layerCount - 1);
}

export interface StageBlock {
  stage?: number;
  block?: number;
}

/**
 * Stage and block of each layer of a pass, from its name when that is a PyTorch module path,
 * with the numbers the path itself uses (nothing is renumbered). A layer inside a block gets its
 * block's numbers (layer3.1.relu → stage 3, block 1).
 *   layer3.1, stage2.0 (ResNet, ShuffleNet)        → stage 3, block 1 / stage 2, block 0
 *   trunk_output.block3.block3-1 (RegNet)          → stage 3, block 1
 *   inception4c (GoogLeNet)                        → stage 4, block 2 (a = 0)
 *   features.denseblock2, features.transition2     → stage 2 (DenseNet: the dense block is the stage)
 *   encoder.layers.encoder_layer_4 (ViT)           → block 4 (a single stage)
 *   features.5.2 (EfficientNet, ConvNeXt)          → stage 5, block 2, but only when the pass
 *     also has features.5.0 and features.5.1 (or layers inside them): the same path shape names
 *     a stem or head layer too (features.0.2, features.8.2: the activation of a conv+norm+act
 *     module), and a wrong stage is worse than none.
 * Names that say nothing certain (the study's conv1..fc2, Keras names, a flat features.7, a
 * stem such as conv1.2 or stem.2) get neither: the relative depth still places them.
 */
export function stageBlocks(names: readonly string[]): StageBlock[] {
  // `<container>.<S>.<B>` prefixes present in the pass, for the contiguity check.
  const nested = new Set<string>();
  for (const n of names) {
    const m = /^([a-z_]+)\.(\d+)\.(\d+)(?:\.|$)/i.exec(n);
    if (m) nested.add(`${m[1]}.${m[2]}.${m[3]}`);
  }
  return names.map((name) => {
    const seg = name.split('.');
    for (let i = 0; i < seg.length; i++) {
      const s = seg[i];
      let m = /^(?:layer|stage)(\d+)$/i.exec(s);
      if (m && /^\d+$/.test(seg[i + 1] ?? '')) return { stage: Number(m[1]), block: Number(seg[i + 1]) };
      m = /^block(\d+)-(\d+)$/i.exec(s);
      if (m) return { stage: Number(m[1]), block: Number(m[2]) };
      m = /^inception(\d+)([a-z])$/i.exec(s);
      if (m) return { stage: Number(m[1]), block: m[2].toLowerCase().charCodeAt(0) - 97 };
      m = /^(?:denseblock|transition)(\d+)$/i.exec(s);
      if (m) return { stage: Number(m[1]) };
      m = /^encoder_layer_(\d+)$/i.exec(s);
      if (m) return { block: Number(m[1]) };
    }
    const m = /^([a-z_]+)\.(\d+)\.(\d+)(?:\.|$)/i.exec(name);
    if (m) {
      const [, container, stage, block] = m;
      let contiguous = true;
      for (let b = 0; b < Number(block); b++) if (!nested.has(`${container}.${stage}.${b}`)) contiguous = false;
      if (contiguous) return { stage: Number(stage), block: Number(block) };
    }
    return {};
  });
}
