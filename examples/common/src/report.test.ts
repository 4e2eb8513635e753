import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExampleOptionsError } from './errors';
import { lineChart, parseRunsOption, reportOptionParser, runReport, writeReport } from './report';
import type { TrainingHistory } from './train';

const root = mkdtempSync(join(tmpdir(), 'caption-report-'));

/** A run folder as `train` leaves it (history.json) and an eval folder as `eval` writes it. */
function fakeRun(name: string, cider: number[], captions: Record<string, string>): { runDir: string; evalDir: string } {
  const runDir = join(root, name);
  const evalDir = join(runDir, 'eval-test');
  mkdirSync(evalDir, { recursive: true });
  const history: TrainingHistory = {
    losses: Array.from({ length: 40 }, (_, i) => [i + 1, 4 / (1 + i / 10)] as [number, number]),
    validations: cider.map((c, e) => ({
      epoch: e + 1,
      step: 20 * (e + 1),
      phase: 'xe',
      learningRate: 1e-3,
      scores: { CIDEr: c, Bleu_4: c / 4 },
      loss: null,
      reward: null,
    })),
    seconds: 12.5,
  };
  writeFileSync(
    join(runDir, 'history.json'),
    JSON.stringify({ history, backend: 'wasm (test)', loop: { step: 40, epoch: cider.length } }),
  );
  writeFileSync(
    join(evalDir, 'results.json'),
    JSON.stringify(Object.entries(captions).map(([id, caption]) => ({ image_id: Number(id), caption }))),
  );
  const perImage = Object.fromEntries(
    Object.keys(captions).map((id, i) => [id, { Bleu_4: 0.1 * i, CIDEr: 0.5 + i, METEOR: 0.2 }]),
  );
  writeFileSync(join(evalDir, 'per-image.json'), JSON.stringify(perImage));
  writeFileSync(
    join(evalDir, 'scores.json'),
    JSON.stringify({
      images: 2,
      corpus: { Bleu_1: 0.7, Bleu_4: 0.3, METEOR: 0.25, ROUGE_L: 0.5, CIDEr: cider[cider.length - 1] },
      decoding: { beamSize: 2 },
    }),
  );
  return { runDir, evalDir };
}

describe('report', () => {
  it('writes one HTML file with the scores, curves, examples, configuration and environment', () => {
    const a = fakeRun('show-tell', [0.4, 0.6], { '1': 'a red circle', '2': 'a <blue> square' });
    const b = fakeRun('aoanet', [0.8, 1.1], { '1': 'a red circle on the left', '2': 'a blue square' });
    const png = join(root, '1.png');
    writeFileSync(png, Buffer.from('89504e470d0a1a0a', 'hex'));
    const out = writeReport({
      title: 'test report',
      out: join(root, 'out', 'report.html'),
      models: [
        { name: 'show-tell', runDirs: [a.runDir], evalDir: a.evalDir },
        { name: 'aoanet', runDirs: [b.runDir], evalDir: b.evalDir },
      ],
      references: { '1': ['a red circle', 'one red disc'], '2': ['a blue square'] },
      images: new Map([['1', png]]),
      numImages: 2,
      environment: [
        ['backend', 'wasm (test)'],
        ['wall time (whole demo)', '42 s'],
      ],
    });
    const html = readFileSync(out, 'utf8');
    for (const id of ['scores', 'curves', 'examples', 'config', 'environment'])
      expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain('<th>CIDEr</th>');
    expect(html).toContain('<td class="num best">1.100</td>'); // the best CIDEr of the table, in bold
    // loss, validation CIDEr, and the per-image CIDEr of the evaluated split
    expect((html.match(/<svg class="chart"/g) ?? []).length).toBe(3);
    expect(html).toContain('per-image CIDEr, images sorted by it');
    expect(html).toContain('<polyline');
    expect(html).toContain('a &lt;blue&gt; square'); // captions are escaped
    expect(html).toContain('data:image/png;base64,');
    expect(html).toContain('one red disc');
    expect(html).toContain('wasm (test)');
    expect(html).toContain('42 s');
    expect(html).not.toContain('<script');
  });

  it('draws a chart with axes, one polyline per series and a legend', () => {
    const svg = lineChart(
      [
        {
          name: 'a',
          points: [
            [0, 1],
            [1, 2],
            [2, 1.5],
          ],
        },
        { name: 'b', points: [[0, 0.5]] },
      ],
      { title: 't', x: 'step', y: 'loss' },
    );
    expect(svg.match(/<polyline/g)?.length).toBe(1);
    expect(svg).toContain('<circle');
    expect(svg).toContain('>step<');
    expect(lineChart([], { title: 'empty', x: 'x', y: 'y' })).toContain('no data');
  });

  it('labels its axes with round numbers and keeps the legend off the curves', () => {
    // awkward ranges, like a loss curve (3.917 → 0.3841 over steps 7..1093) and a CIDEr curve
    const loss = Array.from({ length: 60 }, (_, i): [number, number] => [7 + i * 18.1, 0.3841 + 3.533 / (1 + i / 4)]);
    const cider: Array<[number, number]> = [
      [1, 0.4137],
      [2, 0.6629],
      [3, 0.8061],
    ];
    for (const points of [loss, cider]) {
      const svg = lineChart(
        [
          { name: 'aoanet-scst (self-critical)', points },
          { name: 'show-tell', points: points.map(([x, y]): [number, number] => [x, y * 0.8]) },
        ],
        { title: 't', x: 'x', y: 'y' },
      );
      for (const axis of ['x', 'y']) {
        const ticks = [...svg.matchAll(new RegExp(`class="tick ${axis}"[^>]*>([^<]+)<`, 'g'))].map((t) => Number(t[1]));
        expect(ticks.length, `${axis} ticks`).toBeGreaterThanOrEqual(3);
        // equally spaced by 1, 2 or 5 times a power of ten, every tick a multiple of that step
        const step = (ticks[1] as number) - (ticks[0] as number);
        const mantissa = step / 10 ** Math.floor(Math.log10(step));
        expect(
          [1, 2, 5].some((k) => Math.abs(mantissa - k) < 1e-9),
          `${axis} step ${step}`,
        ).toBe(true);
        for (const t of ticks)
          expect(Math.abs(t / step - Math.round(t / step)), `${axis} tick ${t}`).toBeLessThan(1e-9);
      }
      // every legend entry starts right of every point of every curve
      const legendX = Math.min(...[...svg.matchAll(/class="legend" x="([\d.]+)"/g)].map((l) => Number(l[1])));
      const curveX = [...svg.matchAll(/points="([^"]+)"/g)].flatMap((p) =>
        (p[1] as string).split(' ').map((xy) => Number(xy.split(',')[0])),
      );
      expect(curveX.length).toBeGreaterThan(0);
      expect(Math.max(...curveX)).toBeLessThan(legendX);
    }
  });

  it('refuses an image path of the cocotalk.json that leads outside --image-root', async () => {
    const a = fakeRun('escape', [0.5], { '1': 'a red circle' });
    const cocotalk = join(root, 'escape-cocotalk.json');
    writeFileSync(
      cocotalk,
      JSON.stringify({ ix_to_word: { '1': 'a' }, images: [{ id: 1, split: 'test', file_path: '../../etc/passwd' }] }),
    );
    const { values } = reportOptionParser.parse({
      argv: ['--runs', `x=${a.runDir}`, '--input-json', cocotalk, '--image-root', join(root, 'imgs')],
    });
    await expect(runReport({ ...values, out: join(root, 'escape.html') })).rejects.toThrow(
      /image id 1, field "images\[0\]\.file_path": "\.\.\/\.\.\/etc\/passwd" leads outside the images root/,
    );
  });

  it('reads the --runs option', () => {
    const [xe, sc] = parseRunsOption('xe=runs/a;scst=runs/a+runs/b@runs/b/eval');
    expect(xe?.name).toBe('xe');
    expect(xe?.evalDir).toMatch(/runs\/a\/eval-test$/);
    expect(sc?.runDirs.length).toBe(2);
    expect(sc?.evalDir).toMatch(/runs\/b\/eval$/);
    expect(() => parseRunsOption('nonsense')).toThrow(ExampleOptionsError);
  });
});
