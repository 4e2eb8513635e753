// @vitest-environment edge-runtime
/**
 * The scoring core runs without Node's APIs: in vitest's edge-runtime environment (web globals), with Node's
 * module access taken away, a MeteorScorer is built from the resource files' contents (read out of a jar's
 * bytes with fflate) and scores; only the file loader needs Node, and says so.
 */
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsInputError } from '../errors';
import { meteorResourceFilesFromJar } from './jar-resources';
import { loadMeteorScorer } from './node-data';
import { ParaphraseTable } from './paraphrase-table';
import { MeteorScorer } from './scorer';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('METEOR without Node', () => {
  const proc = (globalThis as { process?: { getBuiltinModule?: unknown } }).process;
  const saved = proc?.getBuiltinModule;
  beforeAll(() => {
    if (proc !== undefined) proc.getBuiltinModule = undefined;
  });
  afterAll(() => {
    if (proc !== undefined) proc.getBuiltinModule = saved;
  });

  it('runs in the edge runtime', () => {
    expect(typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime).toBe('string');
  });

  it('the file loader needs Node and says so', async () => {
    await expect(loadMeteorScorer({ meteorData: 'meteor-1.5.jar' })).rejects.toThrow(MetricsInputError);
    await expect(loadMeteorScorer({ meteorData: 'meteor-1.5.jar' })).rejects.toThrow(/needs Node\.js >= 20\.16/);
  });

  it("builds a scorer from file contents (a jar's bytes and a paraphrase table text) and scores", () => {
    const jar = zipSync({
      'function/english.words': encode('a\nthe\non\n'),
      'nonbreaking/english.prefixes': encode('Mr\n'),
      'synonym/english.synsets': encode('car\n02958343\nautomobile\n02958343\n'),
      'synonym/english.exceptions': encode(''),
    });
    const scorer = new MeteorScorer(
      meteorResourceFilesFromJar(jar),
      ParaphraseTable.fromText('0.5\non top of\natop\n'),
    );
    const result = scorer.score(
      { '1': ['a car on top of a hill'], '2': ['a dog'] },
      { '1': 'an automobile atop a hill', '2': 'a dog' },
    );
    const stats = result.stats['1']!;
    expect(stats.testContentMatches).toEqual([1, 0, 1, 1]); // hill (exact), automobile (synonym), atop (paraphrase)
    expect(result.perImage['2']).toBe(1);
    expect(result.score).toBeGreaterThan(0);
  });
});
