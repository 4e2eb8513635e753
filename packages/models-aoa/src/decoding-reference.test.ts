/**
 * Core's decoders against an outside reference: ImageCaptioning.pytorch's own decoding
 * (`CaptionModel.beam_search` and `AttModel._sample`, ruotianluo/ImageCaptioning.pytorch 4c48a33) run on its
 * `AoAModel` at a small size, for beam sizes 3, 4 and 6, diverse groups, length penalties, decoding
 * constraint, bad endings, UNK suppression, temperature, greedy with trigram blocking, and sampling (temperature,
 * top-k, top-p) replaying the reference's draws. The fixture (`fixtures/decoding-icp`, made by
 * `fixtures/make-decoding-fixture.py`, see fixtures/README.md) is committed, so this runs without ../shared.
 *
 * Per case and image: the same tokens (every kept beam, in the same order, and the returned caption), the
 * same beam lengths, and the per-step log-probs and scores within float32 noise of the model (the smallest
 * decision gap of the fixture is far larger, so no decision can flip).
 */
import {
  beamSearch,
  type BeamSearchOptions,
  DECODING_BAD_ENDINGS,
  greedyDecode,
  Random,
  type RowConstraintOptions,
  sampleDecode,
  tokenIdsOf,
} from '@caption/core';
import { expectAllClose } from '@caption/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AoAModel, type AoAFeatures } from './aoa-model';
import { camelCaseOptions } from './config';
import { committedFolder, describeWithReference, readFixture, readReferenceJson } from './test-helpers';

/**
 * Per-step log-probs (measured: at most 5.5e-6 from the reference's, the model's float32 noise between PyTorch and
 * tfjs) and scores (sums of up to 10 of them; measured up to 1.4e-5).
 */
const TOL = { logprob: 1e-5, score: 5e-5 };

interface ReferenceOptions {
  sample_method: string;
  beam_size: number;
  group_size?: number;
  diversity_lambda?: number;
  length_penalty?: string;
  temperature?: number;
  decoding_constraint?: number;
  remove_bad_endings?: number;
  suppress_UNK?: number;
  block_trigrams?: number;
}

interface ReferenceCase {
  options: ReferenceOptions;
  seq: number[][];
  beams?: Array<Array<{ seq: number[]; logps: number[]; p: number; length: number }>>;
  sample_logprobs?: number[][];
  uniforms?: number[];
  min_decision_gap: number | null;
}

interface DecodingJson {
  source: string;
  options: Record<string, unknown>;
  vocab: Record<string, string>;
  bad_endings_ix: number[];
  num_parameters: number;
  state_dict: Array<[string, number[]]>;
  min_decision_gap: number;
  cases: Record<string, ReferenceCase>;
}

/** The reference's draws, replayed: `next()` returns its recorded uniforms in order. */
class ReplayedRandom extends Random {
  used = 0;
  constructor(private readonly uniforms: readonly number[]) {
    super(0);
  }
  override next(): number {
    const u = this.uniforms[this.used];
    if (u === undefined) throw new Error(`the decoder drew more than the reference's ${this.uniforms.length} uniforms`);
    this.used += 1;
    return u;
  }
}

const folder = committedFolder('decoding-icp');
const FILES = ['decoding.json', 'model.safetensors', 'inputs.safetensors'];

describeWithReference(
  'core decoding vs ImageCaptioning.pytorch (fixtures/decoding-icp)',
  FILES,
  () => {
    const json = readReferenceJson<DecodingJson>('decoding.json', folder.dir);
    let model: AoAModel;
    let features: AoAFeatures;
    const V = (json.options.vocab_size as number) + 1;
    const maxLength = json.options.max_length as number;

    beforeAll(() => {
      model = AoAModel.fromReferenceOptions(camelCaseOptions(json.options));
      const weights = readFixture('model.safetensors', folder.dir).tensors('');
      model.loadStateDict(weights);
      tf.dispose([...weights.values()]);
      model.eval();
      const io = readFixture('inputs.safetensors', folder.dir);
      features = { fc: io.tensor('fc_feats'), att: io.tensor('att_feats'), mask: io.tensor('att_masks') };
    });
    afterAll(() => {
      tf.dispose([features.fc as tf.Tensor, features.att, features.mask as tf.Tensor]);
      model.dispose();
    });

    /** The reference's constraint flags as core's options (its UNK is the last word, which it checks). */
    const constraints = (o: ReferenceOptions): RowConstraintOptions => ({
      decodingConstraint: o.decoding_constraint === 1,
      badEndingTokens: o.remove_bad_endings === 1 ? tokenIdsOf(json.vocab, DECODING_BAD_ENDINGS) : [],
      unkToken: o.suppress_UNK === 1 ? V - 1 : null,
      blockTrigrams: o.block_trigrams === 1 ? 'soft' : false,
    });

    it('the fixture: the reference state dict and parameter count, its bad endings are core DECODING_BAD_ENDINGS, no decision closer than 5e-4', () => {
      expect(model.namedParameters().map(([n, v]) => [n, [...v.shape]])).toEqual(json.state_dict);
      expect(model.parameterCount()).toBe(json.num_parameters);
      expect(tokenIdsOf(json.vocab, DECODING_BAD_ENDINGS)).toEqual(json.bad_endings_ix);
      expect(json.vocab[String(V - 1)]).toBe('UNK');
      expect(json.min_decision_gap).toBeGreaterThan(10 * TOL.score);
    });

    for (const [name, c] of Object.entries(json.cases)) {
      const o = c.options;
      if (o.beam_size > 1) {
        it(`beam search ${name}: every kept beam (tokens, length, per-step log-probs, score) and the caption`, () => {
          const options: BeamSearchOptions = {
            beamSize: o.beam_size,
            groupSize: o.group_size ?? 1,
            diversityLambda: o.diversity_lambda ?? 0.5,
            lengthPenalty: o.length_penalty ?? '',
            temperature: o.temperature ?? 1,
            maxLength,
            ...constraints(o),
          };
          const out = beamSearch(model, features, options);
          const expected = c.beams as NonNullable<ReferenceCase['beams']>;
          expect(out.beams.length).toBe(expected.length);
          expected.forEach((beams, image) => {
            const ours = out.beams[image] ?? [];
            expect(
              ours.map((h) => Array.from(h.tokens)),
              `image ${image}: kept beams`,
            ).toEqual(beams.map((b) => b.seq));
            expect(ours.map((h) => h.length)).toEqual(beams.map((b) => b.length));
            beams.forEach((b, k) => {
              const h = ours[k];
              expectAllClose(h?.logprobs ?? [], b.logps, {
                atol: TOL.logprob,
                label: `image ${image} beam ${k} log-probs`,
              });
              expect(
                Math.abs((h?.score ?? NaN) - b.p),
                `image ${image} beam ${k}: score ${h?.score} vs ${b.p}`,
              ).toBeLessThanOrEqual(TOL.score);
            });
            expect(Array.from(out.tokens.subarray(image * maxLength, (image + 1) * maxLength))).toEqual(c.seq[image]);
          });
        });
      } else {
        const method = o.sample_method;
        it(`${method === 'greedy' ? 'greedy decoding' : 'sampling'} ${name}: tokens and the log-prob of every word up to the end token`, () => {
          const base = { maxLength, ...constraints(o) };
          const top = method.startsWith('top') ? Number(method.slice(3)) : null;
          const rng = new ReplayedRandom(c.uniforms ?? []);
          const out =
            method === 'greedy'
              ? greedyDecode(model, features, base)
              : sampleDecode(model, features, {
                  ...base,
                  rng,
                  temperature: o.temperature ?? 1,
                  ...(top === null ? {} : top >= 1 ? { topK: top } : { topP: top }),
                });
          expect(Array.from(out.tokens)).toEqual(c.seq.flat());
          if (method !== 'greedy') expect(rng.used, 'draws').toBe(c.uniforms?.length);
          c.seq.forEach((row, r) => {
            const steps = row.indexOf(0) < 0 ? row.length : row.indexOf(0) + 1;
            expectAllClose(
              out.logprobs.subarray(r * maxLength, r * maxLength + steps),
              (c.sample_logprobs?.[r] ?? []).slice(0, steps),
              { atol: TOL.logprob, label: `row ${r} log-probs` },
            );
          });
        });
      }
    }
  },
  folder,
);
