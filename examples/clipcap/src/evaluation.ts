/**
 * Captioning a split with ClipCap captioners (greedy = ClipCap's `generate2`, or its `generate_beam`), one model or
 * an ensemble (core's `EnsembleCaptionModel`: the members' next-token probabilities averaged), and scoring with
 * `@caption/metrics`: English as coco-caption does (PTB tokenizer; METEOR when its data is found), Chinese on jieba
 * words or characters as the AI Challenger evaluation does (METEOR has no Chinese resources: left out).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type CaptionModel, EnsembleCaptionModel } from '@caption/core';
import { chooseMeteor, type CaptionResult, type MeteorChoice, scoreResults } from '@caption/example-common';
import type { CaptionLanguage } from '@caption/example-shapes';
import { evaluate, type EvaluationResult, type RawRefs } from '@caption/metrics';
import { ClipCapDecoder, type ClipCapModel, generateBeam, generateGreedy } from '@caption/models-clipcap';
import type { CaptionTokenizer } from './caption-tokenizer';

/** How captions are generated. */
export interface GenerationOptions {
  /** 1: greedy; more: ClipCap's beam search. */
  beamSize: number;
  /** Tokens generated at most, end-of-text included. */
  maxLength: number;
  /** Images per batch. */
  batchSize: number;
}

/** The captioners of one tokenizer as one decoding model: a {@link ClipCapDecoder}, or the ensemble of several. */
export function captionModelOf(
  models: readonly ClipCapModel[],
  tokenizer: CaptionTokenizer,
): CaptionModel<tf.Tensor2D> {
  const decoders = models.map((m) => new ClipCapDecoder(m.eval(), { stopToken: tokenizer.endOfText }));
  return decoders.length === 1 ? (decoders[0] as ClipCapDecoder) : new EnsembleCaptionModel(decoders);
}

/**
 * Captions for every row of `embeddings` (`[N, D]` CLIP image embeddings, row-major), and the wall time of the
 * generation alone.
 */
export function captionEmbeddings(
  model: CaptionModel<tf.Tensor2D>,
  tokenizer: CaptionTokenizer,
  embeddings: Float32Array,
  dim: number,
  options: GenerationOptions,
): { captions: string[]; milliseconds: number } {
  const n = embeddings.length / dim;
  const captions: string[] = [];
  let milliseconds = 0;
  for (let start = 0; start < n; start += options.batchSize) {
    const rows = Math.min(options.batchSize, n - start);
    const features = tf.tensor2d(embeddings.subarray(start * dim, (start + rows) * dim), [rows, dim]);
    const t0 = performance.now();
    const ids =
      options.beamSize > 1
        ? generateBeam(model, features, { beamSize: options.beamSize, maxLength: options.maxLength }).map(
            (beams) => beams[0]?.tokens ?? [],
          )
        : generateGreedy(model, features, { maxLength: options.maxLength });
    milliseconds += performance.now() - t0;
    features.dispose();
    for (const row of ids) captions.push(tokenizer.captionText(row));
  }
  return { captions, milliseconds };
}

/** How captions of a language are scored. */
export interface ScoringOptions {
  language: CaptionLanguage;
  /** METEOR's data (English only; `chooseMeteor`'s choice). */
  meteor: MeteorChoice | null;
  /** Chinese tokens for the metrics. */
  zhTokenize: 'jieba' | 'char';
}

/** The METEOR choice of the examples (`@caption/example-common`'s `chooseMeteor`). */
export function meteorChoice(meteorData: string | null): MeteorChoice {
  return chooseMeteor(meteorData, null);
}

/** A line saying how a language was scored (for logs, results and the report). */
export function scoringNote(o: ScoringOptions): string {
  if (o.language === 'zh')
    return `Chinese: BLEU, ROUGE-L, CIDEr-D on ${o.zhTokenize === 'jieba' ? 'jieba words' : 'characters'} (@caption/metrics tokenize '${o.zhTokenize}', as the AI Challenger evaluation); METEOR has no Chinese resources`;
  return `English: coco-caption (PTB tokenizer); ${o.meteor?.note ?? 'METEOR not asked for'}`;
}

/** Scores results against the raw references of their images. */
export async function scoreCaptions(
  results: readonly CaptionResult[],
  refs: RawRefs,
  o: ScoringOptions,
): Promise<EvaluationResult> {
  if (o.language === 'en') return scoreResults(results, refs, o.meteor ?? { options: null, note: '' });
  const cands: Record<string, string> = {};
  const subset: Record<string, string[]> = {};
  for (const r of results) {
    cands[String(r.image_id)] = r.caption;
    subset[String(r.image_id)] = [...(refs[String(r.image_id)] ?? [])];
  }
  return evaluate(subset, cands, {
    metrics: ['bleu', 'rouge', 'cider'],
    tokenize: o.zhTokenize,
    emptyCandidates: 'score-zero',
  });
}
