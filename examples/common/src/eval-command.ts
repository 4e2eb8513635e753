/**
 * `eval`: the reference's `eval.py`: loads a run's best (else latest) checkpoint with the configuration
 * stored in it, captions a split (greedy, sampling or beam search), writes the COCO results file
 * (`[{image_id, caption}]`), and with `languageEval` the corpus and per-image scores of `@caption/metrics`.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointStore, initBackend, loadModelWeights, Random, writeFileAtomic } from '@caption/core';
import { DataWriteError, writeFailureReason } from '@caption/data-coco';
import type { EvaluationResult } from '@caption/metrics';
import { openRunData } from './data';
import { ExampleOptionsError } from './errors';
import { type CaptionResult, captionSplit, chooseMeteor, scoreResults, splitReferences } from './evaluation';
import { type EvalOptions, type TrainOptions, trainOptionParser } from './options';
import type { AnyFactory } from './train';

/** What {@link runEval} wrote and computed. */
export interface EvalOutput {
  /** The folder of the outputs. */
  dumpPath: string;
  /** The checkpoint evaluated. */
  checkpoint: string;
  results: CaptionResult[];
  /** Corpus scores (empty without languageEval). */
  corpus: EvaluationResult['corpus'];
  /** Per-image scores (empty without languageEval). */
  perImage: EvaluationResult['perImage'];
  /** How METEOR was handled. */
  meteor: string;
  /** The backend line. */
  backend: string;
  /** Captions with no word (the model emitted the end token first); a warning says how many. */
  emptyCaptions: number;
  /** Seconds spent. */
  seconds: number;
}

const DATA_KEYS = [
  'inputJson',
  'inputLabelH5',
  'inputFcDir',
  'inputAttDir',
  'inputBoxDir',
  'referenceJson',
  'preloadFeatures',
  'trainOnly',
] as const;
/**
 * Options that decide the model's input: fixed by the checkpoint (the reference's `eval.py` takes them from the model's
 * infos).
 */
const MODEL_INPUT_KEYS = ['useBox', 'normAttFeat', 'normBoxFeat'] as const;

/**
 * Evaluates a trained model (see the module comment). Data paths not given explicitly come from the
 * training configuration stored in the checkpoint.
 *
 * @throws ExampleOptionsError when `modelPath` holds no checkpoint, or the stored configuration is invalid
 */
export async function runEval(
  options: EvalOptions,
  factories: readonly AnyFactory[],
  context: {
    /** Options given explicitly (they override the checkpoint's stored configuration). */
    explicit?: ReadonlySet<string>;
    /** Where warnings go; default standard error. */
    log?: (line: string) => void;
  } = {},
): Promise<EvalOutput> {
  const started = performance.now();
  const log = context.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  if (options.modelPath === null)
    throw new ExampleOptionsError(
      'modelPath',
      "eval: option 'modelPath' is required (a run folder or a checkpoint folder)",
    );
  const modelPath = resolve(options.modelPath);
  const store = new CheckpointStore(modelPath);
  const checkpoint = existsSync(join(modelPath, 'training-state.json'))
    ? store.load({ path: modelPath })
    : (store.load('best') ?? store.load('latest'));
  if (checkpoint === null)
    throw new ExampleOptionsError(
      'modelPath',
      `eval: option 'modelPath' is ${options.modelPath}, which holds no checkpoint`,
    );
  const stored = trainOptionParser.validate(
    checkpoint.state.config as Record<string, unknown>,
    `${checkpoint.path}/training-state.json`,
  );
  const trainOptions: TrainOptions = { ...stored };
  const explicit = context.explicit ?? new Set<string>();
  for (const key of DATA_KEYS) if (explicit.has(key)) (trainOptions as Record<string, unknown>)[key] = options[key];
  for (const key of MODEL_INPUT_KEYS) {
    if (explicit.has(key) && options[key] !== stored[key]) {
      throw new ExampleOptionsError(
        key,
        `eval: option '${key}' is ${options[key]}, but the model in ${checkpoint.path} was trained ` +
          `with ${stored[key]} (it is taken from the ` +
          `checkpoint; leave it out)`,
      );
    }
  }
  const factory = factories.find((f) => f.name === trainOptions.captionModel);
  if (factory === undefined) {
    throw new ExampleOptionsError(
      'modelPath',
      `eval: the checkpoint's captionModel is "${trainOptions.captionModel}", which this example does not build`,
    );
  }
  // the output folder is checked before any decoding, so that its failure does not come after minutes of work
  const dumpPath = resolve(options.dumpPath ?? join(modelPath, `eval-${options.split}`));
  checkWritableFolder(dumpPath);
  const backend = await initBackend(options.backend);
  const data = await openRunData(trainOptions, factory.uses, {
    splits: [options.split],
    cachedTokens: null,
    preload: trainOptions.preloadFeatures === 1,
  });
  const model = factory.create(trainOptions, data.shape, new Random(0));
  loadModelWeights(model, checkpoint);
  const results = await captionSplit(model, factory, data, {
    ...options,
    seed: options.seed,
    progress: options.progress !== 'silent',
  });
  model.dispose();
  const emptyCaptions = results.filter((r) => r.caption.trim() === '').length;
  if (emptyCaptions > 0) {
    log(
      `eval: warning: ${emptyCaptions} of ${results.length} captions are empty (the model emitted the end token first); they score 0`,
    );
  }

  writeFileAtomic(join(dumpPath, 'results.json'), `${JSON.stringify(results)}\n`);
  let corpus: EvaluationResult['corpus'] = {};
  let perImage: EvaluationResult['perImage'] = {};
  let meteorNote = 'no language evaluation';
  if (options.languageEval === 1) {
    const meteor = chooseMeteor(options.meteorData, options.meteorParaphrase);
    meteorNote = meteor.note;
    const { refs, source } = await splitReferences(data, options.split, trainOptions.referenceJson);
    const evaluation = await scoreResults(results, refs, meteor);
    corpus = evaluation.corpus;
    perImage = evaluation.perImage;
    writeFileAtomic(join(dumpPath, 'per-image.json'), `${JSON.stringify(perImage)}\n`);
    writeFileAtomic(
      join(dumpPath, 'scores.json'),
      `${JSON.stringify({ split: options.split, images: results.length, checkpoint: checkpoint.path, references: source, meteor: meteor.note, decoding: decodingOf(options), corpus }, null, 1)}\n`,
    );
  }
  return {
    dumpPath,
    checkpoint: checkpoint.path,
    results,
    corpus,
    perImage,
    meteor: meteorNote,
    backend: backend.description,
    emptyCaptions,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Creates `dir` and a file in it (removed at once), so that an unwritable output folder fails up front. */
function checkWritableFolder(dir: string): void {
  const probe = join(dir, `.write-check-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(probe, '');
    rmSync(probe, { force: true });
  } catch (cause) {
    throw new DataWriteError(dir, writeFailureReason(cause), { cause });
  }
}

function decodingOf(o: EvalOptions): Record<string, unknown> {
  return {
    beamSize: o.beamSize,
    sampleMethod: o.sampleMethod,
    maxLength: o.maxLength,
    lengthPenalty: o.lengthPenalty,
    blockTrigrams: o.blockTrigrams,
    removeBadEndings: o.removeBadEndings,
  };
}
