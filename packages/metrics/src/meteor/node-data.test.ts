/**
 * Finding METEOR's data: a folder of resource files, `meteor-1.5.jar` (a zip, read with fflate), a folder holding
 * the jar, a pycocoevalcap installation, the environment variables; and the errors that say what to provide.
 * The jar here is a zip the test makes from the shared resource files, laid out as METEOR's jar is.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describeWithShared } from '@caption/test-support';
import { zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { MetricsInputError } from '../errors';
import { meteorResourceFilesFromJar } from './jar-resources';
import { meteor } from './meteor';
import { loadMeteorScorer, locateMeteorData } from './node-data';
import { METEOR_RESOURCE_PATHS } from './scorer';
import { SHARED_METEOR_FILES } from './test-fixtures';

const ENV_NAMES = [
  'CAPTION_METEOR_DATA',
  'CAPTION_METEOR_PARAPHRASE',
  'CAPTION_METEOR_DISCOVERY',
  'VIRTUAL_ENV',
  'PYTHONPATH',
];
const PARAPHRASES = '0.5\non top of\natop\n';

describeWithShared('METEOR data location', SHARED_METEOR_FILES, (data) => {
  let dir = '';
  let jar = '';
  const savedEnv = new Map<string, string | undefined>();

  beforeAll(() => {
    for (const name of ENV_NAMES) savedEnv.set(name, process.env[name]);
    dir = mkdtempSync(join(tmpdir(), 'meteor-data-'));
    const entries: Record<string, Uint8Array> = {
      'META-INF/MANIFEST.MF': new TextEncoder().encode('Main-Class: Meteor\n'),
    };
    for (const rel of Object.values(METEOR_RESOURCE_PATHS)) entries[rel] = data.readBytes(`meteor/${rel}`);
    // A pycocoevalcap installation in a virtual environment: meteor/meteor-1.5.jar and meteor/data/paraphrase-en.gz.
    const meteorDir = join(dir, 'venv', 'lib', 'python3.11', 'site-packages', 'pycocoevalcap', 'meteor');
    mkdirSync(join(meteorDir, 'data'), { recursive: true });
    jar = join(meteorDir, 'meteor-1.5.jar');
    writeFileSync(jar, zipSync(entries));
    writeFileSync(join(meteorDir, 'data', 'paraphrase-en.gz'), gzipSync(PARAPHRASES));
  });
  afterEach(() => {
    for (const [name, value] of savedEnv) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('reads the resource files out of the jar', () => {
    const files = meteorResourceFilesFromJar(new Uint8Array(readFileSync(jar)), jar);
    expect(files.synsets).toBe(data.readText('meteor/synonym/english.synsets'));
    expect(files.functionWords).toBe(data.readText('meteor/function/english.words'));
    expect(() => meteorResourceFilesFromJar(new Uint8Array([1, 2, 3]), 'broken.jar')).toThrow(
      /broken\.jar.*not a readable jar/,
    );
    expect(() => meteorResourceFilesFromJar(zipSync({ 'x.txt': new Uint8Array(1) }), 'other.jar')).toThrow(
      /other\.jar.*function\/english\.words/,
    );
  });

  it("takes the jar, a folder holding it, or a resource folder; the jar's paraphrase table is data/paraphrase-en.gz beside it", () => {
    const byJar = locateMeteorData({ meteorData: jar });
    expect(byJar).toMatchObject({ kind: 'jar', resources: jar, origin: 'option' });
    expect(byJar.paraphrase).toBe(
      join(dir, 'venv', 'lib', 'python3.11', 'site-packages', 'pycocoevalcap', 'meteor', 'data', 'paraphrase-en.gz'),
    );
    expect(locateMeteorData({ meteorData: join(jar, '..') })).toEqual(byJar);
    const folder = locateMeteorData({ meteorData: data.path('meteor'), meteorParaphrase: false });
    expect(folder).toMatchObject({ kind: 'folder', resources: data.path('meteor'), paraphrase: null });
  });

  it('uses CAPTION_METEOR_DATA and CAPTION_METEOR_PARAPHRASE', () => {
    process.env.CAPTION_METEOR_DATA = data.path('meteor');
    process.env.CAPTION_METEOR_PARAPHRASE = 'none';
    expect(locateMeteorData()).toMatchObject({ kind: 'folder', origin: 'environment', paraphrase: null });
  });

  it('finds a pycocoevalcap installation by itself', () => {
    delete process.env.CAPTION_METEOR_DATA;
    delete process.env.PYTHONPATH;
    process.env.VIRTUAL_ENV = join(dir, 'venv');
    expect(locateMeteorData()).toMatchObject({ kind: 'jar', resources: jar, origin: 'pycocoevalcap' });
  });

  it('without data, fails naming what to provide', () => {
    delete process.env.CAPTION_METEOR_DATA;
    process.env.CAPTION_METEOR_DISCOVERY = 'off';
    const error = catchError(() => locateMeteorData());
    expect(MetricsInputError.isInstance(error)).toBe(true);
    for (const part of [
      'meteor-1.5.jar',
      'function/english.words',
      'synonym/english.synsets',
      'meteorData',
      '--meteor-data',
      'CAPTION_METEOR_DATA',
      'no pycocoevalcap installation',
    ]) {
      expect((error as Error).message).toContain(part);
    }
    expect(() => locateMeteorData({ meteorData: join(dir, 'nowhere') })).toThrow(/nowhere.*does not exist/);
    expect(() => locateMeteorData({ meteorData: dir })).toThrow(
      /holds neither meteor-1\.5\.jar nor METEOR's resource files/,
    );
  });

  it('without a paraphrase table, fails naming paraphrase-en.gz and how to go without it', () => {
    const error = catchError(() => locateMeteorData({ meteorData: data.path('meteor') }));
    expect(MetricsInputError.isInstance(error)).toBe(true);
    for (const part of ['paraphrase-en.gz', '--meteor-paraphrase', '"none"'])
      expect((error as Error).message).toContain(part);
  });

  it('loads a scorer from the jar and its paraphrase table once, and scores with it', async () => {
    const scorer = await loadMeteorScorer({ meteorData: jar, meteorCache: false });
    expect(await loadMeteorScorer({ meteorData: jar, meteorCache: false })).toBe(scorer);
    expect(scorer.hasParaphrases).toBe(true);
    const result = await meteor(
      { '1': ['a cat on top of a mat'] },
      { '1': 'a cat atop a mat' },
      { meteorData: jar, meteorCache: false },
    );
    expect(result.stats['1']?.testContentMatches[3]).toBe(1);
    await expect(meteor({ '1': ['x'] }, { '1': 'x' }, { meteorData: join(dir, 'nowhere') })).rejects.toThrow(
      MetricsInputError,
    );
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
