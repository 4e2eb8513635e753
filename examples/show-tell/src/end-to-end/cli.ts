/**
 * The end-to-end Show-Tell from the command line (the tutorial's scripts, option names in kebab-case):
 *
 * - `train`: images + captions → `encoder-N` / `decoder-N` each epoch (`train.py`, with `build_vocab.py`'s
 *   threshold);
 * - `eval`: captions of a split, scored (COCO results JSON and scores);
 * - `caption <image>`: the caption of one image file (`sample.py`).
 *
 * Exit status: 0 ok, 1 data / checkpoint / image problems (message only), 2 bad options.
 */
import { resolve } from 'node:path';
import type { BackendKind } from '@caption/core';
import { IMAGENET_MEAN, IMAGENET_STD, KARPATHY_SPLITS, type KarpathySplit, DataFormatError } from '@caption/data-coco';
import { ImageFeaturesError, parseTriple } from '@caption/example-image-features';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseBackboneSpec } from './backbone';
import { loadCaptioner, resolveCheckpoint } from './checkpoints';
import { EndToEndError } from './errors';
import { captionImageFile, evaluateSplit } from './evaluate';
import type { TransformOptions } from './data';
import { type EndToEndTrainOptions, runEndToEndTraining } from './train';

const int =
  (name: string, min = 1) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
const num = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number`);
  return n;
};
const backendOption = () =>
  new Option('--backend <kind>', 'tfjs backend').choices(['auto', 'wasm', 'cpu']).default('wasm');

/**
 * What commander parses for `train`: {@link EndToEndTrainOptions} with the image folder and backbone as typed, the
 * transforms flat and the flip as 0/1 (each option is described once, in the library's options).
 */
type TrainCli = Omit<EndToEndTrainOptions, 'imagesRoot' | 'backbone' | 'transforms' | 'resume' | 'log'> &
  Omit<TransformOptions, 'flip'> & { imageDir: string; backbone: string; flip: number; resume?: boolean };

/** The command line, writing to the given streams. */
export function createEndToEndProgram(io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Command {
  const program = new Command('show-tell-e2e')
    .description('Show-Tell end to end from image files (the Show-and-Tell tutorial)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const log = (line: string) => io.stdout.write(`${line}\n`);

  program
    .command('train')
    .description('train from images: frozen backbone + trainable embedding → LSTM; encoder-N/decoder-N each epoch')
    .requiredOption('--input-json <file>', 'Karpathy split file (captions, image paths, splits)')
    .requiredOption('--image-dir <folder>', 'folder the image paths are relative to')
    .requiredOption('--model-path <folder>', 'run folder (vocab.json, encoder-N / decoder-N, train-log.tsv)')
    .requiredOption('--backbone <spec>', 'shapes-cnn:<region-cnn.safetensors> or tfjs:<model folder>#<layer>')
    .option('--resize <n>', 'side images are resized to first (resize.py)', int('--resize'), 256)
    .option('--crop-size <n>', 'random crop side (train.py --crop_size)', int('--crop-size'), 224)
    .option('--flip <0|1>', 'random horizontal flip (the tutorial: 1)', int('--flip', 0), 1)
    .option('--mean <r,g,b>', 'normalisation means', parseTriple, [...IMAGENET_MEAN])
    .option('--std <r,g,b>', 'normalisation std', parseTriple, [...IMAGENET_STD])
    .option('--threshold <n>', 'keep words seen at least n times (build_vocab.py)', int('--threshold', 0), 4)
    .option('--max-length <n>', 'words per training caption', int('--max-length'), 16)
    .option('--embed-size <n>', 'embedding size', int('--embed-size'), 256)
    .option('--hidden-size <n>', 'LSTM size', int('--hidden-size'), 512)
    .option('--num-layers <n>', 'LSTM layers', int('--num-layers'), 1)
    .option('--drop-prob-lm <p>', 'dropout before the output layer (the tutorial: 0)', num('--drop-prob-lm'), 0)
    .option('--num-epochs <n>', 'epochs', int('--num-epochs'), 5)
    .option('--batch-size <n>', 'captions per step', int('--batch-size'), 128)
    .option('--learning-rate <x>', 'Adam learning rate', num('--learning-rate'), 0.001)
    .option('--log-step <n>', 'steps between log lines', int('--log-step'), 10)
    .option('--seed <n>', 'seed of weights, order and transforms', int('--seed', 0), 42)
    .option('--resume', 'continue the run in --model-path')
    .addOption(backendOption())
    .action(async (o: TrainCli) => {
      const { imageDir, backbone, resize, cropSize, flip, mean, std, resume, ...options } = o;
      const result = await runEndToEndTraining({
        ...options,
        inputJson: resolve(options.inputJson),
        imagesRoot: resolve(imageDir),
        modelPath: resolve(options.modelPath),
        backbone: absoluteSpec(parseBackboneSpec(backbone)),
        transforms: { resize, cropSize, flip: flip === 1, mean, std },
        resume: resume === true,
        log,
      });
      log(JSON.stringify({ ...result, seconds: Number(result.seconds.toFixed(1)) }));
    });

  program
    .command('eval')
    .description('caption a split with encoder-N/decoder-N and score it')
    .requiredOption('--model-path <folder>', 'run folder')
    .option('--epoch <n>', 'which encoder-N/decoder-N (default: the last)', int('--epoch'))
    .requiredOption('--input-json <file>', 'Karpathy split file')
    .requiredOption('--image-dir <folder>', 'folder the image paths are relative to')
    .addOption(new Option('--split <split>', 'split').choices([...KARPATHY_SPLITS]).default('test'))
    .option('--batch-size <n>', 'images per forward pass', int('--batch-size'), 50)
    .option('--max-length <n>', 'longest caption (sample.py: 20)', int('--max-length'), 20)
    .option('--meteor-data <folder>', 'METEOR data (left out of the scores when none is found)')
    .option('--out <folder>', 'where results.json and scores.json go (default <model-path>/eval-<split>)')
    .addOption(backendOption())
    .action(
      async (o: {
        modelPath: string;
        epoch?: number;
        inputJson: string;
        imageDir: string;
        split: KarpathySplit;
        batchSize: number;
        maxLength: number;
        meteorData?: string;
        out?: string;
        backend: BackendKind;
      }) => {
        const result = await evaluateSplit({
          checkpoint: resolveCheckpoint(resolve(o.modelPath), o.epoch),
          inputJson: resolve(o.inputJson),
          imagesRoot: resolve(o.imageDir),
          split: o.split,
          batchSize: o.batchSize,
          maxLength: o.maxLength,
          meteorData: o.meteorData === undefined ? null : resolve(o.meteorData),
          outDir: resolve(o.out ?? resolve(o.modelPath, `eval-${o.split}`)),
          backend: o.backend,
        });
        log(JSON.stringify({ ...result, seconds: Number(result.seconds.toFixed(1)) }));
      },
    );

  program
    .command('caption')
    .description('print the caption of an image file (sample.py)')
    .argument('<image>', 'the image file')
    .option('--model-path <folder>', 'run folder (its last encoder-N/decoder-N)')
    .option('--epoch <n>', 'which epoch of --model-path', int('--epoch'))
    .option('--encoder-path <file>', 'an encoder-N file (with --decoder-path, instead of --model-path)')
    .option('--decoder-path <file>', 'a decoder-N file')
    .option('--max-length <n>', 'longest caption (sample.py: 20)', int('--max-length'), 20)
    .addOption(backendOption())
    .action(
      async (
        image: string,
        o: {
          modelPath?: string;
          epoch?: number;
          encoderPath?: string;
          decoderPath?: string;
          maxLength: number;
          backend: BackendKind;
        },
      ) => {
        const paths =
          o.encoderPath !== undefined && o.decoderPath !== undefined
            ? { encoder: resolve(o.encoderPath), decoder: resolve(o.decoderPath) }
            : o.modelPath !== undefined
              ? resolveCheckpoint(resolve(o.modelPath), o.epoch)
              : null;
        if (paths === null) throw new EndToEndError('give --model-path, or --encoder-path and --decoder-path');
        const { initBackend } = await import('@caption/core');
        await initBackend(o.backend, { quiet: true });
        const c = await loadCaptioner(paths);
        log(await captionImageFile(c, resolve(image), o.maxLength));
        c.model.dispose();
        c.backbone.dispose();
      },
    );
  return program;
}

function absoluteSpec(spec: ReturnType<typeof parseBackboneSpec>): ReturnType<typeof parseBackboneSpec> {
  return spec.kind === 'shapes-cnn'
    ? { kind: 'shapes-cnn', path: resolve(spec.path) }
    : { kind: 'tfjs-model', folder: resolve(spec.folder), layer: spec.layer };
}

/**
 * Runs one command; returns the exit status.
 *
 * @param argv the arguments after the script
 */
export async function runEndToEndCli(
  argv: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): Promise<number> {
  try {
    await createEndToEndProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof EndToEndError || e instanceof ImageFeaturesError || DataFormatError.isInstance(e)) {
      io.stderr.write(`show-tell: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname))
  process.exitCode = await runEndToEndCli(process.argv.slice(2));
