/**
 * The demo stimulus generator lives in src/core/demoStimuli.ts (it ships in the extension for the
 * "Try the Demo" walkthrough step); this file re-exports it for the scripts and tests that import
 * it from here, and is its command line.
 */
import { generateStimuli } from '../src/core/demoStimuli';

export * from '../src/core/demoStimuli';

// CLI: `npx tsx scripts/demo-stimuli.ts <dir> [perCategory] [size] [seed] [categories]`
if (require.main === module) {
  const [dir, per, size, seed, cats] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: tsx scripts/demo-stimuli.ts <dir> [perCategory=20] [size=64] [seed=1] [categories=10]');
    process.exit(2);
  }
  generateStimuli(dir, {
    perCategory: per ? Number(per) : undefined,
    size: size ? Number(size) : undefined,
    seed: seed ? Number(seed) : undefined,
    categories: cats ? Number(cats) : undefined,
  }).then(
    (s) => console.log(`wrote ${s.categories.length} x ${s.files[s.categories[0]].length} images to ${dir}`),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
