/**
 * The `caption-data` command line: `prepro-labels`, `prepro-ngrams`, `check-images`, `preflight`,
 * `stats`. Option names follow the reference scripts (`--input_json` → `--input-json`). Exit status 0 on
 * success, 1 when the data has problems, 2 on bad usage.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { checkImages, imageEntriesFromJson, writeSkipList } from './check-images.js';
import { readCocoTalk, writeCocoTalk } from './cocotalk.js';
import { DataFormatError } from './errors.js';
import { pathUnderRoot } from './files.js';
import {
  type KarpathyDataset,
  karpathyFilePath,
  karpathyImageId,
  karpathyPathField,
  readKarpathyDataset,
} from './karpathy.js';
import { writeLabelsH5 } from './labels.js';
import { type NgramSplit, buildNgramCaches, writeDocumentFrequencyCache } from './ngrams.js';
import type { LoaderSplit } from './loader.js';
import { writeOutputSet } from './output-files.js';
import { preflight } from './preflight.js';
import { createProgress } from './progress.js';
import { prepareLabels } from './prepro.js';
import { datasetStats, formatStats } from './stats.js';
import { JIEBA_LIBRARY, type TokenizerSpec, createTokenizer, readCaptionLines, replaceCaptions } from './tokenizers.js';

/** Where the CLI writes (process streams by default; tests pass their own). */
export interface CliIo {
  /** Normal output. */
  stdout: { write(text: string): unknown };
  /** Messages, problems and progress. */
  stderr: NodeJS.WritableStream | { write(text: string): unknown };
}

class DataProblems extends Error {}

const LOADER_SPLITS: readonly LoaderSplit[] = ['train', 'val', 'test'];

/** A comma-separated list of loader splits (`train,val`), each checked. */
const splitList = (value: string): LoaderSplit[] =>
  value.split(',').map((part) => {
    const split = part.trim();
    if (!(LOADER_SPLITS as readonly string[]).includes(split)) {
      throw new InvalidArgumentError(`"${split}" is not a split (${LOADER_SPLITS.join(', ')})`);
    }
    return split as LoaderSplit;
  });

const int =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };

interface DatasetOptions {
  inputJson: string;
  tokenizer: 'given' | 'jieba' | 'char';
  keepPunctuation?: boolean;
  captions?: string;
}

/**
 * `work()`, with the file added to a {@link DataFormatError} that names none (an image's captions come from `file`).
 */
function withFile<T>(file: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (DataFormatError.isInstance(error) && error.file === undefined) {
      throw new DataFormatError(error.problem, { file, imageId: error.imageId, field: error.field }, { cause: error });
    }
    throw error;
  }
}

/** Reads the Karpathy file and, when asked, replaces or re-tokenizes its captions. */
async function loadDataset(opts: DatasetOptions): Promise<{ dataset: KarpathyDataset; tokenizer: TokenizerSpec }> {
  let dataset = await readKarpathyDataset(opts.inputJson, {
    keepRaw: opts.tokenizer !== 'given' || opts.captions !== undefined,
  });
  const keepPunctuation = opts.keepPunctuation === true;
  const spec: TokenizerSpec =
    opts.tokenizer === 'jieba'
      ? { kind: 'jieba', library: JIEBA_LIBRARY, keepPunctuation }
      : opts.tokenizer === 'char'
        ? { kind: 'char', keepPunctuation }
        : { kind: 'given' };
  if (opts.captions !== undefined) {
    dataset = replaceCaptions(dataset, await readCaptionLines(opts.captions), await createTokenizer(spec));
  } else if (spec.kind !== 'given') {
    const tokenize = await createTokenizer(spec);
    dataset = {
      ...dataset,
      images: dataset.images.map((im) => ({
        ...im,
        sentences: im.sentences.map((s) => {
          if (s.raw === undefined)
            throw new DataFormatError('re-tokenizing needs each sentence\'s "raw" text', {
              file: opts.inputJson,
              imageId: karpathyImageId(im),
              field: 'raw',
            });
          return { ...s, tokens: tokenize(s.raw) };
        }),
      })),
    };
  }
  return { dataset, tokenizer: spec };
}

function addDatasetOptions(cmd: Command): Command {
  return cmd
    .requiredOption(
      '--input-json <file>',
      'Karpathy split file (dataset_coco.json, dataset_flickr8k.json, ...; .gz accepted)',
    )
    .addOption(
      new Option('--tokenizer <kind>', "given: the file's tokens; jieba / char: tokenize the raw captions (Chinese)")
        .choices(['given', 'jieba', 'char'])
        .default('given'),
    )
    .option('--keep-punctuation', 'keep punctuation tokens when tokenizing (jieba, char)')
    .option(
      '--captions <file>',
      'replace the captions with those of a "<image>#<n> <caption>" file (Flickr8k-CN, COCO-CN), matched by file name',
    );
}

/** Builds the commander program. */
export function createProgram(io: CliIo): Command {
  const out = (text: string): void => {
    io.stdout.write(text);
  };
  const err = (text: string): void => {
    io.stderr.write(text);
  };
  const program = new Command('caption-data')
    .description('Prepare and check captioning data (COCO / Karpathy splits) before training')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err });

  addDatasetOptions(
    program
      .command('prepro-labels')
      .description(
        'vocabulary, cocotalk.json and cocotalk_label.h5 from a Karpathy split file (scripts/prepro_labels.py)',
      ),
  )
    .option('--output-json <file>', 'output vocabulary/images file', 'data.json')
    .option('--output-h5 <prefix>', 'output labels file prefix (writes <prefix>_label.h5)', 'data')
    .option('--max-length <n>', 'captions longer than this are clipped', int('--max-length'), 16)
    .option(
      '--word-count-threshold <n>',
      'words seen at most this many times become UNK',
      int('--word-count-threshold'),
      5,
    )
    .option('--images-root <dir>', "read each image's width and height from here (needed for box features)", '')
    .addOption(
      new Option(
        '--python-dict-order <n>',
        'vocabulary order and JSON key order of Python 3 (first occurrence) or Python 2 (hash order)',
      )
        .choices(['2', '3'])
        .default('3'),
    )
    .action(
      async (
        opts: DatasetOptions & {
          outputJson: string;
          outputH5: string;
          maxLength: number;
          wordCountThreshold: number;
          imagesRoot: string;
          pythonDictOrder: '2' | '3';
        },
      ) => {
        const { dataset, tokenizer } = await loadDataset(opts);
        let imageSizes: Map<number, { width: number; height: number }> | undefined;
        if (opts.imagesRoot !== '') {
          const sharp = (await import('sharp')).default;
          imageSizes = new Map();
          // one header read per image: minutes for COCO's 123k images, so show progress
          // every path checked before the long pass: none may lead outside the root
          const paths = dataset.images.map((im, i) =>
            pathUnderRoot(opts.imagesRoot, karpathyFilePath(im), {
              file: opts.inputJson,
              imageId: karpathyImageId(im),
              field: `images[${i}].${karpathyPathField(im)}`,
            }),
          );
          const progress = createProgress('image sizes', dataset.images.length, io.stderr as NodeJS.WritableStream);
          for (const [i, im] of dataset.images.entries()) {
            const path = paths[i] as string;
            try {
              const meta = await sharp(path).metadata();
              imageSizes.set(karpathyImageId(im) as number, { width: meta.width ?? 0, height: meta.height ?? 0 });
            } catch (cause) {
              progress.stop();
              throw new DataFormatError(
                `cannot read the image size (${(cause as Error).message})`,
                { file: path, imageId: karpathyImageId(im) },
                { cause },
              );
            }
            progress.tick();
          }
          progress.stop();
        }
        const python = opts.pythonDictOrder === '2' ? 2 : 3;
        const prepared = withFile(opts.captions ?? opts.inputJson, () =>
          prepareLabels(dataset, {
            maxLength: opts.maxLength,
            countThreshold: opts.wordCountThreshold,
            pythonDictOrder: python,
            tokenizer,
            imageSizes,
          }),
        );
        const h5 = `${opts.outputH5}_label.h5`;
        await writeOutputSet(async (files) => {
          await files.write(h5, (tmp) => writeLabelsH5(tmp, prepared.labels));
          await files.write(opts.outputJson, (tmp) =>
            writeCocoTalk(tmp, prepared.cocotalk, { pythonDictOrder: python }),
          );
        });
        const s = prepared.stats;
        out(`total words: ${s.totalWords}\n`);
        out(`number of bad words: ${s.rareWords}/${s.distinctWords}\n`);
        out(`number of words in vocab: ${prepared.cocotalk.vocabulary.size}\n`);
        out(`number of UNKs: ${s.unkCount}/${s.totalWords}\n`);
        out(`encoded captions to array of size [${prepared.labels.count}, ${prepared.labels.seqLength}]\n`);
        out(`wrote ${h5}\nwrote ${opts.outputJson}\n`);
      },
    );

  addDatasetOptions(
    program
      .command('prepro-ngrams')
      .description('CIDEr-D document-frequency caches <prefix>-idxs.p / -words.p (scripts/prepro_ngrams.py)'),
  )
    .requiredOption('--dict-json <file>', 'the cocotalk.json whose vocabulary the ids refer to')
    .option('--output-pkl <prefix>', 'output prefix', 'data/coco-all')
    .addOption(
      new Option('--split <split>', 'images counted (train includes restval)')
        .choices(['train', 'val', 'test', 'all'])
        .default('all'),
    )
    .action(async (opts: DatasetOptions & { dictJson: string; outputPkl: string; split: NgramSplit }) => {
      const { dataset } = await loadDataset(opts);
      const { vocabulary } = await readCocoTalk(opts.dictJson);
      const caches = buildNgramCaches(dataset.images, vocabulary, opts.split, {
        progress: (total) => createProgress('prepro-ngrams', total, io.stderr as NodeJS.WritableStream),
      });
      await writeOutputSet(async (files) => {
        await files.write(`${opts.outputPkl}-words.p`, (tmp) => writeDocumentFrequencyCache(tmp, caches.words));
        await files.write(`${opts.outputPkl}-idxs.p`, (tmp) => writeDocumentFrequencyCache(tmp, caches.idxs));
      });
      out(
        `total ` +
          `imgs: ${caches.idxs.refLen}\nwrote ${opts.outputPkl}-words.p (${caches.words.documentFrequency.size} n-grams)\nwrote ${opts.outputPkl}-idxs.p (${caches.idxs.documentFrequency.size} n-grams)\n`,
      );
    });

  program
    .command('check-images')
    .description(
      'decode every image before feature extraction; report each unreadable, ' +
        'truncated, mislabelled, empty or missing file by id and path',
    )
    .requiredOption('--input-json <file>', 'cocotalk.json or a Karpathy split file listing the images')
    .requiredOption('--images-root <dir>', 'folder the listed paths are relative to')
    .option('--skip-bad', 'continue past bad images: exit 0 and list them (with --skip-list) for later stages to skip')
    .option('--skip-list <file>', 'write the bad images as JSON [{id, path, kind, message}]')
    .option('--fail-fast', 'stop at the first bad image')
    .option('--concurrency <n>', 'images decoded at once', int('--concurrency'), 4)
    .option('--no-progress', 'no progress output')
    .action(
      async (opts: {
        inputJson: string;
        imagesRoot: string;
        skipBad?: boolean;
        skipList?: string;
        failFast?: boolean;
        concurrency: number;
        progress: boolean;
      }) => {
        const entries = await imageEntriesFromJson(opts.inputJson, opts.imagesRoot);
        const report = await checkImages(entries, {
          failFast: opts.failFast === true,
          concurrency: opts.concurrency,
          progress: opts.progress ? (io.stderr as NodeJS.WritableStream) : false,
        });
        for (const p of report.problems) out(`${String(p.id)}\t${p.path}\t${p.kind}: ${p.message}\n`);
        out(`checked ${report.checked} of ${entries.length} images: ${report.ok} ok, ${report.problems.length} bad\n`);
        if (opts.skipList !== undefined) {
          const skipList = opts.skipList;
          await writeOutputSet((files) => files.write(skipList, (tmp) => writeSkipList(tmp, report.problems)));
          out(`wrote ${opts.skipList}\n`);
        }
        if (report.problems.length > 0) {
          if (opts.skipBad === true) out(`skipping ${report.problems.length} bad images (--skip-bad)\n`);
          else
            throw new DataProblems(
              `${report.problems.length} bad images (rerun with --skip-bad to continue without them)`,
            );
        }
      },
    );

  program
    .command('preflight')
    .description(
      'check that vocabulary, labels, features, splits and the DF cache are mutually consistent before training',
    )
    .requiredOption('--input-json <file>', 'cocotalk.json')
    .option('--input-label-h5 <file>', 'cocotalk_label.h5')
    .option('--input-fc-dir <dir>', 'fc features (<id>.npy)')
    .option('--input-att-dir <dir>', 'att features (<id>.npz, key feat)')
    .option('--input-box-dir <dir>', 'boxes (<id>.npy)')
    .option('--fc-feat-size <n>', 'expected fc size', int('--fc-feat-size'))
    .option('--att-feat-size <n>', 'expected att feature size', int('--att-feat-size'))
    .option('--seq-length <n>', 'expected label width', int('--seq-length'))
    .option('--splits <list>', 'splits that will be used (comma-separated: train, val, test)', splitList, [
      ...LOADER_SPLITS,
    ])
    .option('--train-only', 'restval is not part of train')
    .option('--self-critical', 'self-critical training is configured: the DF cache must exist and match')
    .option(
      '--cached-tokens <path>',
      'the DF cache: the --output-pkl prefix given to prepro-ngrams (data/coco-train), or its -idxs file',
    )
    .option('--dataset-json <file>', 'the Karpathy file: recompute the DF cache and compare')
    .option('--json', 'print the report as JSON')
    .option('--no-progress', 'no progress output (feature pass, DF recount)')
    .action(
      async (
        opts: Record<string, unknown> & { inputJson: string; splits: LoaderSplit[]; progress: boolean; json?: boolean },
      ) => {
        const report = await preflight({
          inputJson: opts.inputJson,
          inputLabelH5: opts.inputLabelH5 as string | undefined,
          inputFcDir: opts.inputFcDir as string | undefined,
          inputAttDir: opts.inputAttDir as string | undefined,
          inputBoxDir: opts.inputBoxDir as string | undefined,
          fcFeatSize: opts.fcFeatSize as number | undefined,
          attFeatSize: opts.attFeatSize as number | undefined,
          seqLength: opts.seqLength as number | undefined,
          splits: opts.splits,
          trainOnly: opts.trainOnly === true,
          selfCritical: opts.selfCritical === true,
          cachedTokens: opts.cachedTokens as string | undefined,
          datasetJson: opts.datasetJson as string | undefined,
          progress: opts.progress ? (io.stderr as NodeJS.WritableStream) : false,
        });
        if (opts.json === true) {
          out(
            `${JSON.stringify({ ok: report.ok, checked: report.checked, suppressed: report.suppressed, errors: report.errors.map((e) => ({ file: e.file, imageId: e.imageId, field: e.field, problem: e.problem })) }, null, 1)}\n`,
          );
        } else {
          for (const e of report.errors) out(`${e.message}\n`);
          for (const [kind, n] of Object.entries(report.suppressed))
            out(`... and ${n} more problems of kind ${kind}\n`);
          const c = report.checked;
          out(
            `checked ${c.images} images, ${c.labelRows} label rows, ${c.featureFiles} feature ` +
              `files, ${c.dfNgrams} DF n-grams: ${report.ok ? 'ok' : `${report.errors.length} problems`}\n`,
          );
        }
        if (!report.ok) throw new DataProblems('preflight failed');
      },
    );

  program
    .command('stats')
    .description('split sizes, vocabulary size and caption-length statistics of a Karpathy split file')
    .requiredOption('--input-json <file>', 'Karpathy split file (.gz accepted)')
    .option('--word-count-threshold <n>', 'vocabulary threshold', int('--word-count-threshold'), 5)
    .option('--max-length <n>', 'label clipping length', int('--max-length'), 16)
    .option('--json', 'print JSON')
    .action(async (opts: { inputJson: string; wordCountThreshold: number; maxLength: number; json?: boolean }) => {
      const dataset = await readKarpathyDataset(opts.inputJson, { keepRaw: false });
      const stats = datasetStats(dataset, { countThreshold: opts.wordCountThreshold, maxLength: opts.maxLength });
      out(opts.json === true ? `${JSON.stringify(stats, null, 1)}\n` : formatStats(stats));
    });

  return program;
}

/**
 * Runs `caption-data` with the given arguments (without `node` and the script name).
 *
 * @returns the exit status: 0 success, 1 data problems, 2 bad usage
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof DataProblems) {
      io.stderr.write(`caption-data: ${error.message}\n`);
      return 1;
    }
    if (DataFormatError.isInstance(error)) {
      io.stderr.write(`caption-data: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
