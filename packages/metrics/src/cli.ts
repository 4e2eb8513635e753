#!/usr/bin/env node
/**
 * `caption-eval`: score a COCO results file against COCO captions annotations or a Karpathy split, as
 * coco-caption's COCOEvalCap does.
 *
 * ```sh
 * caption-eval --refs captions_val2014.json --results results.json --json
 * caption-eval --refs dataset_coco.json --split test --results results.json.gz --metrics bleu,cider --per-image scores.json
 * ```
 *
 * stdout carries only the scores (one JSON object with `--json`, else a table); progress (a bar on a TTY,
 * plain lines otherwise), warnings and errors go to stderr. Any problem exits non-zero with a message naming
 * the file, the image id and the field.
 */
import { isAscii } from 'node:buffer';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import packageJson from '../package.json';
import { evaluateCoco, type EvaluateCocoOptions } from './coco-files';
import { MetricsInputError } from './errors';
import type {
  CaptionTokenizer,
  EmptyCandidatePolicy,
  EvaluationProgress,
  EvaluationResult,
  TokenizerName,
} from './evaluate';
import { METRIC_FAMILIES, METRIC_NAMES, familyUnavailableReason } from './metric-families';
import { MIN_CAPTIONS_PER_THREAD, ptbTokenizeParallel, startPtbWorkers } from './tokenizer/ptb-parallel';
import type { MetricName } from './types';

/** The PTB tokenizer on the machine's cores (same output as on one). */
const ptbOnEveryCore: CaptionTokenizer = Object.assign(
  (captions: Record<string, readonly string[]>) => ptbTokenizeParallel(captions, availableParallelism()),
  { tokenizerName: 'ptb' },
);

/** Parsed command-line options. */
interface CliOptions {
  refs: string;
  results: string;
  split: string;
  metrics?: string;
  json?: boolean;
  perImage?: string;
  tokenize: TokenizerName;
  requireAll?: boolean;
  emptyCaptions: EmptyCandidatePolicy;
  meteorData?: string;
  meteorParaphrase?: string;
  wordVectors?: string;
  spiceJar?: string;
  spiceJava?: string;
  spiceCache?: string;
}

/** Metric names the API knows but this version cannot compute. */
const NOT_IMPLEMENTED = METRIC_NAMES.filter((name) => !METRIC_FAMILIES.some((family) => family.name === name));

const HELP_AFTER = `
Examples:
  caption-eval --refs captions_val2014.json --results results.json
  caption-eval --refs captions_val2014.json.gz --results results.json.gz --json
  caption-eval --refs dataset_coco.json --split test --results results.json --metrics bleu,rouge,cider --per-image scores.json

stdout holds only the scores (a table, or one JSON object with --json); progress, warnings and errors go to
stderr. Metrics: ${METRIC_FAMILIES.map((family) => family.name).join(', ')}: bleu, rouge and cider always; meteor
when its data is found; spice when Java and spice-1.0.jar (with its lib/) are found; wmd when --word-vectors
is given${NOT_IMPLEMENTED.length > 0 ? `; ${NOT_IMPLEMENTED.join(', ')}: not available in this version` : ''}.
Chinese: --tokenize jieba scores as the AI Challenger 2017 caption evaluation (METEOR has no Chinese data).
A result caption with no token (empty, or only punctuation such as "...", which coco-caption's tokenizer
removes) is an error; --empty-captions score-zero scores it 0 as coco-caption does. A reference caption that
tokenizes to nothing is kept as an empty reference, as coco-caption keeps it, with a warning.
Exit status: 0 scores printed; 1 bad input or options (the message names the file, the image id and the
field); 2 internal error.`;

function buildProgram(): Command {
  return (
    new Command('caption-eval')
      .description(
        'Caption scores identical to the coco-caption evaluation (BLEU, METEOR, ROUGE-L, CIDEr, SPICE, WMD).',
      )
      .version(packageJson.version)
      .requiredOption(
        '--refs <file>',
        'references: COCO captions annotations (captions_*.json) or a Karpathy dataset_*.json (.gz too)',
      )
      .requiredOption('--results <file>', 'results: COCO results JSON [{image_id, caption}] (.gz too)')
      .option('--split <name>', 'split of a Karpathy dataset file to take references from', 'test')
      .option(
        '--metrics <list>',
        `comma-separated metrics among ${METRIC_NAMES.join(',')} (default: every metric that can run)`,
      )
      .option('--json', 'print one JSON object of corpus scores on stdout and nothing else')
      .option('--per-image <file>', 'write per-image scores to this JSON file (gzipped when it ends with .gz)')
      .addOption(
        new Option(
          '--tokenize <mode>',
          'tokenizer: ptb (as coco-caption), none (captions already tokenized), jieba (Chinese, as the AI Challenger 2017 evaluation: jieba words, then the PTB pass) or char (Chinese, one token per character, then the PTB pass); references and results alike',
        )
          .choices(['ptb', 'none', 'jieba', 'char'])
          .default('ptb'),
      )
      .option(
        '--require-all',
        'fail when a reference image has no result (default: score the images that have one, as COCOEvalCap)',
      )
      .addOption(
        new Option(
          '--empty-captions <policy>',
          'a result caption with no token (empty, or only punctuation like "..."): ' +
            'error, or score-zero to score it 0 as coco-caption does (with a warning)',
        )
          .choices(['error', 'score-zero'])
          .default('error'),
      )
      .option(
        '--meteor-data <path>',
        'METEOR data: meteor-1.5.jar, a folder holding it, or its resource folder ' +
          '(default: $CAPTION_METEOR_DATA, else a pycocoevalcap installation)',
      )
      .option(
        '--meteor-paraphrase <file|none>',
        'METEOR paraphrase table (default: data/paraphrase-en.gz beside ' +
          'the jar); none: score without it (lower than coco-caption)',
      )
      .option(
        '--word-vectors <file>',
        'WMD word vectors: word2vec text or binary (.bin), or GloVe text; .gz accepted (coco-caption: GoogleNews-vectors-negative300.bin)',
      )
      .option(
        '--spice-jar <path>',
        'SPICE: spice-1.0.jar or its folder, with lib/ holding Stanford CoreNLP 3.6.0 (default: $CAPTION_SPICE_JAR, else a pycocoevalcap installation)',
      )
      .option(
        '--spice-java <command>',
        'SPICE: the java command (default: $CAPTION_JAVA, $JAVA_HOME/bin/java, java on the PATH)',
      )
      .option(
        '--spice-cache <folder|none>',
        'SPICE parse cache (default: ~/.cache/caption-metrics/spice-cache); none: no cache',
      )
      .addHelpText('after', HELP_AFTER)
      // Commander's own errors (unknown option, missing --refs, ...) get the prefix of ours.
      .configureOutput({ outputError: (text, write) => write(`caption-eval: ${text}`) })
  );
}

/**
 * Says on stderr which metrics the default set (no --metrics) leaves out here, so that a missing METEOR is not
 * silent. A family whose data flags were given (METEOR's `--meteor-data` / `--meteor-paraphrase`, SPICE's
 * `--spice-jar` / `--spice-java`) was asked for: that it cannot run is an error, not a note.
 *
 * @throws MetricsInputError when an asked-for family cannot run (the reason names the missing file, and for
 *   METEOR the `--meteor-paraphrase none` choice)
 */
function reportSkippedDefaults(options: EvaluateCocoOptions, askedFor: ReadonlyMap<string, string>): void {
  for (const family of METRIC_FAMILIES) {
    const reason = familyUnavailableReason(family, options);
    if (reason === null) continue;
    const flags = askedFor.get(family.name);
    if (flags !== undefined) {
      throw new MetricsInputError(`${family.name.toUpperCase()} was asked for (${flags}) but cannot run: ${reason}`);
    }
    process.stderr.write(
      `caption-eval: note: ${family.name} is not run (it cannot run here; --metrics ${family.name} says why)\n`,
    );
  }
}

/** Fewer bytes than a COCO annotation file spends per caption (`{"image_id": 1, "id": 1, "caption": "..."}`). */
const MIN_BYTES_PER_CAPTION = 40;

const fileSize = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0; // readJsonFile says what is wrong
  }
};

/** Reads a JSON file, gunzipping `.gz` (or gzip-magic) content. */
function readJsonFile(file: string): unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new MetricsInputError(`cannot read file: ${(error as Error).message}`, { file }, { cause: error });
  }
  if (file.endsWith('.gz') || (bytes[0] === 0x1f && bytes[1] === 0x8b)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new MetricsInputError(`not valid gzip: ${(error as Error).message}`, { file }, { cause: error });
    }
  }
  // a UTF-8 byte order mark is skipped in the bytes (not by copying the decoded text)
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    // ASCII (most caption files) is decoded as latin1, the same text without UTF-8's decoding work
    return JSON.parse(bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8', start));
  } catch (error) {
    throw new MetricsInputError(`invalid JSON: ${(error as Error).message}`, { file }, { cause: error });
  }
}

function parseMetrics(list: string | undefined): MetricName[] | undefined {
  if (list === undefined) return undefined;
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of names) {
    if (!(METRIC_NAMES as readonly string[]).includes(name)) {
      throw new MetricsInputError(`unknown metric "${name}" (known: ${METRIC_NAMES.join(', ')})`, {
        field: '--metrics',
      });
    }
  }
  return names as MetricName[];
}

/** Progress on stderr: a bar on a TTY, one plain line per stage otherwise. */
function progressReporter(): { onProgress: (progress: EvaluationProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: 'caption-eval [{bar}] {value}/{total} {stage}',
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      onProgress: ({ stage, completed, total }) => {
        if (!started) {
          bar.start(total, completed, { stage });
          started = true;
        } else {
          bar.update(completed, { stage });
        }
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  return {
    onProgress: ({ stage, completed, total }) => {
      if (stage !== 'done') process.stderr.write(`caption-eval: ${stage} (${completed + 1}/${total})\n`);
    },
    stop: () => {},
  };
}

function perImageRows(result: EvaluationResult): object[] {
  return result.imageIds.map((id) => ({
    image_id: /^(0|[1-9]\d*)$/.test(id) && Number.isSafeInteger(Number(id)) ? Number(id) : id,
    ...result.perImage[id],
    ...(result.spiceCategories === undefined ? {} : { SPICE_categories: result.spiceCategories[id] }),
  }));
}

function formatTable(result: EvaluationResult, refs: string, results: string): string {
  const lines = [`${result.imageIds.length} images scored (${basename(results)} against ${basename(refs)})`];
  const entries = Object.entries(result.corpus);
  const width = Math.max(...entries.map(([key]) => key.length));
  for (const [key, value] of entries) lines.push(`  ${key.padEnd(width)}  ${value.toFixed(6)}`);
  return `${lines.join('\n')}\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  program.parse(argv);
  const options = program.opts<CliOptions>();
  const progress = progressReporter();
  try {
    // the tokenizer threads load while this thread reads the files, when there will be enough captions for them
    if (options.tokenize === 'ptb' && fileSize(options.refs) >= 2 * MIN_CAPTIONS_PER_THREAD * MIN_BYTES_PER_CAPTION) {
      startPtbWorkers(availableParallelism());
    }
    const references = readJsonFile(options.refs);
    const results = readJsonFile(options.results);
    const evaluateOptions: EvaluateCocoOptions = {
      metrics: parseMetrics(options.metrics),
      tokenize: options.tokenize === 'ptb' ? ptbOnEveryCore : options.tokenize,
      split: options.split,
      missingCandidates: options.requireAll === true ? 'error' : 'skip',
      emptyCandidates: options.emptyCaptions,
      referencesFile: options.refs,
      candidatesFile: options.results,
      onProgress: progress.onProgress,
      meteorData: options.meteorData,
      meteorParaphrase: options.meteorParaphrase === 'none' ? false : options.meteorParaphrase,
      wordVectors: options.wordVectors,
      spiceJar: options.spiceJar,
      spiceJava: options.spiceJava,
      spiceCache: options.spiceCache === 'none' ? false : options.spiceCache,
    };
    if (evaluateOptions.metrics === undefined) {
      const askedFor = new Map<string, string>();
      if (options.meteorData !== undefined || options.meteorParaphrase !== undefined)
        askedFor.set('meteor', '--meteor-data / --meteor-paraphrase');
      if (options.spiceJar !== undefined || options.spiceJava !== undefined)
        askedFor.set('spice', '--spice-jar / --spice-java');
      reportSkippedDefaults(evaluateOptions, askedFor);
    }
    const result = await evaluateCoco(references, results, evaluateOptions);
    progress.stop();
    if (result.skippedReferenceIds.length > 0) {
      process.stderr.write(
        `caption-eval: warning: ${result.skippedReferenceIds.length} reference image(s) have no result and ` +
          `were not scored (as COCOEvalCap with ` +
          `params['image_id'] = cocoRes.getImgIds()); --require-all makes this an error\n`,
      );
    }
    if (result.emptyCandidateIds.length > 0) {
      process.stderr.write(
        `caption-eval: warning: ${result.emptyCandidateIds.length} result caption(s) have no token ` +
          `after tokenization (scored 0 as ` +
          `by coco-caption, --empty-captions score-zero), e.g. image id ${result.emptyCandidateIds[0]}\n`,
      );
    }
    const firstEmptyReference = result.emptyReferences[0];
    if (firstEmptyReference !== undefined) {
      process.stderr.write(
        `caption-eval: warning: ${result.emptyReferences.length} reference caption(s) have no token ` +
          `after tokenization (kept as empty ` +
          `references, as by coco-caption; they count ` +
          `in their image's ` +
          `scores), e.g. ` +
          `file ${options.refs}, image id ${firstEmptyReference.imageId}, caption ${firstEmptyReference.index}\n`,
      );
    }
    if (options.perImage !== undefined) {
      const text = `${JSON.stringify(perImageRows(result))}\n`;
      try {
        writeFileSync(options.perImage, options.perImage.endsWith('.gz') ? gzipSync(text) : text);
      } catch (error) {
        throw new MetricsInputError(`cannot write per-image scores: ${(error as Error).message}`, {
          file: options.perImage,
        });
      }
    }
    process.stdout.write(
      options.json === true ? `${JSON.stringify(result.corpus)}\n` : formatTable(result, options.refs, options.results),
    );
    return 0;
  } catch (error) {
    progress.stop();
    if (MetricsInputError.isInstance(error)) {
      process.stderr.write(`caption-eval: error: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(
      `caption-eval: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 2;
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});
