/**
 * Running the official SPICE 1.0 jar as pycocoevalcap's `spice.py` does: the tokenized captions written as
 * `[{image_id, test, refs}]`, then `java -jar -Xmx8G spice-1.0.jar IN -cache DIR -out OUT -subset -silent`
 * in the jar's folder, then its JSON read back (`spice-output.ts`). The jar needs its `lib/` folder with
 * Stanford CoreNLP 3.6.0 and its models (pycocoevalcap's `get_stanford_models` puts them there). Node only.
 */
import { MetricsInputError } from '../errors';
import { env, findInPycocoevalcap, nodeBuiltins, type NodeApis } from '../internal/node-apis';
import type { TokenizedCands, TokenizedRefs } from '../types';
import { parseSpiceOutput, type SpiceResult } from './spice-output';

/** Where SPICE and Java are, and how to run them. */
export interface SpiceOptions {
  /**
   * `spice-1.0.jar`, or a folder holding it (with its `lib/`). Default: `CAPTION_SPICE_JAR`, else a
   * pycocoevalcap installation (`pycocoevalcap/spice/spice-1.0.jar`) in the working directory or a Python
   * site-packages folder.
   */
  spiceJar?: string;
  /** The `java` command. Default: `CAPTION_JAVA`, else `$JAVA_HOME/bin/java`, else `java` on the `PATH`. */
  spiceJava?: string;
  /**
   * SPICE's parse cache (`-cache`), which makes a second run on the same captions fast, or `false` for none.
   * Default: `$XDG_CACHE_HOME/caption-metrics/spice-cache` (or `~/.cache/caption-metrics/spice-cache`).
   */
  spiceCache?: string | false;
}

/** What {@link locateSpice} found. */
export interface SpiceLocation {
  /** The jar's absolute path. */
  jar: string;
  /** The java executable. */
  java: string;
}

const JAR_NAME = 'spice-1.0.jar';
/** What the jar loads from its `lib/` (pycocoevalcap's `get_stanford_models.py` downloads these two). */
const CORENLP_JARS = ['stanford-corenlp-3.6.0.jar', 'stanford-corenlp-3.6.0-models.jar'];

function nodeApis(): NodeApis {
  return nodeBuiltins('SPICE runs the official Java jar, which needs Node.js >= 20.16', 'spiceJar');
}

/** The java executable, or why there is none. */
function findJava(node: NodeApis, given: string | undefined): { java: string } | { problem: string } {
  const { fs, path } = node;
  const executable = (file: string): boolean => {
    try {
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  const chosen = given ?? env('CAPTION_JAVA');
  if (chosen !== undefined) {
    if (chosen.includes(path.sep) || chosen.includes('/')) {
      return executable(chosen) ? { java: path.resolve(chosen) } : { problem: `java: ${chosen} does not exist` };
    }
  }
  const name = chosen ?? 'java';
  const javaHome = env('JAVA_HOME');
  if (chosen === undefined && javaHome !== undefined) {
    const inHome = path.join(javaHome, 'bin', process.platform === 'win32' ? 'java.exe' : 'java');
    if (executable(inHome)) return { java: inHome };
  }
  const names = process.platform === 'win32' ? [name, `${name}.exe`] : [name];
  for (const folder of (env('PATH') ?? '').split(path.delimiter)) {
    if (folder === '') continue;
    for (const candidate of names) {
      const file = path.join(folder, candidate);
      if (executable(file)) return { java: file };
    }
  }
  return {
    problem: `java: no "${name}" on the PATH (install a Java runtime, e.g. OpenJDK 8 or later, or give it with spiceJava / CAPTION_JAVA / JAVA_HOME)`,
  };
}

/** The jar (with its CoreNLP jars), or why there is none. */
function findJar(node: NodeApis, given: string | undefined): { jar: string } | { problem: string } {
  const { fs, path } = node;
  const chosen = given ?? env('CAPTION_SPICE_JAR');
  let jar: string;
  if (chosen !== undefined) {
    const target = path.resolve(chosen);
    if (!fs.existsSync(target)) return { problem: `${JAR_NAME}: ${chosen} does not exist` };
    jar = fs.statSync(target).isDirectory() ? path.join(target, JAR_NAME) : target;
    if (!fs.existsSync(jar)) return { problem: `${JAR_NAME}: not found in ${chosen}` };
  } else {
    const searched: string[] = [];
    const found = findInPycocoevalcap(node, ['spice', JAR_NAME], searched);
    if (found === null) {
      return {
        problem: `${JAR_NAME}: not given (spiceJar option, --spice-jar flag or CAPTION_SPICE_JAR) and no pycocoevalcap installation holds it (looked in ${searched.join(', ') || 'no folder'})`,
      };
    }
    jar = found;
  }
  const lib = path.join(path.dirname(jar), 'lib');
  const missing = CORENLP_JARS.filter((name) => !fs.existsSync(path.join(lib, name)));
  if (missing.length > 0) {
    return {
      problem: `${JAR_NAME} at ${jar} lacks Stanford CoreNLP 3.6.0 in ${lib} (missing ${missing.join(', ')}; pycocoevalcap's get_stanford_models downloads them)`,
    };
  }
  return { jar };
}

const HELP =
  'SPICE runs the official SPICE 1.0 jar (spice-1.0.jar with its lib/ folder, including Stanford CoreNLP 3.6.0) with Java';

/**
 * Finds Java and the SPICE jar (cheap: a few `stat` calls, nothing run).
 *
 * @throws MetricsInputError naming each of the two that is missing
 */
export function locateSpice(options: SpiceOptions = {}): SpiceLocation {
  const node = nodeApis();
  const java = findJava(node, options.spiceJava);
  const jar = findJar(node, options.spiceJar);
  const problems = [jar, java].flatMap((found) => ('problem' in found ? [found.problem] : []));
  if (problems.length > 0) {
    throw new MetricsInputError(`${HELP}; ${problems.join('; ')}`);
  }
  return { jar: (jar as { jar: string }).jar, java: (java as { java: string }).java };
}

/** The parse cache folder to use, or `null` for none. */
function cacheFolder(node: NodeApis, option: string | false | undefined): string | null {
  if (option === false) return null;
  const { path, os } = node;
  return (
    option ?? path.join(env('XDG_CACHE_HOME') ?? path.join(os.homedir(), '.cache'), 'caption-metrics', 'spice-cache')
  );
}

/**
 * SPICE of tokenized captions with the official jar, as pycocoevalcap's `Spice().compute_score(gts, res)`.
 *
 * @param refs tokenized references per image (coco-caption gives SPICE the PTB tokens)
 * @param cands one tokenized candidate per image
 * @param imageIds the images to score, in order (default: the candidates' ids)
 * @throws MetricsInputError when Java or the jar is missing (naming them), when the jar fails (with its
 *   output), or when its output lacks an image
 *
 * @example
 * ```ts
 * const { score, categories } = await spice({ '1': ['a dog on the grass'] }, { '1': 'a dog on a lawn' }, {
 *   spiceJar: 'coco-caption/pycocoevalcap/spice/spice-1.0.jar',
 * });
 * console.log(score, categories['1']?.Object);
 * ```
 */
export async function spice(
  refs: TokenizedRefs,
  cands: TokenizedCands,
  options: SpiceOptions = {},
  imageIds: readonly string[] = Object.keys(cands),
): Promise<SpiceResult> {
  const { jar, java } = locateSpice(options);
  const node = nodeApis();
  const { fs, path, os, childProcess } = node;
  const input = imageIds.map((id) => ({
    // spice.py passes the annotation ids, integers in COCO
    image_id: /^(0|[1-9]\d*)$/.test(id) && Number.isSafeInteger(Number(id)) ? Number(id) : id,
    test: cands[id] as string,
    refs: refs[id] as readonly string[],
  }));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'caption-spice-'));
  try {
    const inFile = path.join(work, 'input.json');
    const outFile = path.join(work, 'output.json');
    fs.writeFileSync(inFile, JSON.stringify(input, null, 2));
    const cache = cacheFolder(node, options.spiceCache);
    if (cache !== null) fs.mkdirSync(cache, { recursive: true });
    const args = [
      '-jar',
      '-Xmx8G',
      jar,
      inFile,
      ...(cache === null ? [] : ['-cache', cache]),
      '-out',
      outFile,
      '-subset',
      '-silent',
    ];
    const run = await new Promise<{ code: number | null; signal: string | null; output: string; error?: Error }>(
      (resolve) => {
        const child = childProcess.spawn(java, args, { cwd: path.dirname(jar), stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        const keep = (chunk: Buffer): void => {
          output = (output + chunk.toString('utf8')).slice(-4000);
        };
        child.stdout.on('data', keep);
        child.stderr.on('data', keep);
        child.on('error', (error) => resolve({ code: null, signal: null, output, error }));
        child.on('close', (code, signal) => resolve({ code, signal, output }));
      },
    );
    if (run.error !== undefined || run.code !== 0) {
      throw new MetricsInputError(
        `SPICE failed (${java} ${args.join(' ')}): ${run.error?.message ?? `exit ${run.code ?? run.signal}`}${
          run.output.trim() === '' ? '' : `; its output ends with: ${run.output.trim()}`
        }`,
        { file: jar, field: 'spiceJar' },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(outFile, 'utf8'));
    } catch (error) {
      throw new MetricsInputError(
        `cannot read SPICE's output: ${(error as Error).message}`,
        { file: outFile },
        { cause: error },
      );
    }
    return parseSpiceOutput(parsed, imageIds, outFile);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
