/**
 * The page on the 40,504 val2014 images (the human leave-one-out case of ../shared/data/coco-caption: each
 * image's held-out human caption against its other captions) in headless Chromium: how long scoring takes,
 * how many frames the page drew meanwhile and its longest pause (a frozen page draws none), and whether its
 * numbers equal caption-eval's on the same files. A screenshot goes to out/page-40k.png.
 *
 *   npm run check:40k -w @caption/example-metrics-web   (after npm run build)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot, sharedData, sharedSkipReason } from '@caption/test-support';
import { chromiumPath, launchChromium } from './browser';
import { buildPage } from './build';
import { serveFolder } from './serve';

const OUT = fileURLToPath(new URL('../out', import.meta.url));
const REFERENCE = 'coco-caption/codalab_val2014_reference_answer.json.gz';
const SUBMISSION = 'coco-caption/codalab_val2014_submission_answer.json.gz';
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

const skip = sharedSkipReason([REFERENCE, SUBMISSION]);
const chromium = chromiumPath();
if (skip !== null || chromium === null) {
  console.log(`check:40k skipped: ${skip ?? 'no Chromium (apt-get install chromium, or set CHROMIUM_PATH)'}`);
  process.exit(0);
}
const data = sharedData();
const reference = data.readJson<Record<string, string[][]>>(REFERENCE);
const submission = data.readJson<Record<string, string>>(SUBMISSION);
const ids = Object.keys(submission)
  .map(Number)
  .sort((a, b) => a - b);
mkdirSync(OUT, { recursive: true });
const refsFile = join(OUT, 'val2014-loo-refs.json');
const resultsFile = join(OUT, 'val2014-loo-results.json');
writeFileSync(
  refsFile,
  JSON.stringify({
    images: ids.map((id) => ({ id })),
    annotations: ids.flatMap((id) => (reference[id]?.[0] ?? []).map((caption) => ({ image_id: id, caption }))),
  }),
);
writeFileSync(resultsFile, JSON.stringify(ids.map((id) => ({ image_id: id, caption: submission[id] }))));

const cliStart = performance.now();
const cli = spawnSync(
  process.execPath,
  [
    join(repoRoot, 'packages/metrics/bin/caption-eval.js'),
    '--refs',
    refsFile,
    '--results',
    resultsFile,
    '--metrics',
    'bleu,rouge,cider',
    '--json',
  ],
  { encoding: 'utf8' },
);
const cliSeconds = (performance.now() - cliStart) / 1000;
if (cli.status !== 0) throw new Error(cli.stderr);
const cliScores = JSON.parse(cli.stdout) as Record<string, number>;

const { server, url } = await serveFolder(await buildPage(join(OUT, 'page')));
const { context, close } = await launchChromium(chromium);
try {
  const page = await context.newPage();
  await page.goto(url);
  await page.setInputFiles('#refs', refsFile);
  await page.setInputFiles('#results', resultsFile);
  console.log(`${new Date().toISOString()} ${ids.length} images; load ${load()}`);
  await page.click('#score');
  await page.waitForFunction(
    () => ['done', 'error'].includes((window as unknown as { captionPage: { state: string } }).captionPage.state),
    undefined,
    { timeout: 600_000 },
  );
  const state = await page.evaluate(
    () =>
      (
        window as unknown as {
          captionPage: {
            state: string;
            corpus: Record<string, number>;
            seconds: number;
            frames: number;
            maxFrameGapMs: number;
          };
        }
      ).captionPage,
  );
  console.log(`status: ${await page.textContent('#status')}`);
  const started = performance.now();
  await page.click('#images th[data-key="CIDEr"]');
  await page.waitForSelector('#images th.sorted');
  const sortSeconds = (performance.now() - started) / 1000;
  await page.screenshot({ path: join(OUT, 'page-40k.png') });
  const worst = Math.max(
    ...Object.entries(cliScores).map(([key, value]) => Math.abs((state.corpus[key] ?? Number.NaN) - value) / value),
  );
  console.log(
    `page: ${state.state}, ${state.seconds.toFixed(1)} s from click to table, ${state.frames} frames drawn meanwhile, longest pause ${Math.round(state.maxFrameGapMs)} ms; sort by CIDEr + redraw ${sortSeconds.toFixed(2)} s`,
  );
  console.log(`caption-eval on the same files: ${cliSeconds.toFixed(1)} s (process start and file reading included)`);
  console.log(`largest relative difference page vs caption-eval: ${worst.toExponential(2)}; load ${load()}`);
} finally {
  await close();
  server.close();
}
