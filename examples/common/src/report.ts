/**
 * The HTML report of one or more trained models: the score table, training-loss and validation-score
 * curves (inline SVG), example images with each model's caption, its per-image scores and the reference
 * captions, each run's configuration, the backend and the wall time. One self-contained file (images are
 * embedded as data URIs), no scripts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathUnderRoot, readCocoTalk } from '@caption/data-coco';
import { scaleLinear } from 'd3-scale';
import { readReferences, type CocoScoreName, type RawRefs } from '@caption/metrics';
import { ExampleDataError, ExampleOptionsError } from './errors';
import type { CaptionResult } from './evaluation';
import { intOption, OptionParser, type OptionValues, pathOption, stringOption } from './option-parser';
import type { TrainingHistory } from './train';

/** One model of the report: its training runs (in order, e.g. XE then self-critical) and its evaluation. */
export interface ReportModel {
  /** Name shown in the table (`aoanet-scst`). */
  name: string;
  /** Run folders whose `history.json` gives the curves (several: their steps are concatenated). */
  runDirs: readonly string[];
  /** Folder written by `eval` (`results.json`, `per-image.json`, `scores.json`). */
  evalDir: string;
}

/** What {@link writeReport} needs. */
export interface ReportSpec {
  title: string;
  /** The HTML file to write. */
  out: string;
  models: readonly ReportModel[];
  /** Reference captions of the evaluated split (shown beside the examples). */
  references: RawRefs | null;
  /** Image files by image id (absolute paths), for the examples; missing ones are shown without a picture. */
  images: ReadonlyMap<string, string>;
  /** Examples shown. */
  numImages: number;
  /** Lines about the run (backend, machine, wall time, METEOR...). */
  environment: ReadonlyArray<[string, string]>;
}

interface HistoryFile {
  history: TrainingHistory;
  backend?: string;
  seconds?: number;
  loop?: { step: number; epoch: number };
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const fmt = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3));
/** coco-caption's score keys, in its order. */
export const SCORE_KEYS: readonly CocoScoreName[] = [
  'Bleu_1',
  'Bleu_2',
  'Bleu_3',
  'Bleu_4',
  'METEOR',
  'ROUGE_L',
  'CIDEr',
  'SPICE',
];
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** Width of a legend entry's text, estimated for the 11 px sans-serif font of the chart (no layout engine here). */
const legendTextWidth = (text: string): number => Math.ceil(text.length * 6.6);

/**
 * A line chart as inline SVG: axes whose ticks are round numbers (d3-scale's "nice" domain and ticks: 0, 0.5, 1,
 * 1.5 or 0, 200, 400), one polyline per series, and the legend in a column right of the plotting area, never on a
 * curve.
 */
export function lineChart(
  series: ReadonlyArray<{ name: string; points: ReadonlyArray<[number, number]> }>,
  labels: { title: string; x: string; y: string },
  size: { width: number; height: number } = { width: 560, height: 260 },
): string {
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const { height } = size;
  const legendWidth = series.length === 0 ? 0 : 28 + Math.max(...series.map((s) => legendTextWidth(s.name)));
  const width = size.width + legendWidth;
  const m = { left: 56, right: 12 + legendWidth, top: 24, bottom: 40 };
  if (all.length === 0)
    return (
      `<svg class="chart" width="${width}" height="${height}" role="img" ` +
      `aria-label="${esc(labels.title)}"><text x="10" y="20">${esc(labels.title)}: no data</text></svg>`
    );
  const extent = (values: number[]): [number, number] => {
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
  };
  const x = scaleLinear()
    .domain(extent(all.map((p) => p[0])))
    .range([m.left, width - m.right])
    .nice(5);
  const y = scaleLinear()
    .domain(extent(all.map((p) => p[1])))
    .range([height - m.bottom, m.top])
    .nice(5);
  const [xTicks, yTicks] = [x.ticks(5), y.ticks(5)];
  // '~f': fixed notation without a thousands separator, decimals as the tick step needs, trailing zeros dropped
  const [xLabel, yLabel] = [x.tickFormat(5, '~f'), y.tickFormat(5, '~f')];
  const parts: string[] = [
    `<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" ` +
      `aria-label="${esc(labels.title)}">`,
  ];
  parts.push(`<text x="${m.left}" y="16" font-weight="bold">${esc(labels.title)}</text>`);
  for (const t of yTicks)
    parts.push(
      `<line x1="${m.left}" y1="${y(t).toFixed(1)}" x2="${width - m.right}" y2="${y(t).toFixed(1)}" stroke="#eee"/>`,
      `<text class="tick y" x="${m.left - 4}" y="${(y(t) + 3).toFixed(1)}" text-anchor="end" ` +
        `font-size="10">${yLabel(t)}</text>`,
    );
  for (const t of xTicks)
    parts.push(
      `<line x1="${x(t).toFixed(1)}" y1="${height - m.bottom}" x2="${x(t).toFixed(1)}" ` +
        `y2="${height - m.bottom + 4}" stroke="#333"/>`,
      `<text class="tick x" x="${x(t).toFixed(1)}" y="${height - m.bottom + 14}" text-anchor="middle" ` +
        `font-size="10">${xLabel(t)}</text>`,
    );
  parts.push(
    `<line x1="${m.left}" y1="${height - m.bottom}" x2="${width - m.right}" y2="${height - m.bottom}" stroke="#333"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${height - m.bottom}" stroke="#333"/>`,
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 6}" text-anchor="middle" ` +
      `font-size="11">${esc(labels.x)}</text>`,
    `<text x="12" y="${(m.top + height - m.bottom) / 2}" text-anchor="middle" font-size="11" ` +
      `transform="rotate(-90 12 ${(m.top + height - m.bottom) / 2})">${esc(labels.y)}</text>`,
  );
  const legendX = width - m.right + 12;
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] as string;
    const pts = s.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
    if (pts.length === 1) {
      const [px, py] = pts[0] as [number, number];
      parts.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3" fill="${color}"/>`);
    } else if (pts.length > 1) {
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="1.5" ` +
          `points="${pts.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ')}"/>`,
      );
    }
    const ly = m.top + 14 * i + 6;
    parts.push(
      `<line x1="${legendX}" y1="${ly}" x2="${legendX + 12}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<text class="legend" x="${legendX + 16}" y="${ly + 4}" font-size="11" fill="${color}">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Means over windows of `k` points (at most `maxPoints` points out). */
function smooth(points: ReadonlyArray<[number, number]>, maxPoints = 300): Array<[number, number]> {
  const k = Math.max(1, Math.ceil(points.length / maxPoints));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < points.length; i += k) {
    const w = points.slice(i, i + k);
    out.push([w[w.length - 1]?.[0] as number, w.reduce((s, p) => s + p[1], 0) / w.length]);
  }
  return out;
}

/** Scores sorted increasingly, as [share of the images in %, score], at most `maxPoints` of them (evenly spread). */
function sortedScores(scores: ReadonlyArray<number | undefined>, maxPoints = 200): Array<[number, number]> {
  const sorted = scores.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length < 2) return sorted.map((v) => [100, v]);
  const n = Math.min(maxPoints, sorted.length);
  return Array.from({ length: n }, (_, i) => {
    const at = Math.round((i * (sorted.length - 1)) / (n - 1));
    return [(100 * at) / (sorted.length - 1), sorted[at] as number];
  });
}

/** What writes each file the report reads (for the message when one is missing). */
const WRITTEN_BY: Record<string, string> = {
  'history.json': '`train` writes it when a run finishes (a stopped run has none until it is resumed to its end)',
  'results.json': '`eval` writes it (its --dump-path, default <run>/eval-<split>)',
};

function readJson<T>(file: string): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const hint = WRITTEN_BY[basename(file)];
    throw new ExampleDataError(`report: cannot read ${file}`, [
      `${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}${hint === undefined ? '' : `; ${hint}`}`,
    ]);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ExampleDataError(`report: cannot read ${file}`, [`not valid JSON: ${(e as Error).message}`]);
  }
}

function imageTag(file: string | undefined): string {
  if (file === undefined || !existsSync(file)) return '<div class="noimg">no image</div>';
  const ext = extname(file).toLowerCase();
  const mime = ext === '.png' ? 'image/png' : ext === '.gif' ? 'image/gif' : 'image/jpeg';
  return `<img src="data:${mime};base64,${readFileSync(file).toString('base64')}" alt="" width="128">`;
}

/**
 * Writes the report (see the module comment); returns its path.
 *
 * @example
 * ```ts
 * const models = [{ name: 'aoanet', runDirs: ['runs/aoa'], evalDir: 'runs/aoa/eval-test' }];
 * await writeReport({ title: 'shapes demo', out: 'out/demo/report.html', models,
 *   references: null, images: new Map(), numImages: 12, environment: [['backend', 'wasm']] });
 * ```
 */
export function writeReport(spec: ReportSpec): string {
  const models = spec.models.map((m) => {
    const histories = m.runDirs.map((dir) => ({
      dir,
      file: readJson<HistoryFile>(join(dir, 'history.json')),
      config: readConfig(dir),
    }));
    const scoresFile = join(m.evalDir, 'scores.json');
    const scores = existsSync(scoresFile)
      ? readJson<{ corpus: Partial<Record<CocoScoreName, number>>; images: number; decoding: unknown }>(scoresFile)
      : null;
    const perImage = existsSync(join(m.evalDir, 'per-image.json'))
      ? readJson<Record<string, Partial<Record<CocoScoreName, number>>>>(join(m.evalDir, 'per-image.json'))
      : {};
    const results = readJson<CaptionResult[]>(join(m.evalDir, 'results.json'));
    return {
      ...m,
      histories,
      scores,
      perImage,
      captions: new Map(results.map((r) => [String(r.image_id), r.caption])),
      order: results.map((r) => String(r.image_id)),
    };
  });
  const keys = SCORE_KEYS.filter((k) => models.some((m) => m.scores?.corpus[k] !== undefined));
  const html: string[] = [];
  html.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(spec.title)}</title><style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.num{text-align:right;font-variant-numeric:tabular-nums}.best{font-weight:bold}.chart{margin:8px 16px 8px 0}.ex td{font-size:13px}.noimg{width:128px;height:128px;background:#eee;font-size:11px}
img{image-rendering:pixelated;border:1px solid #ccc}pre{background:#f8f8f8;padding:8px;font-size:12px;overflow:auto;max-height:400px}.refs{color:#555}</style></head><body>`);
  html.push(`<h1>${esc(spec.title)}</h1>`);

  html.push('<section id="scores"><h2>Scores</h2><table><tr><th>model</th><th>images</th>');
  for (const k of keys) html.push(`<th>${k}</th>`);
  html.push('</tr>');
  const best = new Map(keys.map((k) => [k, Math.max(...models.map((m) => m.scores?.corpus[k] ?? -Infinity))]));
  for (const m of models) {
    html.push(`<tr><td>${esc(m.name)}</td><td class="num">${m.scores?.images ?? m.order.length}</td>`);
    for (const k of keys) {
      const v = m.scores?.corpus[k];
      html.push(`<td class="num${v !== undefined && v === best.get(k) ? ' best' : ''}">${fmt(v)}</td>`);
    }
    html.push('</tr>');
  }
  html.push(
    '</table><p>Scores from <code>@caption/metrics</code> (coco-caption: PTB tokenizer, BLEU, ' +
      'METEOR, ROUGE-L, CIDEr-D) on the evaluated split; best of each column in bold.</p>',
  );
  const distribution = models
    .map((m) => ({ name: m.name, points: sortedScores(Object.values(m.perImage).map((s) => s.CIDEr)) }))
    .filter((d) => d.points.length > 0);
  if (distribution.length > 0)
    html.push(
      lineChart(distribution, {
        title: 'per-image CIDEr, images sorted by it',
        x: 'share of the images (%)',
        y: 'CIDEr',
      }),
    );
  html.push('</section>');

  html.push('<section id="curves"><h2>Training curves</h2>');
  const lossSeries: Array<{ name: string; points: Array<[number, number]> }> = [];
  const scstSeries: Array<{ name: string; points: Array<[number, number]> }> = [];
  const valSeries: Array<{ name: string; points: Array<[number, number]> }> = [];
  for (const m of models) {
    let offset = 0;
    let epochOffset = 0;
    const xe: Array<[number, number]> = [];
    const sc: Array<[number, number]> = [];
    const val: Array<[number, number]> = [];
    for (const h of m.histories) {
      const selfCriticalFrom = h.config.selfCriticalAfter;
      const stepEpochs = h.file.history.validations.map((v) => ({ step: v.step, phase: v.phase }));
      for (const [step, loss] of h.file.history.losses) {
        const phase = stepEpochs.find((v) => step <= v.step)?.phase ?? (selfCriticalFrom === 0 ? 'scst' : 'xe');
        (phase === 'scst' ? sc : xe).push([offset + step, loss]);
      }
      for (const v of h.file.history.validations)
        if (v.scores?.CIDEr !== undefined) val.push([epochOffset + v.epoch, v.scores.CIDEr]);
      offset += h.file.loop?.step ?? h.file.history.losses.length;
      epochOffset += h.file.loop?.epoch ?? h.file.history.validations.length;
    }
    if (xe.length > 0) lossSeries.push({ name: m.name, points: smooth(xe) });
    if (sc.length > 0) scstSeries.push({ name: m.name, points: smooth(sc) });
    if (val.length > 0) valSeries.push({ name: m.name, points: val });
  }
  if (models.every((m) => m.histories.length === 0))
    html.push('<p>No training run in this report (the models were evaluated only).</p>');
  else html.push(lineChart(lossSeries, { title: 'cross-entropy training loss (smoothed)', x: 'step', y: 'loss' }));
  if (scstSeries.length > 0)
    html.push(
      lineChart(scstSeries, { title: 'self-critical loss (smoothed)', x: 'step (continuing XE)', y: '−(r − b)·log p' }),
    );
  if (valSeries.length > 0) html.push(lineChart(valSeries, { title: 'validation CIDEr', x: 'epoch', y: 'CIDEr' }));
  const rewardRows = models.flatMap((m) =>
    m.histories.flatMap((h) =>
      h.file.history.validations.filter((v) => v.reward !== null).map((v) => ({ name: m.name, v })),
    ),
  );
  if (rewardRows.length > 0) {
    html.push(
      '<table><tr><th>model</th><th>epoch</th><th>mean CIDEr-D of ' +
        'samples</th><th>of greedy captions</th><th>validation CIDEr</th></tr>',
    );
    for (const { name, v } of rewardRows)
      html.push(
        `<tr><td>${esc(name)}</td><td class="num">${v.epoch}</td><td ` +
          `class="num">${fmt(v.reward?.sample)}</td><td ` +
          `class="num">${fmt(v.reward?.greedy ?? undefined)}</td><td class="num">${fmt(v.scores?.CIDEr)}</td></tr>`,
      );
    html.push('</table>');
  }
  html.push('</section>');

  html.push(
    '<section id="examples"><h2>Examples</h2><table class="ex"><tr><th>image</th><th>generated ' +
      'captions (per-image CIDEr / BLEU-4 / METEOR)</th><th>references</th></tr>',
  );
  const ids = (models[0]?.order ?? []).slice(0, spec.numImages);
  for (const id of ids) {
    html.push(`<tr><td>${imageTag(spec.images.get(id))}<br>id ${esc(id)}</td><td>`);
    for (const m of models) {
      const s = m.perImage[id] ?? {};
      html.push(
        `<div><b>${esc(m.name)}</b>: ${esc(m.captions.get(id) ?? '–')} <span ` +
          `class="refs">(${fmt(s.CIDEr)} / ${fmt(s.Bleu_4)} / ${fmt(s.METEOR)})</span></div>`,
      );
    }
    html.push(`</td><td class="refs">${(spec.references?.[id] ?? []).map(esc).join('<br>')}</td></tr>`);
  }
  html.push('</table></section>');

  html.push('<section id="config"><h2>Configuration</h2>');
  for (const m of models) {
    for (const h of m.histories)
      html.push(
        `<details><summary>${esc(m.name)}: ${esc(h.dir)}</summary><pre>${esc(JSON.stringify(h.config, null, 1))}</pre></details>`,
      );
    if (m.scores !== null)
      html.push(
        `<details><summary>${esc(m.name)}: decoding</summary><pre>${esc(JSON.stringify(m.scores.decoding, null, 1))}</pre></details>`,
      );
  }
  html.push('</section>');

  html.push('<section id="environment"><h2>Environment</h2><table>');
  for (const [k, v] of spec.environment) html.push(`<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`);
  for (const m of models) {
    for (const h of m.histories)
      html.push(
        `<tr><th>training ` +
          `time, ${esc(m.name)} (${esc(h.dir)})</th><td>${fmt(h.file.history.seconds)} s over ${h.file.loop?.step ?? '?'} steps</td></tr>`,
      );
  }
  html.push('</table></section></body></html>');
  const out = resolve(spec.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, html.join('\n'));
  return out;
}

function readConfig(runDir: string): Record<string, unknown> & { selfCriticalAfter?: number } {
  const latest = join(runDir, 'latest.json');
  if (!existsSync(latest)) return {};
  const pointer = readJson<{ checkpoint: string }>(latest);
  const state = join(runDir, pointer.checkpoint, 'training-state.json');
  return existsSync(state) ? (readJson<{ config: Record<string, unknown> }>(state).config ?? {}) : {};
}

/** Options of `report`. */
export const REPORT_OPTIONS = {
  runs: stringOption(
    '',
    'models to report: "name=runDir[+runDir2][@evalDir];name2=..." (evalDir default: <last runDir>/eval-test)',
  ),
  out: pathOption('report.html', 'the HTML file to write'),
  title: stringOption('caption report', 'title of the report'),
  inputJson: pathOption(null, 'cocotalk.json (image file paths for the examples; default: that of the first run)'),
  imageRoot: pathOption(null, "folder the images' file paths are relative to (examples without it show no picture)"),
  referenceJson: pathOption(null, 'reference captions shown beside the examples (default: that of the first run)'),
  split: stringOption('test', 'split of the references'),
  numImages: intOption(24, 'examples shown', { min: 0 }),
} as const;

/** Parsed `report` options. */
export type ReportOptions = OptionValues<typeof REPORT_OPTIONS>;

/** The parser of `report`'s options. */
export const reportOptionParser = new OptionParser('report', REPORT_OPTIONS);

/** Parses `--runs`. */
export function parseRunsOption(runs: string): ReportModel[] {
  if (runs.trim() === '')
    throw new ExampleOptionsError('runs', 'report: option \'runs\' is empty; give e.g. --runs "aoanet=runs/aoa"');
  return runs.split(';').map((entry) => {
    const m = /^\s*([^=]+)=([^@]+?)(?:@(.+))?\s*$/.exec(entry);
    if (m === null)
      throw new ExampleOptionsError(
        'runs',
        `report: option 'runs': cannot read "${entry}" (expected name=runDir[+runDir2][@evalDir])`,
      );
    const runDirs = (m[2] as string).split('+').map((d) => resolve(d.trim()));
    return {
      name: (m[1] as string).trim(),
      runDirs,
      evalDir: resolve(m[3] ?? join(runDirs[runDirs.length - 1] as string, 'eval-test')),
    };
  });
}

/** `report`: reads the runs and writes the HTML file. */
export async function runReport(options: ReportOptions): Promise<string> {
  const models = parseRunsOption(options.runs);
  const config = readConfig(models[0]?.runDirs[0] as string);
  const inputJson = options.inputJson ?? (config.inputJson as string | null | undefined) ?? null;
  const referenceJson = options.referenceJson ?? (config.referenceJson as string | null | undefined) ?? null;
  const images = new Map<string, string>();
  if (inputJson !== null && options.imageRoot !== null) {
    const cocotalk = await readCocoTalk(inputJson);
    for (const [i, im] of cocotalk.images.entries()) {
      if (im.filePath === undefined) continue;
      const location = { file: inputJson, imageId: im.id, field: `images[${i}].file_path` };
      images.set(String(im.id), pathUnderRoot(options.imageRoot, im.filePath, location));
    }
  }
  const references =
    referenceJson === null
      ? null
      : readReferences(readJson<unknown>(referenceJson), { split: options.split, file: referenceJson }).refs;
  const history = readJson<HistoryFile>(join(models[0]?.runDirs[0] as string, 'history.json'));
  return writeReport({
    title: options.title,
    out: options.out as string,
    models,
    references,
    images,
    numImages: options.numImages,
    environment: [
      ['backend', history.backend ?? 'unknown'],
      ['written', new Date().toISOString()],
    ],
  });
}
