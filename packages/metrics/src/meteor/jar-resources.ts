/**
 * Reading METEOR's English resource files out of `meteor-1.5.jar` (a zip file) with fflate. No file system:
 * the jar's bytes are handed in, so this also runs in a browser.
 */
import { unzipSync } from 'fflate';
import { MetricsInputError } from '../errors';
import { METEOR_RESOURCE_PATHS, type MeteorResourceFiles } from './scorer';

/**
 * The English resource files inside a METEOR 1.5 jar (`meteor-1.5.jar` as coco-caption and pycocoevalcap ship
 * it, or one built from cmu-mtlab/meteor).
 *
 * @param jar the jar's bytes
 * @param source the jar's path, for error messages
 * @throws MetricsInputError when the bytes are not a zip file or a resource file is missing
 */
export function meteorResourceFilesFromJar(jar: Uint8Array, source = 'meteor-1.5.jar'): MeteorResourceFiles {
  const wanted = new Set(Object.values(METEOR_RESOURCE_PATHS));
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(jar, { filter: (file) => wanted.has(file.name) });
  } catch (error) {
    throw new MetricsInputError(
      `not a readable jar (zip) file: ${(error as Error).message}`,
      { file: source },
      { cause: error },
    );
  }
  // Keep a byte-order mark if there is one, as Java's UTF-8 reader does.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const text = (path: string): string => {
    const bytes = entries[path];
    if (bytes === undefined) {
      throw new MetricsInputError(`the jar has no ${path}: not a METEOR 1.5 jar with English resources`, {
        file: source,
      });
    }
    return decoder.decode(bytes);
  };
  return {
    functionWords: text(METEOR_RESOURCE_PATHS.functionWords),
    nonbreakingPrefixes: text(METEOR_RESOURCE_PATHS.nonbreakingPrefixes),
    synsets: text(METEOR_RESOURCE_PATHS.synsets),
    exceptions: text(METEOR_RESOURCE_PATHS.exceptions),
  };
}
