/**
 * Makes the README's example: `docs/example.png` (image 12 of the default data set, seed 1, shown 4x
 * enlarged with nearest-neighbour so the pixels stay visible) and prints its scene and English and
 * Chinese captions as Markdown. Run: `npx tsx scripts/readme-example.ts` in examples/shapes.
 */
import { Random } from '@caption/core';
import sharp from 'sharp';
import { chineseGrammar, englishGrammar, renderScene, sampleCaptions, sceneFor } from '../src/index';

const imgid = Number(process.argv[2] ?? 12);
const scene = sceneFor(1, imgid, 64);
const rgb = renderScene(scene);
await sharp(Buffer.from(rgb), { raw: { width: 64, height: 64, channels: 3 } })
  .resize(256, 256, { kernel: 'nearest' })
  .png()
  .toFile(new URL('../docs/example.png', import.meta.url).pathname);
console.log(`scene ${imgid}: ${scene.background.tone} ${scene.background.style} background`);
for (const o of scene.objects) console.log(`- ${o.size} ${o.color} ${o.shape}, bbox [${o.bbox.join(', ')}]`);
for (const [name, grammar] of [['en', englishGrammar], ['zh', chineseGrammar]] as const) {
  for (const c of sampleCaptions(grammar, scene, new Random(imgid), 5)) console.log(`${name}: ${c.raw}`);
}
