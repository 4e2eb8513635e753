import { describeWithShared } from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import { captionsByImage, parseCocoCaptions, parseCocoResults, readCocoCaptions } from './coco-json.js';

describeWithShared(
  'official COCO caption files',
  ['coco-val2014-official-subset/captions_val2014_subset4800.json.gz', 'coco-mini/captions_val2017.json'],
  (data) => {
    it('reads images and annotations in file order with their ids', async () => {
      const sub = await readCocoCaptions(data.path('coco-val2014-official-subset/captions_val2014_subset4800.json.gz'));
      expect(sub.images).toHaveLength(4800);
      expect(sub.annotations).toHaveLength(24019);
      const byImage = captionsByImage(sub);
      expect(byImage.size).toBe(4800);
      expect([...byImage.values()].every((c) => c.length >= 5)).toBe(true);
      const mini = await readCocoCaptions(data.path('coco-mini/captions_val2017.json'));
      expect(mini.images).toHaveLength(79);
      expect(mini.images[0]?.width).toBeGreaterThan(0);
    });
  },
);

describe('COCO files validation', () => {
  it('names the file, the image and the field of a bad entry', () => {
    const good = { images: [{ id: 1, file_name: 'a.jpg' }], annotations: [{ id: 9, image_id: 1, caption: 'A dog.' }] };
    expect(parseCocoCaptions(good).annotations).toEqual([{ id: 9, imageId: 1, caption: 'A dog.' }]);
    expect(() => parseCocoCaptions({ ...good, annotations: [{ id: 9, image_id: 2, caption: 'x' }] }, 'c.json')).toThrow(
      'file c.json, image id 2, field "annotations[0].image_id": annotation refers to an image not listed in "images"',
    );
    expect(() =>
      parseCocoResults(
        [
          { image_id: 1, caption: 'a' },
          { image_id: 1, caption: 'b' },
        ],
        'r.json',
      ),
    ).toThrow('file r.json, image id 1, field "[1].image_id": duplicate image id');
    expect(() => parseCocoResults([{ image_id: 3, caption: null }], 'r.json')).toThrow(
      /image id 3, field "\[0\]\.caption"/,
    );
    expect(parseCocoResults([{ image_id: 3, caption: 'a cat' }])).toEqual([{ imageId: 3, caption: 'a cat' }]);
  });
});
