/**
 * Finding and reading METEOR's data files in Node: the resource files (from `meteor-1.5.jar` or a folder),
 * the paraphrase table (`paraphrase-en.gz`) with its compact cached index, and a scorer built from them once
 * per location.
 *
 * Node's modules are reached through `process.getBuiltinModule` (Node >= 20.16), not imported, so that the
 * package's entry point stays loadable in a browser, where a {@link MeteorScorer} is built from file contents
 * instead.
 */
import type * as FsModule from 'node:fs';
import { MetricsInputError } from '../errors';
import { env, findInPycocoevalcap, nodeBuiltins, type NodeApis } from '../internal/node-apis';
import { meteorResourceFilesFromJar } from './jar-resources';
import { ParaphraseTable, ParaphraseTableBuilder } from './paraphrase-table';
import { METEOR_RESOURCE_PATHS, MeteorScorer, type MeteorResourceFiles } from './scorer';

/** Where METEOR's data comes from. Every field is optional: see each default. */
export interface MeteorDataOptions {
  /**
   * METEOR 1.5's data: the path of `meteor-1.5.jar` (e.g. coco-caption's `pycocoevalcap/meteor/meteor-1.5.jar`),
   * of a folder holding it, or of a folder of its English resource files (`function/english.words`,
   * `nonbreaking/english.prefixes`, `synonym/english.synsets`, `synonym/english.exceptions`).
   * Default: the environment variable `CAPTION_METEOR_DATA`, else a pycocoevalcap installation found on this
   * machine (unless `CAPTION_METEOR_DISCOVERY=off`).
   */
  meteorData?: string;
  /**
   * The paraphrase table: a path (`paraphrase-en.gz`, the same uncompressed, or an index written by this
   * package), or `false` to score without the paraphrase stage (lower scores than coco-caption's METEOR).
   * Default: `CAPTION_METEOR_PARAPHRASE` (a path, or `none`), else `data/paraphrase-en.gz` beside the jar (where
   * the jar itself looks) or `paraphrase-en.gz` / `data/paraphrase-en.gz` in the data folder.
   */
  meteorParaphrase?: string | false;
  /**
   * Folder for the compact paraphrase index built on first use (loads in a fraction of the time of the gzipped
   * table), or `false` for no cache. Default: beside the table, else `$XDG_CACHE_HOME/caption-metrics` (or
   * `~/.cache/caption-metrics`).
   */
  meteorCache?: string | false;
}

/** Where METEOR's files were found. */
export interface MeteorDataLocation {
  /** `jar`: resources read out of a jar; `folder`: resource files in a folder. */
  kind: 'jar' | 'folder';
  /** The jar's path, or the folder holding `function/`, `nonbreaking/` and `synonym/`. */
  resources: string;
  /** The paraphrase table's path, or `null` to score without one. */
  paraphrase: string | null;
  /** How the resources were chosen: the option, the environment variable, or a pycocoevalcap installation. */
  origin: 'option' | 'environment' | 'pycocoevalcap';
}

/** How a paraphrase table was loaded (see {@link loadParaphraseTable}). */
export interface ParaphraseTableLoad {
  /** The table. */
  table: ParaphraseTable;
  /** The compact index used or written, or `null` when caching is off or the cache could not be written. */
  indexPath: string | null;
  /** Whether the table came from an existing index (no parsing of the text table). */
  fromIndex: boolean;
}

const JAR_NAME = 'meteor-1.5.jar';
const PARAPHRASE_NAME = 'paraphrase-en.gz';
const INDEX_SUFFIX = '.caption-meteor-index';

function nodeApis(): NodeApis {
  return nodeBuiltins(
    "reading METEOR data files needs Node.js >= 20.16; elsewhere build a MeteorScorer from the files' contents",
    'meteorData',
  );
}

const MISSING_DATA_HELP =
  "METEOR needs the data files of METEOR 1.5: give the path of meteor-1.5.jar (coco-caption's " +
  'pycocoevalcap/meteor/meteor-1.5.jar, with data/paraphrase-en.gz beside it), or of a folder holding ' +
  `${Object.values(METEOR_RESOURCE_PATHS).join(', ')} (and paraphrase-en.gz), with the meteorData option, ` +
  'the --meteor-data flag of caption-eval, or the environment variable CAPTION_METEOR_DATA';

/**
 * Finds METEOR's data: the given path or `CAPTION_METEOR_DATA`, else a pycocoevalcap installation; and the
 * paraphrase table that goes with it. Synchronous and cheap (a few `stat` calls); reads no data.
 *
 * @throws MetricsInputError naming what to provide when nothing usable is found
 */
export function locateMeteorData(options: MeteorDataOptions = {}): MeteorDataLocation {
  const node = nodeApis();
  let location: Omit<MeteorDataLocation, 'paraphrase'> & { paraphraseCandidates: string[] };
  if (options.meteorData !== undefined) {
    location = { ...classify(node, options.meteorData, 'meteorData'), origin: 'option' };
  } else if (env('CAPTION_METEOR_DATA') !== undefined) {
    location = {
      ...classify(node, env('CAPTION_METEOR_DATA') as string, 'CAPTION_METEOR_DATA'),
      origin: 'environment',
    };
  } else {
    const searched: string[] = [];
    const jar = env('CAPTION_METEOR_DISCOVERY') === 'off' ? null : findPycocoevalcapJar(node, searched);
    if (jar === null) {
      const where =
        searched.length === 0
          ? 'search turned off by CAPTION_METEOR_DISCOVERY=off'
          : `looked in ${searched.join(', ')}`;
      throw new MetricsInputError(
        `${MISSING_DATA_HELP}; none was given and no pycocoevalcap installation was found (${where})`,
        {
          field: 'meteorData',
        },
      );
    }
    location = { ...classify(node, jar, 'pycocoevalcap'), origin: 'pycocoevalcap' };
  }
  const { paraphraseCandidates, ...rest } = location;
  return { ...rest, paraphrase: resolveParaphrase(node, options.meteorParaphrase, paraphraseCandidates) };
}

/** What a given data path is: a jar, a folder holding the jar, or a folder of resource files. */
function classify(
  node: NodeApis,
  given: string,
  field: string,
): { kind: 'jar' | 'folder'; resources: string; paraphraseCandidates: string[] } {
  const { fs, path } = node;
  const target = path.resolve(given);
  if (!fs.existsSync(target))
    throw new MetricsInputError(`does not exist. ${MISSING_DATA_HELP}`, { file: given, field });
  if (fs.statSync(target).isFile()) {
    if (!isZip(fs, target))
      throw new MetricsInputError(`is neither meteor-1.5.jar (a zip file) nor a folder`, { file: given, field });
    return {
      kind: 'jar',
      resources: target,
      paraphraseCandidates: [path.join(path.dirname(target), 'data', PARAPHRASE_NAME)],
    };
  }
  const hasResources = (folder: string): boolean =>
    Object.values(METEOR_RESOURCE_PATHS).every((rel) => fs.existsSync(path.join(folder, rel)));
  const besideData = (folder: string): string[] => [
    path.join(folder, PARAPHRASE_NAME),
    path.join(folder, 'data', PARAPHRASE_NAME),
    path.join(folder, 'paraphrase', PARAPHRASE_NAME),
  ];
  if (hasResources(target)) return { kind: 'folder', resources: target, paraphraseCandidates: besideData(target) };
  const jar = path.join(target, JAR_NAME);
  if (fs.existsSync(jar) && isZip(fs, jar)) {
    return { kind: 'jar', resources: jar, paraphraseCandidates: [path.join(target, 'data', PARAPHRASE_NAME)] };
  }
  const checkout = path.join(target, 'resources');
  if (hasResources(checkout)) {
    return {
      kind: 'folder',
      resources: checkout,
      paraphraseCandidates: [...besideData(checkout), path.join(target, 'data', PARAPHRASE_NAME)],
    };
  }
  const missing = Object.values(METEOR_RESOURCE_PATHS).filter((rel) => !fs.existsSync(path.join(target, rel)));
  throw new MetricsInputError(
    `holds neither ${JAR_NAME} nor METEOR's resource files (missing: ${missing.join(', ')})`,
    {
      file: given,
      field,
    },
  );
}

function isZip(fs: typeof FsModule, file: string): boolean {
  const head = readHead(fs, file, 4);
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

/** The paraphrase table's path: as given, from `CAPTION_METEOR_PARAPHRASE`, or the first candidate that exists. */
function resolveParaphrase(
  node: NodeApis,
  given: string | false | undefined,
  candidates: readonly string[],
): string | null {
  const { fs, path } = node;
  if (given === false) return null;
  const chosen = given ?? env('CAPTION_METEOR_PARAPHRASE');
  if (chosen !== undefined) {
    if (chosen === 'none') return null;
    if (!fs.existsSync(chosen) || !fs.statSync(chosen).isFile()) {
      throw new MetricsInputError('paraphrase table does not exist', { file: chosen, field: 'meteorParaphrase' });
    }
    return path.resolve(chosen);
  }
  const found = candidates.find((file) => fs.existsSync(file));
  if (found !== undefined) return found;
  throw new MetricsInputError(
    `no paraphrase table: coco-caption's METEOR uses ${PARAPHRASE_NAME} (looked for ${candidates.join(', ')}). ` +
      'Give its path (meteorParaphrase option, --meteor-paraphrase flag or CAPTION_METEOR_PARAPHRASE), or "none" ' +
      '(false in the API) to score with the exact, stem and synonym ' +
      'stages only, which gives lower scores than coco-caption',
    { field: 'meteorParaphrase' },
  );
}

/** `pycocoevalcap/meteor/meteor-1.5.jar` in the working directory (a coco-caption checkout) or an installation. */
function findPycocoevalcapJar(node: NodeApis, searched: string[]): string | null {
  return findInPycocoevalcap(node, ['meteor', JAR_NAME], searched);
}

/** Reads the resource files of a location. */
function readResourceFiles(node: NodeApis, location: MeteorDataLocation): MeteorResourceFiles {
  const { fs, path } = node;
  if (location.kind === 'jar')
    return meteorResourceFilesFromJar(new Uint8Array(fs.readFileSync(location.resources)), location.resources);
  const read = (rel: string): string => fs.readFileSync(path.join(location.resources, rel), 'utf8');
  return {
    functionWords: read(METEOR_RESOURCE_PATHS.functionWords),
    nonbreakingPrefixes: read(METEOR_RESOURCE_PATHS.nonbreakingPrefixes),
    synsets: read(METEOR_RESOURCE_PATHS.synsets),
    exceptions: read(METEOR_RESOURCE_PATHS.exceptions),
  };
}

/**
 * Loads a paraphrase table: an index written by this package is wrapped as is; a text table (gzipped or not)
 * is parsed as a stream and its compact index written for next time (see {@link MeteorDataOptions.meteorCache}).
 *
 * @param file the table's path
 * @param cache folder for the index, `false` for none, `undefined` for the default
 */
export async function loadParaphraseTable(file: string, cache?: string | false): Promise<ParaphraseTableLoad> {
  const node = nodeApis();
  const { fs, path } = node;
  const source = path.resolve(file);
  const bytesHead = readHead(fs, source, 64);
  if (ParaphraseTable.isIndex(bytesHead)) {
    return {
      table: ParaphraseTable.fromBytes(new Uint8Array(fs.readFileSync(source)), source),
      indexPath: source,
      fromIndex: true,
    };
  }
  const stat = fs.statSync(source);
  const key = `${source}\n${stat.size}\n${stat.mtimeMs}`;
  const candidates = cache === false ? [] : indexCandidates(node, source, cache);
  for (const indexPath of candidates) {
    if (!fs.existsSync(indexPath)) continue;
    const bytes = new Uint8Array(fs.readFileSync(indexPath));
    if (ParaphraseTable.keyOf(bytes) === key)
      return { table: ParaphraseTable.fromBytes(bytes, indexPath), indexPath, fromIndex: true };
  }
  const table = await parseTextTable(node, source, bytesHead);
  let indexPath: string | null = null;
  if (candidates.length > 0) {
    const bytes = table.toBytes(key);
    for (const candidate of candidates) {
      if (writeAtomically(node, candidate, bytes)) {
        indexPath = candidate;
        break;
      }
    }
  }
  return { table, indexPath, fromIndex: false };
}

function readHead(fs: typeof FsModule, file: string, length: number): Uint8Array {
  const head = new Uint8Array(length);
  const fd = fs.openSync(file, 'r');
  try {
    return head.subarray(0, fs.readSync(fd, head, 0, length, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/** Where the index of `source` may live: beside it (or in the given folder), then the user's cache folder. */
function indexCandidates(node: NodeApis, source: string, cache: string | undefined): string[] {
  const { path, os } = node;
  const base = `${path.basename(source).replace(/\.gz$/, '')}${INDEX_SUFFIX}`;
  if (cache !== undefined) return [path.join(path.resolve(cache), base)];
  const userCache = path.join(env('XDG_CACHE_HOME') ?? path.join(os.homedir(), '.cache'), 'caption-metrics');
  const tag = hashText(source).toString(16);
  return [path.join(path.dirname(source), base), path.join(userCache, `${tag}-${base}`)];
}

/** A 32-bit FNV-1a hash of a string (names a cache file after its source path). */
function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

function writeAtomically(node: NodeApis, file: string, bytes: Uint8Array): boolean {
  const { fs, path } = node;
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(temporary, bytes);
    fs.renameSync(temporary, file);
    return true;
  } catch {
    try {
      fs.rmSync(temporary, { force: true });
    } catch {
      // nothing to clean up
    }
    return false;
  }
}

/** Parses the jar's text format as it streams off the disk (decompressed on the fly when gzipped). */
async function parseTextTable(node: NodeApis, source: string, head: Uint8Array): Promise<ParaphraseTable> {
  const { fs, zlib } = node;
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  const raw = fs.createReadStream(source, { highWaterMark: 1 << 20 });
  let stream: AsyncIterable<Uint8Array> = raw;
  if (gzipped) {
    const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
    // pipe() does not forward errors: a read error must end the gunzip stream too, or the loop waits forever
    raw.on('error', (error) => gunzip.destroy(error));
    stream = raw.pipe(gunzip);
  }
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const builder = new ParaphraseTableBuilder(source);
  try {
    for await (const chunk of stream) builder.push(decoder.decode(chunk, { stream: true }));
  } catch (error) {
    throw new MetricsInputError(
      `cannot read the paraphrase table: ${(error as Error).message}`,
      { file: source },
      { cause: error },
    );
  } finally {
    raw.destroy(); // the file handle, also when gunzip or the parser failed half-way
  }
  builder.push(decoder.decode());
  return builder.finish();
}

const loaded = new Map<string, Promise<MeteorScorer>>();

/**
 * A {@link MeteorScorer} for the data found by {@link locateMeteorData}, built once per location and process
 * (later calls return the same scorer).
 *
 * @throws MetricsInputError naming what to provide when the data cannot be found or read
 */
export function loadMeteorScorer(options: MeteorDataOptions = {}): Promise<MeteorScorer> {
  let location: MeteorDataLocation;
  try {
    location = locateMeteorData(options);
  } catch (error) {
    return Promise.reject(error);
  }
  const key = `${location.resources}\n${location.paraphrase ?? ''}\n${String(options.meteorCache)}`;
  let scorer = loaded.get(key);
  if (scorer === undefined) {
    const node = nodeApis();
    scorer = (async () => {
      const files = readResourceFiles(node, location);
      const paraphrases =
        location.paraphrase === null
          ? null
          : (await loadParaphraseTable(location.paraphrase, options.meteorCache)).table;
      return new MeteorScorer(files, paraphrases, location.resources);
    })();
    scorer.catch(() => loaded.delete(key));
    loaded.set(key, scorer);
  }
  return scorer;
}
