/**
 * SPICE: the output parser on the real output of the official SPICE 1.0 jar for the fakecap images (the
 * `spiceDetail` of ../shared/data/coco-caption/expected/fakecap_first500.json: the jar's per-image scores as it
 * wrote them, committed in tylin/coco-caption's history), and the runner end to end against a stand-in `java`
 * that checks the command and input pycocoevalcap would give the jar and replays that output.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithShared } from '@caption/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../evaluate';
import { MetricsInputError } from '../errors';
import { SPICE_CATEGORIES, parseSpiceOutput } from './spice-output';
import { locateSpice, spice } from './spice-runner';

const FAKECAP = 'coco-caption/expected/fakecap_first500.json';

interface FakecapCase {
  corpus: { SPICE: number };
  perImage: Record<string, { SPICE: number }>;
  spiceDetail: Record<string, Record<string, { f: number | null }>>;
  tokenized: Record<string, { candidate: string; refs: string[] }>;
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'caption-spice-test-'));
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** A folder laid out as pycocoevalcap's spice/: the jar and lib/ with the CoreNLP jars (placeholder bytes). */
function spiceFolder(name: string): string {
  const folder = join(dir, name);
  mkdirSync(join(folder, 'lib'), { recursive: true });
  for (const file of ['spice-1.0.jar', 'lib/stanford-corenlp-3.6.0.jar', 'lib/stanford-corenlp-3.6.0-models.jar']) {
    writeFileSync(join(folder, file), 'placeholder');
  }
  return folder;
}

/**
 * A stand-in `java` (a Node script): checks it is called as spice.py calls the jar (`-jar -Xmx8G JAR IN -cache
 * DIR -out OUT -subset -silent`, in the jar's folder), that IN holds `[{image_id, test, refs}]` equal to the
 * recorded captions, and writes the recorded output for those images to OUT.
 */
function standInJava(replay: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const java = join(bin, 'java');
  writeFileSync(
    java,
    `#!${process.execPath}
const fs = require('fs'), path = require('path');
const a = process.argv.slice(2);
const fail = (m) => { process.stderr.write('stand-in java: ' + m + '\\n'); process.exit(3); };
if (a[0] !== '-jar' || a[1] !== '-Xmx8G' || path.basename(a[2]) !== 'spice-1.0.jar') fail('bad command ' + a.join(' '));
if (process.cwd() !== path.dirname(a[2])) fail('not run in the jar folder: ' + process.cwd());
const opt = (name) => { const i = a.indexOf(name); return i < 0 ? undefined : a[i + 1]; };
if (!a.includes('-subset') || !a.includes('-silent')) fail('missing -subset / -silent');
const cache = opt('-cache');
if (cache !== undefined && !fs.existsSync(cache)) fail('cache folder missing');
const replay = JSON.parse(fs.readFileSync(${JSON.stringify(replay)}, 'utf8'));
const input = JSON.parse(fs.readFileSync(a[3], 'utf8'));
const out = input.map((item) => {
  const rec = replay[String(item.image_id)];
  if (rec === undefined) fail('unknown image ' + item.image_id);
  if (typeof item.image_id !== 'number') fail('image_id is not a number');
  if (item.test !== rec.candidate || JSON.stringify(item.refs) !== JSON.stringify(rec.refs)) fail('captions differ for ' + item.image_id);
  return { image_id: item.image_id, scores: rec.scores };
});
fs.writeFileSync(opt('-out'), JSON.stringify(out, null, 2));
`,
  );
  chmodSync(java, 0o755);
  return java;
}

describeWithShared('SPICE output of the official jar (fakecap, first 500 images)', [FAKECAP], (data) => {
  it('parseSpiceOutput gives every recorded per-image All F exactly and their mean (coco-caption SPICE)', () => {
    const expected = data.readJson<FakecapCase>(FAKECAP);
    const ids = Object.keys(expected.spiceDetail);
    expect(ids).toHaveLength(500);
    // the jar's format: [{image_id, scores: {All: {pr, re, f, fn, numImages, fp, tp}, ...}}]
    const output = ids.map((id) => ({ image_id: Number(id), scores: expected.spiceDetail[id] }));
    const result = parseSpiceOutput(JSON.parse(JSON.stringify(output)), ids);
    expect(result.score).toBe(expected.corpus.SPICE);
    for (const id of ids) {
      expect(result.perImage[id], id).toBe(expected.perImage[id]?.SPICE);
      for (const category of SPICE_CATEGORIES) {
        expect(result.categories[id]?.[category], `${id} ${category}`).toBe(expected.spiceDetail[id]?.[category]?.f);
      }
    }
    expect(() => parseSpiceOutput(output.slice(1), ids, 'out.json')).toThrow(
      `file out.json, image id ${ids[0]}, field "image_id": image is missing from the SPICE output`,
    );
  });

  it('the runner end to end against a stand-in java replaying that output: evaluate, SPICE and its categories', async () => {
    const expected = data.readJson<FakecapCase>(FAKECAP);
    const ids = Object.keys(expected.spiceDetail);
    const replay = join(dir, 'replay.json');
    writeFileSync(
      replay,
      JSON.stringify(
        Object.fromEntries(ids.map((id) => [id, { ...expected.tokenized[id], scores: expected.spiceDetail[id] }])),
      ),
    );
    const java = standInJava(replay);
    const folder = spiceFolder('spice');
    const cache = join(dir, 'cache');
    const refs = Object.fromEntries(ids.map((id) => [id, expected.tokenized[id]?.refs as string[]]));
    const cands = Object.fromEntries(ids.map((id) => [id, expected.tokenized[id]?.candidate as string]));
    const result = await evaluate(refs, cands, {
      metrics: ['spice'],
      tokenize: 'none',
      spiceJar: folder,
      spiceJava: java,
      spiceCache: cache,
    });
    expect(result.corpus).toEqual({ SPICE: expected.corpus.SPICE });
    for (const id of ids) expect(result.perImage[id]?.SPICE, id).toBe(expected.perImage[id]?.SPICE);
    expect(result.spiceCategories?.[ids[0] as string]?.Object).toBe(expected.spiceDetail[ids[0] as string]?.Object?.f);
    expect(existsSync(cache)).toBe(true);
  });
});

describe('SPICE without Java or the jar', () => {
  it('names both when both are missing, and each alone', () => {
    const noJava = { spiceJava: join(dir, 'no-java'), spiceJar: join(dir, 'nowhere') };
    expect(() => locateSpice(noJava)).toThrow(
      /SPICE runs the official SPICE 1.0 jar .*; spice-1.0.jar: .*nowhere does not exist; java: .*no-java does not exist/,
    );
    const folder = spiceFolder('only-jar');
    expect(() => locateSpice({ spiceJava: join(dir, 'no-java'), spiceJar: folder })).toThrow(/^SPICE runs .*; java: /);
    rmSync(join(folder, 'lib', 'stanford-corenlp-3.6.0-models.jar'));
    expect(() => locateSpice({ spiceJava: process.execPath, spiceJar: folder })).toThrow(
      /lacks Stanford CoreNLP 3.6.0 .*missing stanford-corenlp-3.6.0-models.jar/,
    );
  });

  it('evaluate refuses metrics: [spice] with that message, and leaves SPICE out of the default set', async () => {
    const options = { spiceJava: join(dir, 'no-java'), spiceJar: join(dir, 'nowhere') };
    const error = await evaluate({ '1': ['a dog'] }, { '1': 'a dog' }, { ...options, metrics: ['spice'] }).catch(
      (e: unknown) => e,
    );
    expect(MetricsInputError.isInstance(error)).toBe(true);
    expect(String(error)).toMatch(/metric "spice" cannot run: .*spice-1.0.jar.*java/);
    const result = await evaluate({ '1': ['a dog'] }, { '1': 'a dog' }, options);
    expect(result.corpus.SPICE).toBeUndefined();
  });

  it('a failing jar is reported with its output', async () => {
    const java = join(dir, 'bin', 'failing-java');
    mkdirSync(join(dir, 'bin'), { recursive: true });
    writeFileSync(
      java,
      `#!${process.execPath}\nprocess.stderr.write('Exception in thread main: no models');process.exit(1);\n`,
    );
    chmodSync(java, 0o755);
    const error = await spice(
      { '1': ['a dog'] },
      { '1': 'a dog' },
      { spiceJava: java, spiceJar: spiceFolder('fail') },
    ).catch((e: unknown) => e);
    expect(String(error)).toMatch(/SPICE failed .*exit 1; its output ends with: Exception in thread main: no models/);
  });
});
