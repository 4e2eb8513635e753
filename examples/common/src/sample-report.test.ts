import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithShared } from '@caption/test-support';
import { afterAll, expect, it } from 'vitest';
import { writeSampleReport } from './sample-report';

describeWithShared(
  'the sample report (docs/sample-report.html) from real captions, without training',
  [
    'coco-caption/magic_mscoco_karpathy_test_magic_result.json.gz',
    'coco-caption/magic_mscoco_karpathy_test_zerocap_result.json.gz',
    'images/manifest.json',
  ],
  (data) => {
    const dir = mkdtempSync(join(tmpdir(), 'caption-sample-report-test-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("scores MAGIC as its authors' coco-caption run printed, and shows examples and a chart", async () => {
      const { out, corpus } = await writeSampleReport(data.path('.'), join(dir, 'sample.html'));
      // yxuansu/MAGIC evaluation/evaluation_result.png (recorded in ../shared/data/coco-caption/SOURCES.md)
      const published = { Bleu_1: 0.568, Bleu_2: 0.358, Bleu_3: 0.214, Bleu_4: 0.129, ROUGE_L: 0.399, CIDEr: 0.493 };
      for (const [key, value] of Object.entries(published))
        expect((corpus.MAGIC?.[key] as number).toFixed(3), key).toBe(value.toFixed(3));
      const html = readFileSync(out, 'utf8');
      expect(html).toContain('per-image CIDEr, images sorted by it');
      // the examples: the test images of ../shared/data/images with a MAGIC / ZeroCap prediction
      const pictured = data
        .readJson<Array<{ magic_zerocap_prediction?: boolean }>>('images/manifest.json')
        .filter((m) => m.magic_zerocap_prediction === true).length;
      expect(pictured).toBeGreaterThan(0);
      expect((html.match(/<b>MAGIC<\/b>/g) ?? []).length).toBe(pictured);
      expect(html).not.toContain('data:image/'); // no COCO picture in the committed report
    });
  },
);
