/**
 * Parity with ImageCaptioning.pytorch's scripts/prepro_feats.py: `fixtures/prepro-feats` holds the features the
 * script itself wrote for four real COCO JPEGs with a tiny random ResNet (see its README), the same network as a
 * TensorFlow.js layers model, and torch's adaptive_avg_pool2d on grids that do not divide evenly.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@caption/core';
import { decodeNpz, readNpy, readNpz } from '@caption/data-coco';
import { describeWithShared, toleranceReport } from '@caption/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaptiveAvgPool2d, spatialMean } from './adaptive-pool';
import { extractFeatures } from './extract';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'prepro-feats');
const IDS = [27440, 431848, 354533, 386164];

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

describe('adaptiveAvgPool2d', () => {
  it("equals torch's F.adaptive_avg_pool2d, also where the grid does not divide the map (and where it upsamples)", async () => {
    const { cases } = JSON.parse(await readFile(join(fixtures, 'adaptive-pool.json'), 'utf8')) as {
      cases: Array<{ input: string; output: string; in: [number, number, number]; out: [number, number] }>;
    };
    const arrays = decodeNpz(new Uint8Array(await readFile(join(fixtures, 'adaptive-pool.npz'))));
    expect(cases.length).toBe(8);
    for (const c of cases) {
      const input = arrays.get(c.input)?.data as Float32Array;
      const expected = arrays.get(c.output)?.data as Float32Array;
      const [height, width, channels] = c.in;
      const actual = adaptiveAvgPool2d({ data: input, height, width, channels }, c.out[0], c.out[1]);
      expect(actual.length).toBe(expected.length);
      const worst = toleranceReport(actual, expected, 1e-6, 1e-6);
      expect(worst.excess, `${JSON.stringify(c)}: ${JSON.stringify(worst)}`).toBeLessThanOrEqual(0);
    }
  });

  it('averages all positions for the fc feature', () => {
    const data = Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60]);
    expect(Array.from(spatialMean({ data, height: 2, width: 3, channels: 2 }))).toEqual([3.5, 35]);
  });
});

describeWithShared(
  "prepro_feats.py parity (tiny ResNet, the script's own output)",
  IDS.map((id) => `images/val2014/COCO_val2014_${String(id).padStart(12, '0')}.jpg`),
  (data) => {
    let out: string;
    beforeAll(async () => {
      out = await mkdtemp(join(tmpdir(), 'prepro-feats-'));
    });
    afterAll(async () => {
      await rm(out, { recursive: true, force: true });
    });

    it('writes fc [C] and att [14, 14, C] equal to the reference to float32 tolerance', async () => {
      const images = IDS.map((id) => ({
        id,
        path: data.path(`images/val2014/COCO_val2014_${String(id).padStart(12, '0')}.jpg`),
      }));
      const result = await extractFeatures({
        model: join(fixtures, 'tiny-resnet'),
        layer: 'layer4',
        images,
        outputDir: join(out, 'cocotalk'),
      });
      expect(result.written).toBe(4);
      expect(result.channels).toBe(64);
      for (const id of IDS) {
        const fc = await readNpy(join(out, 'cocotalk_fc', `${id}.npy`));
        const fcRef = await readNpy(join(fixtures, 'expected_fc', `${id}.npy`));
        expect(fc.shape).toEqual(fcRef.shape);
        const att = await readNpz(join(out, 'cocotalk_att', `${id}.npz`));
        const attRef = await readNpz(join(fixtures, 'expected_att', `${id}.npz`));
        expect(att.shape).toEqual([14, 14, 64]);
        expect(att.shape).toEqual(attRef.shape);
        for (const [name, a, e] of [
          ['fc', fc.data, fcRef.data],
          ['att', att.data, attRef.data],
        ] as const) {
          const worst = toleranceReport(a as Float32Array, e as Float32Array, 2e-5, 1e-5);
          expect(worst.excess, `${id} ${name}: ${JSON.stringify(worst)}`).toBeLessThanOrEqual(0);
        }
      }
    });
  },
);
