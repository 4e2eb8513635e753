/**
 * Real pretrained weights in, real features out: nsfwjs's MobileNetV2 (an ImageNet backbone fine-tuned for
 * content classification) on the 40 real COCO images of ../shared/data/images, written in the reference layout,
 * read back by data-coco's FeatureDirectory and by numpy, and resumed after an interruption.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@caption/core';
import { FeatureDirectory } from '@caption/data-coco';
import { describeWithShared } from '@caption/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ExtractOptionsError } from './errors';
import { extractFeatures } from './extract';
import { NSFWJS_MODELS, NSFWJS_NORMALIZATION, writeNsfwjsModelFolder } from './nsfwjs-model';

interface ManifestEntry {
  file: string;
  coco_id: number;
}

/** numpy, when Debian's python with numpy is there (it reads the files independently of data-coco). */
function numpyPython(): string | null {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(python, ['-c', 'import numpy'], { stdio: 'ignore' });
      return python;
    } catch {
      // try the next one
    }
  }
  return null;
}

describeWithShared('nsfwjs MobileNetV2 features of the 40 real COCO images', ['images/manifest.json'], (data) => {
  let root: string;
  let model: string;
  const manifest = (): ManifestEntry[] => data.readJson<ManifestEntry[]>('images/manifest.json');
  const images = () => manifest().map((m) => ({ id: m.coco_id, path: data.path(`images/${m.file}`) }));
  const settings = {
    layer: NSFWJS_MODELS.mobilenet_v2.featureLayer,
    resize: { width: 224, height: 224 },
    mean: NSFWJS_NORMALIZATION.mean,
    std: NSFWJS_NORMALIZATION.std,
  };

  beforeAll(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'nsfwjs-features-'));
    model = await writeNsfwjsModelFolder('mobilenet_v2', join(root, 'mobilenet_v2'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('an interrupted extraction resumes without redoing the finished images', async () => {
    const out = join(root, 'coco');
    let count = 0;
    await expect(
      extractFeatures({
        model,
        ...settings,
        images: images(),
        outputDir: out,
        onImageWritten: () => {
          count += 1;
          if (count === 15) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    const done = (await readdir(`${out}_fc`)).filter((f) => f.endsWith('.npy'));
    expect(done.length).toBe(15);
    const before = new Map(
      await Promise.all(done.map(async (f) => [f, (await stat(join(`${out}_fc`, f))).mtimeMs] as const)),
    );
    const rerun: string[] = [];
    const result = await extractFeatures({
      model,
      ...settings,
      images: images(),
      outputDir: out,
      onImageWritten: (id) => rerun.push(id),
    });
    expect(result).toMatchObject({ written: 25, alreadyDone: 15, skipped: 0, channels: 1280 });
    expect(rerun.filter((id) => before.has(`${id}.npy`))).toEqual([]);
    for (const [f, mtime] of before) expect((await stat(join(`${out}_fc`, f))).mtimeMs).toBe(mtime);
    expect(result.peakBytesPerImage).toBeGreaterThan(0);
    expect(result.batchSize).toBeGreaterThan(1); // all 224×224: batched
  });

  it('writes fc [1280] and att [14, 14, 1280] per image, read back by FeatureDirectory; real, image-dependent values', async () => {
    const out = join(root, 'coco');
    const fc = new FeatureDirectory(`${out}_fc`, { format: 'npy' });
    const att = new FeatureDirectory(`${out}_att`, { format: 'npz' });
    const means: number[] = [];
    for (const { id } of images()) {
      const f = await fc.get(id);
      const a = await att.get(id);
      expect(f.shape).toEqual([1280]);
      expect(a.shape).toEqual([14, 14, 1280]);
      // out_relu is a ReLU6: every value in [0, 6], not all zero
      expect(f.data.every((v) => v >= 0 && v <= 6)).toBe(true);
      expect(a.data.every((v) => v >= 0 && v <= 6)).toBe(true);
      // fc is the mean of the 7×7 map, and so of the 14×14 grid that upsamples it (each cell covered 4 times)
      let sum = 0;
      for (let c = 0; c < 1280; c++) {
        let s = 0;
        for (let p = 0; p < 196; p++) s += a.data[p * 1280 + c] as number;
        expect(Math.abs(s / 196 - (f.data[c] as number))).toBeLessThan(1e-5);
        sum += f.data[c] as number;
      }
      means.push(sum / 1280);
    }
    expect(new Set(means.map((m) => m.toFixed(6))).size).toBe(40);
    expect(Math.min(...means)).toBeGreaterThan(0);
  });

  it.skipIf(numpyPython() === null)('numpy reads every file: shapes, dtype float32, the same values', async () => {
    const out = join(root, 'coco');
    const script = [
      'import numpy as np, sys, json',
      'out = sys.argv[1]; res = {}',
      'for i in json.loads(sys.argv[2]):',
      "    fc = np.load('%s_fc/%d.npy' % (out, i)); att = np.load('%s_att/%d.npz' % (out, i))['feat']",
      '    res[str(i)] = [list(fc.shape), str(fc.dtype), list(att.shape), str(att.dtype), float(fc.astype(np.float64).sum()), float(att.astype(np.float64).sum())]',
      'print(json.dumps(res))',
    ].join('\n');
    const ids = images().map((m) => m.id);
    const python = numpyPython() as string;
    const res = JSON.parse(
      execFileSync(python, ['-c', script, out, JSON.stringify(ids)], { encoding: 'utf8' }),
    ) as Record<string, [number[], string, number[], string, number, number]>;
    const fc = new FeatureDirectory(`${out}_fc`, { format: 'npy' });
    const att = new FeatureDirectory(`${out}_att`, { format: 'npz' });
    for (const id of ids) {
      const [fcShape, fcType, attShape, attType, fcSum, attSum] = res[String(id)] as [
        number[],
        string,
        number[],
        string,
        number,
        number,
      ];
      expect([fcShape, fcType, attShape, attType]).toEqual([[1280], 'float32', [14, 14, 1280], 'float32']);
      const ours = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
      expect(Math.abs(ours((await fc.get(id)).data) - fcSum)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fcSum)));
      expect(Math.abs(ours((await att.get(id)).data) - attSum)).toBeLessThan(1e-6 * Math.max(1, Math.abs(attSum)));
    }
  });

  it('runs the graph model (mobilenet_v2_mid) too, and says when its fixed input size needs --resize', async () => {
    const graph = await writeNsfwjsModelFolder('mobilenet_v2_mid', join(root, 'mobilenet_v2_mid'));
    const two = images().slice(0, 2);
    const common = { model: graph, layer: NSFWJS_MODELS.mobilenet_v2_mid.featureLayer, images: two, attSize: 7 };
    await expect(
      extractFeatures({ ...common, outputDir: join(root, 'mid-noresize'), mean: settings.mean, std: settings.std }),
    ).rejects.toThrow(ExtractOptionsError);
    await expect(
      extractFeatures({ ...common, outputDir: join(root, 'mid-noresize'), mean: settings.mean, std: settings.std }),
    ).rejects.toThrow(/takes 224×224 images; image id \d+ \(.*\.jpg\) is \d+×\d+ .*--resize 224x224/);
    const result = await extractFeatures({
      ...common,
      resize: settings.resize,
      mean: settings.mean,
      std: settings.std,
      outputDir: join(root, 'mid'),
    });
    expect(result).toMatchObject({ written: 2, channels: NSFWJS_MODELS.mobilenet_v2_mid.channels });
    const a = await new FeatureDirectory(join(root, 'mid_att'), { format: 'npz' }).get(two[0]?.id as number);
    expect(a.shape).toEqual([7, 7, 1792]);
    expect(existsSync(join(root, 'mid_features.json'))).toBe(true);
  });
});
