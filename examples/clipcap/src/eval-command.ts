/**
 * `eval`: captions a split with trained captioners, from the images: CLIP's image tower (the run's CLIP, best
 * checkpoint) then each captioner's generation, one model at a time and, for several, their ensemble; scores the
 * captions with `@caption/metrics`; times the two parts per image. Writes, per model, `results.json` (COCO results),
 * `scores.json` and `per-image.json` (what `@caption/example-common`'s report reads).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@caption/core';
import { type CaptionResult, ExampleDataError, ExampleOptionsError } from '@caption/example-common';
import type { CocoScoreName } from '@caption/metrics';
import { ClipModel, type ClipCapModel } from '@caption/models-clipcap';
import { loadCaptioner, openClipRun } from './captioner-training';
import { encodeImages } from './clip-pretraining';
import { loadClipImages, readShapesCaptions } from './data';
import {
  captionEmbeddings,
  captionModelOf,
  type GenerationOptions,
  meteorChoice,
  scoreCaptions,
  type ScoringOptions,
  scoringNote,
} from './evaluation';
import type { EvalOptions } from './options';
import { loadBestWeights, resolvePath, writeJson } from './run-files';

/** One evaluated model (a captioner, or an ensemble of several). */
export interface EvaluatedModel {
  name: string;
  /** The captioner runs (one, or the ensemble's members). */
  runDirs: string[];
  /** Where its results, scores and per-image scores are. */
  evalDir: string;
  corpus: Partial<Record<CocoScoreName, number>>;
  /** Milliseconds per image: CLIP's image tower, the caption generation, both. */
  msPerImage: { encode: number; generate: number; total: number };
  images: number;
  scoring: string;
}

/** What {@link evaluateCaptioners} is asked. */
export interface EvaluationSpec {
  /** Captioner run folders (same CLIP run). */
  runs: readonly string[];
  /** Which split. */
  split: 'val' | 'test';
  generation: GenerationOptions;
  /** Evaluation folder of each single model (default `<run>/eval-<split>`) and of the ensemble. */
  evalDirOf: (name: string, runDirs: readonly string[]) => string;
  /** Names of the single models (default: the run folder's name) and of the ensemble. */
  names?: { members?: readonly string[]; ensemble?: string };
  meteorData: string | null;
  zhTokenize: 'jieba' | 'char';
  /** The shapes data folder. */
  dataDir: string;
  log?: (line: string) => void;
}

/**
 * Evaluates each run and, when there are several, their ensemble (see the file comment).
 *
 * @throws ExampleDataError when the runs were trained on different CLIP runs (their embeddings and tokenizers differ)
 */
export async function evaluateCaptioners(spec: EvaluationSpec): Promise<EvaluatedModel[]> {
  const log = spec.log ?? ((l: string) => void process.stderr.write(`${l}\n`));
  const loaded = spec.runs.map((r) => ({ dir: r, ...loadCaptioner(r) }));
  const first = loaded[0];
  if (first === undefined) throw new ExampleOptionsError('runs', 'eval: no captioner run given');
  const clipRuns = new Set(loaded.map((l) => `${l.run.clipRun}@${l.run.clipCheckpoint}`));
  if (clipRuns.size > 1)
    throw new ExampleDataError(
      'eval: the captioners do not share one CLIP run',
      [...clipRuns].map((c) => `CLIP run ${c}`),
    );
  const language = first.run.options.language;
  const clip = await openClipRun(first.run.clipRun);
  const data = await readShapesCaptions(spec.dataDir, language);
  const split = data.splits[spec.split];
  const refs = Object.fromEntries(split.ids.map((id, i) => [String(id), split.captions[i] as string[]]));
  const scoring: ScoringOptions = {
    language,
    meteor: language === 'en' ? meteorChoice(spec.meteorData) : null,
    zhTokenize: spec.zhTokenize,
  };

  // CLIP's image tower on the split's pixels, timed
  const clipModel = new ClipModel(clip.model.config);
  loadBestWeights(clipModel, first.run.clipRun);
  clipModel.eval();
  const size = clip.model.options.imageSize;
  const pixels = await loadClipImages(split.files, size);
  encodeImages(clipModel, pixels, Math.min(spec.generation.batchSize, split.ids.length), size).dispose(); // warm-up
  const t0 = performance.now();
  const embeddingTensor = encodeImages(clipModel, pixels, split.ids.length, size, spec.generation.batchSize);
  const encodeMs = performance.now() - t0;
  const embeddings = embeddingTensor.dataSync() as Float32Array;
  const dim = embeddingTensor.shape[1];
  embeddingTensor.dispose();
  clipModel.dispose();

  const entries: Array<{ name: string; models: ClipCapModel[]; runDirs: string[] }> = loaded.map((l, i) => ({
    name: spec.names?.members?.[i] ?? l.dir.split('/').pop() ?? l.dir,
    models: [l.model],
    runDirs: [l.dir],
  }));
  if (loaded.length > 1)
    entries.push({
      name: spec.names?.ensemble ?? 'ensemble',
      models: loaded.map((l) => l.model),
      runDirs: loaded.map((l) => l.dir),
    });
  const out: EvaluatedModel[] = [];
  for (const entry of entries) {
    const model = captionModelOf(entry.models, clip.tokenizer);
    captionEmbeddings(model, clip.tokenizer, embeddings.subarray(0, dim), dim, { ...spec.generation, batchSize: 1 }); // warm-up
    const { captions, milliseconds } = captionEmbeddings(model, clip.tokenizer, embeddings, dim, spec.generation);
    const results: CaptionResult[] = split.ids.map((id, i) => ({ image_id: id, caption: captions[i] as string }));
    const scored = await scoreCaptions(results, refs, scoring);
    const evalDir = spec.evalDirOf(entry.name, entry.runDirs);
    mkdirSync(evalDir, { recursive: true });
    writeJson(join(evalDir, 'results.json'), results);
    writeJson(join(evalDir, 'per-image.json'), scored.perImage);
    const n = split.ids.length;
    const msPerImage = { encode: encodeMs / n, generate: milliseconds / n, total: (encodeMs + milliseconds) / n };
    writeJson(join(evalDir, 'scores.json'), {
      corpus: scored.corpus,
      images: n,
      split: spec.split,
      decoding: { ...spec.generation, members: entry.runDirs.length, scoring: scoringNote(scoring) },
      msPerImage,
    });
    log(
      `eval ${entry.name}: ${Object.entries(scored.corpus)
        .map(([k, v]) => `${k} ${(v as number).toFixed(3)}`)
        .join(
          ' ',
        )}; ${msPerImage.total.toFixed(2)} ms per image (CLIP ${msPerImage.encode.toFixed(2)} + generation ${msPerImage.generate.toFixed(2)}, batch ${spec.generation.batchSize}); e.g. "${captions[0]}"`,
    );
    out.push({
      name: entry.name,
      runDirs: entry.runDirs,
      evalDir,
      corpus: scored.corpus,
      msPerImage,
      images: n,
      scoring: scoringNote(scoring),
    });
  }
  for (const l of loaded) l.model.dispose();
  return out;
}

/** `eval` from the command line. */
export async function runEvalCommand(o: EvalOptions): Promise<{ summary: Record<string, unknown> }> {
  const runs = o.runs
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '')
    .map(resolvePath);
  if (runs.length === 0) throw new ExampleOptionsError('runs', 'eval: --runs needs one or more captioner run folders');
  await initBackend(o.backend, { quiet: true });
  const dump = o.dumpPath === null ? null : resolvePath(o.dumpPath);
  const models = await evaluateCaptioners({
    runs,
    split: o.split,
    generation: { beamSize: o.beamSize, maxLength: o.maxLength, batchSize: o.batchSize },
    evalDirOf: (name, runDirs) =>
      dump !== null
        ? join(dump, name)
        : runDirs.length === 1
          ? join(runDirs[0] as string, `eval-${o.split}`)
          : join(runDirs[0] as string, '..', `${name}-eval-${o.split}`),
    meteorData: o.meteorData === null ? null : resolvePath(o.meteorData),
    zhTokenize: o.zhTokenize,
    dataDir: resolvePath(o.dataDir),
  });
  return { summary: Object.fromEntries(models.map((m) => [m.name, { ...m.corpus, msPerImage: m.msPerImage }])) };
}
