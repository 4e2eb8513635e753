/**
 * Makes the README's example: `docs/example.png` (one image of the default data set, seed 1, shown 4x
 * enlarged with nearest-neighbour so the pixels stay visible) and prints its scene and its English and
 * Chinese captions exactly as the data set files hold them. Run in examples/shapes:
 * `npx tsx scripts/readme-example.ts [imgid]` (default 57).
 */
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { captionsFor, imageFileName, renderScene, sceneFor } from '../src/index';

const imgid = Number(process.argv[2] ?? 57);
const scene = sceneFor(1, imgid, 64);
await sharp(Buffer.from(renderScene(scene)), { raw: { width: 64, height: 64, channels: 3 } })
  .resize(256, 256, { kernel: 'nearest' })
  .png()
  .toFile(fileURLToPath(new URL('../docs/example.png', import.meta.url))); // a path on every platform (`.pathname` is not one on Windows)
console.log(
  `imgid ${imgid} (${imageFileName(imgid + 1)}): ${scene.background.tone} ${scene.background.style} background`,
);
for (const o of scene.objects) console.log(`- ${o.size} ${o.color} ${o.shape}, bbox [${o.bbox.join(', ')}]`);
const en = captionsFor(scene, 1, imgid, 'en', 5);
const zh = captionsFor(scene, 1, imgid, 'zh', 5);
en.forEach((c, i) => console.log(`| ${c.raw} | ${zh[i]?.raw ?? ''} |`));
