/**
 * `npm run <extract|layers|nsfwjs-model> -w @caption/example-image-features -- [options]`:
 *
 * - `extract`: fc / att features of a Karpathy split file's (or a folder's) images with a TensorFlow.js model
 *   folder, as prepro_feats.py writes them;
 * - `layers`: the layer (or node) names of a model folder, to choose `--layer`;
 * - `nsfwjs-model`: writes one of the models bundled in nsfwjs as a model folder.
 *
 * Exit status: 0 ok, 1 data / model / image problems (typed errors, message only), 2 bad options.
 */
import { readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { type BackendKind, initBackend } from '@caption/core';
import { DataFormatError, type ImageEntry, imageEntriesFromJson, readSkipList } from '@caption/data-coco';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExtractOptionsError, ImageFeaturesError } from './errors';
import { extractFeatures, type ResizeSpec } from './extract';
import { inspectModelFolder } from './model-folder';
import { NSFWJS_MODELS, writeNsfwjsModelFolder } from './nsfwjs-model';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.gif']);

const positiveInt =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };

/** `224x224` (width × height) or `256` (the shorter side). */
export function parseResize(value: string): ResizeSpec {
  const exact = /^(\d+)x(\d+)$/.exec(value);
  if (exact !== null) return { width: Number(exact[1]), height: Number(exact[2]) };
  if (/^\d+$/.test(value) && Number(value) > 0) return { shortSide: Number(value) };
  throw new InvalidArgumentError('expected WIDTHxHEIGHT (224x224) or the shorter side (256)');
}

/** Three comma-separated numbers (`0.485,0.456,0.406`). */
export function parseTriple(value: string): [number, number, number] {
  const parts = value.split(',').map(Number);
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x)))
    throw new InvalidArgumentError('expected three comma-separated numbers, e.g. 0.485,0.456,0.406');
  return parts as [number, number, number];
}

/** The image files of a folder (sorted), each with its file name without extension as id. */
export async function imageEntriesFromFolder(folder: string): Promise<ImageEntry[]> {
  const names = (await readdir(folder)).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
  return names.map((n) => ({ id: n.slice(0, n.length - extname(n).length), path: join(folder, n) }));
}

interface ExtractCliOptions {
  model: string;
  layer: string;
  inputJson?: string;
  imagesRoot?: string;
  images?: string;
  outputDir: string;
  attSize: number;
  resize?: ResizeSpec;
  mean?: [number, number, number];
  std?: [number, number, number];
  skipList?: string;
  bottomUp?: boolean;
  featSize?: number;
  batchSize: number;
  memoryMb: number;
  backend: BackendKind;
  progress: boolean;
}

/** The command line, writing to the given streams. */
export function createProgram(io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Command {
  const program = new Command('image-features')
    .description('image features as ImageCaptioning.pytorch prepro_feats.py writes them, from a TensorFlow.js model')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  program
    .command('extract')
    .description('write <output-dir>_fc/<id>.npy and <output-dir>_att/<id>.npz for every image (resumable)')
    .requiredOption(
      '--model <folder>',
      'TensorFlow.js model folder (model.json + weight shards; layers or graph model)',
    )
    .requiredOption('--layer <name>', 'layer (layers model) or node (graph model) whose [h, w, C] map is read')
    .option('--input-json <file>', 'cocotalk.json or a Karpathy split file listing the images')
    .option('--images-root <folder>', 'folder the paths of --input-json are relative to', '.')
    .option('--images <folder>', 'instead of --input-json: every image file of a folder (id = file name)')
    .requiredOption('--output-dir <prefix>', 'output prefix, as prepro_feats.py: <prefix>_fc, <prefix>_att')
    .option('--att-size <n>', 'side of the att grid (prepro_feats.py --att_size)', positiveInt('--att-size'), 14)
    .option('--resize <size>', 'resize first: WIDTHxHEIGHT or the shorter side (default: no resize)', parseResize)
    .option('--mean <r,g,b>', 'channel means on the 0-1 scale (default ImageNet 0.485,0.456,0.406)', parseTriple)
    .option('--std <r,g,b>', 'channel std (default ImageNet 0.229,0.224,0.225)', parseTriple)
    .option('--skip-list <file>', 'ids to leave out: the JSON written by caption-data check-images --skip-list')
    .option('--bottom-up', 'write the grid as attSize² regions [K, C] with boxes (<prefix>_box), as cocobu_*')
    .option(
      '--feat-size <n>',
      'the feature size your training expects (fc_feat_size): checked first',
      positiveInt('--feat-size'),
    )
    .option(
      '--batch-size <n>',
      'most images per forward pass (fewer when memory says so)',
      positiveInt('--batch-size'),
      16,
    )
    .option('--memory-mb <n>', 'memory budget of one forward pass', positiveInt('--memory-mb'), 1024)
    .addOption(new Option('--backend <kind>', 'tfjs backend').choices(['auto', 'wasm', 'cpu']).default('wasm'))
    .option('--no-progress', 'no progress output')
    .action(async (opts: ExtractCliOptions) => {
      let images: ImageEntry[];
      if (opts.images !== undefined) images = await imageEntriesFromFolder(resolve(opts.images));
      else if (opts.inputJson !== undefined)
        images = await imageEntriesFromJson(resolve(opts.inputJson), resolve(opts.imagesRoot ?? '.'));
      else
        throw new ExtractOptionsError('input-json', 'give --input-json FILE (with --images-root) or --images FOLDER');
      await initBackend(opts.backend);
      const result = await extractFeatures({
        model: resolve(opts.model),
        layer: opts.layer,
        images,
        outputDir: resolve(opts.outputDir),
        attSize: opts.attSize,
        resize: opts.resize ?? null,
        mean: opts.mean,
        std: opts.std,
        skip: opts.skipList === undefined ? undefined : await readSkipList(resolve(opts.skipList)),
        bottomUp: opts.bottomUp === true,
        featSize: opts.featSize,
        maxBatchSize: opts.batchSize,
        memoryBudgetBytes: opts.memoryMb * 2 ** 20,
        progress: opts.progress ? io.stderr : false,
      });
      const rate = result.written / Math.max(1e-9, result.seconds);
      io.stdout.write(
        `${JSON.stringify({ ...result, imagesPerSecond: Number(rate.toFixed(2)), seconds: Number(result.seconds.toFixed(1)) })}\n`,
      );
    });

  program
    .command('layers')
    .description('print the format and the layer (or node) names of a model folder')
    .requiredOption('--model <folder>', 'TensorFlow.js model folder')
    .action(async (opts: { model: string }) => {
      const info = await inspectModelFolder(resolve(opts.model));
      io.stdout.write(`${info.format}: ${info.names.length} names\n${info.names.join('\n')}\n`);
    });

  program
    .command('nsfwjs-model')
    .description('write a model bundled in nsfwjs as a TensorFlow.js model folder (no download)')
    .addOption(new Option('--name <model>', 'which').choices(Object.keys(NSFWJS_MODELS)).default('mobilenet_v2'))
    .requiredOption('--out <folder>', 'the folder to write')
    .action(async (opts: { name: keyof typeof NSFWJS_MODELS; out: string }) => {
      const folder = await writeNsfwjsModelFolder(opts.name, resolve(opts.out));
      const m = NSFWJS_MODELS[opts.name];
      io.stdout.write(
        `${folder}: ${opts.name} (input ${m.inputSize}x${m.inputSize}, pixels/255: --mean 0,0,0 --std 1,1,1; feature layer ${m.featureLayer}, ${m.channels} channels)\n`,
      );
    });
  return program;
}

/**
 * Runs the command line; returns the exit status (0 ok, 1 data or model problem, 2 bad options).
 *
 * @param argv the arguments after the script
 */
export async function runCli(
  argv: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): Promise<number> {
  try {
    await createProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof ExtractOptionsError) {
      io.stderr.write(`image-features: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ImageFeaturesError || DataFormatError.isInstance(e)) {
      io.stderr.write(`image-features: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname))
  process.exitCode = await runCli(process.argv.slice(2));
