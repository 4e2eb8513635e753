/**
 * Captioning a split (greedy, sampling or beam search, with the reference's decoding options) and scoring
 * the captions with `@caption/metrics` as coco-caption does (PTB tokenizer, BLEU 1–4, METEOR when its data
 * is available, ROUGE-L, CIDEr), against the raw reference captions when a reference file is given.
 */
import { readFileSync } from 'node:fs';
import {
  beamSearch,
  captionTokens,
  DECODING_BAD_ENDINGS,
  type DecodedSequences,
  greedyDecode,
  Random,
  sampleDecode,
  trimBadEndings,
} from '@caption/core';
import {
  createProgress,
  type LoaderSplit,
  type ProgressReporter,
  readJsonFile,
  UNK_TOKEN,
  type Vocabulary,
} from '@caption/data-coco';
import {
  evaluate,
  type EvaluationResult,
  locateMeteorData,
  type MetricFamilyOptions,
  type MetricName,
  MetricsInputError,
  type RawRefs,
  readReferences,
} from '@caption/metrics';
import { disposeFeatures, featureTensors } from './batches';
import type { Captioner, CaptionerFactory } from './captioner';
import { makeLoader, type RunData } from './data';

/** How captions are decoded (the reference's eval options). */
export interface DecodingOptions {
  beamSize: number;
  sampleMethod: 'greedy' | 'sample';
  temperature: number;
  maxLength: number;
  lengthPenalty: string;
  decodingConstraint: 0 | 1;
  blockTrigrams: 0 | 1;
  removeBadEndings: 0 | 1;
}

/** One caption of a COCO results file. */
export interface CaptionResult {
  image_id: number;
  caption: string;
}

/** Turns token ids into a caption (words joined by spaces; trailing bad endings trimmed when asked). */
export function captionText(ids: readonly number[], vocabulary: Vocabulary, trimEndings: boolean): string {
  const words = ids.map((id) => vocabulary.words[id - 1] ?? UNK_TOKEN);
  return (trimEndings ? trimBadEndings(words) : words).join(' ');
}

/** Decodes one batch of features with the chosen method. */
export function decodeBatch<F>(
  model: Captioner<F>,
  features: F,
  vocabulary: Vocabulary,
  options: DecodingOptions,
  rng: Random,
): DecodedSequences {
  const unk = vocabulary.idOf(UNK_TOKEN) ?? null;
  const badEndingTokens =
    options.removeBadEndings === 1
      ? DECODING_BAD_ENDINGS.map((w) => vocabulary.idOf(w)).filter((id): id is number => id !== undefined)
      : undefined;
  const common = {
    maxLength: options.maxLength,
    decodingConstraint: options.decodingConstraint === 1,
    blockTrigrams: options.blockTrigrams === 1,
    badEndingTokens,
  };
  if (options.beamSize > 1) {
    return beamSearch(model, features, {
      ...common,
      beamSize: options.beamSize,
      lengthPenalty: options.lengthPenalty === '' ? null : options.lengthPenalty,
      unkToken: unk,
    });
  }
  if (options.sampleMethod === 'sample')
    return sampleDecode(model, features, { ...common, rng, temperature: options.temperature });
  return greedyDecode(model, features, common);
}

/**
 * Captions the first `numImages` images (all when negative) of a split, in file order, in eval mode.
 *
 * @returns COCO results (`[{image_id, caption}]`), in split order
 */
export async function captionSplit<F>(
  model: Captioner<F>,
  factory: CaptionerFactory<F>,
  data: RunData,
  options: DecodingOptions & {
    split: LoaderSplit;
    numImages: number;
    batchSize: number;
    seed: number;
    progress: boolean;
  },
): Promise<CaptionResult[]> {
  const loader = makeLoader(data, options.split, { batchSize: options.batchSize, seqPerImg: 1, seed: options.seed });
  const total = options.numImages < 0 ? loader.size : Math.min(options.numImages, loader.size);
  const progress: ProgressReporter = options.progress
    ? createProgress(`caption ${options.split}`, total)
    : { tick: () => undefined, stop: () => undefined };
  const rng = new Random(options.seed);
  const results: CaptionResult[] = [];
  const wasTraining = model.training;
  model.eval();
  try {
    while (results.length < total) {
      const batch = await loader.next();
      if (batch === null) break;
      const features = featureTensors(batch, factory.uses);
      try {
        const decoded = decodeBatch(model, factory.features(features), data.cocotalk.vocabulary, options, rng);
        for (let i = 0; i < batch.infos.length && results.length < total; i++) {
          const caption = captionText(
            captionTokens(decoded, i),
            data.cocotalk.vocabulary,
            options.removeBadEndings === 1,
          );
          results.push({ image_id: batch.infos[i]?.id as number, caption });
          progress.tick();
        }
      } finally {
        disposeFeatures(features);
      }
    }
  } finally {
    progress.stop();
    model.train(wasTraining);
  }
  return results;
}

/**
 * Raw reference captions of a split: from a COCO captions file or Karpathy `dataset_*.json` when given
 * (what coco-caption scores against), else the label rows turned back into words (UNK'd and clipped at
 * the label width: lower scores, said in the report).
 */
export async function splitReferences(
  data: RunData,
  split: LoaderSplit,
  referenceJson: string | null,
): Promise<{ refs: RawRefs; source: string }> {
  if (referenceJson !== null) {
    const json = await readJsonFile(referenceJson);
    const { refs } = readReferences(json, { split, file: referenceJson });
    return { refs, source: referenceJson };
  }
  const refs: Record<string, string[]> = {};
  const { labels, cocotalk } = data;
  const width = labels.seqLength;
  cocotalk.images.forEach((image, ix) => {
    if (image.split !== split) return;
    const first = (labels.labelStartIx[ix] as number) - 1;
    const last = (labels.labelEndIx[ix] as number) - 1;
    const list: string[] = [];
    for (let r = first; r <= last; r++) {
      const ids = Array.from(labels.labels.subarray(r * width, (r + 1) * width)).filter((v) => v !== 0);
      list.push(captionText(ids, cocotalk.vocabulary, false));
    }
    refs[String(image.id)] = list;
  });
  return { refs, source: 'the label rows of cocotalk_label.h5 (UNK-mapped, clipped)' };
}

/** Which METEOR data to use, or why METEOR cannot run. */
export interface MeteorChoice {
  /** Options for `evaluate` (null: METEOR is left out). */
  options: MetricFamilyOptions | null;
  /** One line for logs and the report. */
  note: string;
}

/**
 * Finds METEOR's data: the given folder or jar, else `CAPTION_METEOR_DATA`, else a pycocoevalcap
 * installation. Without a paraphrase table (and none asked for), METEOR runs its exact, stem and synonym
 * stages only, which is said in the note. METEOR is left out (never faked) when no data is found.
 */
export function chooseMeteor(meteorData: string | null, meteorParaphrase: string | null): MeteorChoice {
  const data = meteorData ?? undefined;
  const paraphrase: string | false | undefined = meteorParaphrase === 'none' ? false : (meteorParaphrase ?? undefined);
  try {
    const where = locateMeteorData({ meteorData: data, meteorParaphrase: paraphrase });
    const note =
      where.paraphrase === null
        ? `METEOR 1.5 from ${where.resources}, without the paraphrase stage (exact, stem and ` +
          `synonym only: lower than coco-caption's METEOR)`
        : `METEOR 1.5 from ${where.resources} with the paraphrase table ${where.paraphrase}`;
    return {
      options: { meteorData: data, meteorParaphrase: where.paraphrase === null ? false : where.paraphrase },
      note,
    };
  } catch (e) {
    if (!MetricsInputError.isInstance(e)) throw e;
    if (paraphrase === undefined && /paraphrase/.test(e.message)) return chooseMeteor(meteorData, 'none');
    return { options: null, note: `METEOR not computed: ${e.message}` };
  }
}

/** Scores results against references with coco-caption's metrics (METEOR when `meteor.options` is set). */
export async function scoreResults(
  results: readonly CaptionResult[],
  refs: RawRefs,
  meteor: MeteorChoice,
): Promise<EvaluationResult> {
  const cands: Record<string, string> = {};
  for (const r of results) cands[String(r.image_id)] = r.caption;
  const metrics: MetricName[] =
    meteor.options === null ? ['bleu', 'rouge', 'cider'] : ['bleu', 'meteor', 'rouge', 'cider'];
  const subset: Record<string, string[]> = {};
  for (const id of Object.keys(cands)) {
    const list = refs[id];
    if (list === undefined)
      throw new MetricsInputError('no reference captions for this image', { imageId: id, field: 'image_id' });
    subset[id] = [...list];
  }
  // a caption with no token (a model can emit the end token first) is scored 0, as coco-caption scores it
  return evaluate(subset, cands, { ...(meteor.options ?? {}), metrics, emptyCandidates: 'score-zero' });
}

/** Reads a COCO results file. */
export function readResults(file: string): CaptionResult[] {
  return JSON.parse(readFileSync(file, 'utf8')) as CaptionResult[];
}
