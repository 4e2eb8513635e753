/**
 * ClipCap against a reference folder (`mapper.json`, `mapper.safetensors`, and the GPT-2 of `gpt2-tiny.*`): both
 * mappers' prefixes, full logits, losses and every mapper gradient; `generate2` and `generate_beam` ids with and
 * without a stop token, each with the KV cache and with full re-runs. Models are built from the JSON configs.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { computeGradients } from '@caption/core';
import {
  compareClose,
  compareExact,
  FORWARD_TOLERANCE,
  GRADIENT_TOLERANCE,
  type ParityResult,
  type ReferenceFolder,
} from '../clipcap-reference.test-util';
import { gpt2ConfigFromHuggingFace } from '../gpt2/config';
import { loadGPT2Weights } from '../gpt2/weights';
import { loadWeightsInto, readSafetensorsFile } from '../weights';
import { ClipCapDecoder } from '../generation/decoder';
import { generateBeam, generateGreedy } from '../generation/generate';
import { CAPTION_PADDING, ClipCapModel, type MappingType } from './captioner';

/** The parts of `mapper.json` these checks read. */
interface MapperJson {
  config: {
    prefix_length: number;
    clip_length: number;
    prefix_size: number;
    num_layers: number;
    gpt_embedding_size: number;
    transformer_mapper_heads: number;
    transformer_mapper_mlp_ratio: number;
    mlp_sizes: number[];
  };
  state_dict_names: Record<MappingType, Record<string, number[]>>;
  loss: {
    batch_captions_token_ids_before_padding: number[][];
    values: Record<MappingType, { mask_first_epoch: number; mask_later_epochs: number }>;
  };
  generation: Record<
    MappingType,
    {
      entry_length: number;
      'beam_size (generate_beam)': number;
      generate2_without_stop: number[];
      generate2_stop_token_id: number;
      generate2: number[];
      generate_beam_without_stop_best_first: number[][];
      generate_beam_stop_token_id: number;
      generate_beam_best_first: number[][];
    }
  >;
}

const MAPPINGS: readonly MappingType[] = ['mlp', 'transformer'];

function tensorOf(ref: ReferenceFolder, name: string): tf.Tensor {
  const e = ref.tensor('mapper.safetensors', name);
  return tf.tensor(e.data as Float32Array | Int32Array, e.shape, e.dtype === 'I32' ? 'int32' : 'float32');
}

/** The folder's ClipCap model of one mapping type, with its GPT-2, in eval mode. */
export function referenceClipCap(ref: ReferenceFolder, mapping: MappingType): ClipCapModel {
  const m = ref.json<MapperJson>('mapper.json').config;
  const g = ref.json<{ config: Record<string, unknown>; weights_file: string }>('gpt2-tiny.json');
  const gpt = gpt2ConfigFromHuggingFace(g.config, 'gpt2-tiny.json');
  // The port has ClipCap's hard-coded TransformerMapper heads (8) and MLP ratio (2.0) and its MLP sizes.
  const expectedHidden = Math.floor((m.gpt_embedding_size * m.prefix_length) / 2);
  if (
    m.transformer_mapper_heads !== 8 ||
    m.transformer_mapper_mlp_ratio !== 2 ||
    m.gpt_embedding_size !== gpt.nEmbd ||
    JSON.stringify(m.mlp_sizes) !==
      JSON.stringify([m.prefix_size, expectedHidden, m.gpt_embedding_size * m.prefix_length])
  ) {
    throw new Error(`mapper.json config ${JSON.stringify(m)} is not ClipCap's architecture`);
  }
  const model = new ClipCapModel({
    gpt,
    prefixSize: m.prefix_size,
    prefixLength: m.prefix_length,
    mappingType: mapping,
    clipLength: m.clip_length,
    numLayers: m.num_layers,
  }).eval();
  loadGPT2Weights(model.gpt, readSafetensorsFile(join(ref.dir, g.weights_file)));
  const mapperFile = readSafetensorsFile(join(ref.dir, 'mapper.safetensors'));
  const own = `${mapping}/clip_project.`;
  loadWeightsInto(model.clip_project, mapperFile, 'mapper.safetensors', (n) =>
    n.startsWith(own) ? n.slice(own.length) : null,
  );
  return model;
}

/** Cross-entropy of each target from the reference's full logits (position P−1+j predicts token j). */
function crossEntropyFromLogits(
  logits: Float32Array,
  shape: number[],
  tokens: number[][],
  prefixLength: number,
): number[] {
  const [, T, V] = shape as [number, number, number];
  const out: number[] = [];
  tokens.forEach((caption, b) =>
    caption.forEach((target, j) => {
      const row = logits.subarray((b * T + prefixLength - 1 + j) * V, (b * T + prefixLength + j) * V);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      out.push(lse - (row[target] as number));
    }),
  );
  return out;
}

/** Prefixes, full logits, losses (ClipCap's and with our padding) and every mapper gradient, for both mappers. */
export function mapperParityResults(ref: ReferenceFolder): ParityResult[] {
  const meta = ref.json<MapperJson>('mapper.json');
  const results: ParityResult[] = [];
  for (const mapping of MAPPINGS) {
    const model = referenceClipCap(ref, mapping);
    try {
      tf.tidy(() => {
        const data = (name: string) => ref.tensor('mapper.safetensors', name).data as Float32Array;
        const prefix = model.prefixEmbeddings(tensorOf(ref, 'io/clip_embedding') as tf.Tensor2D);
        results.push(
          compareClose(`${mapping} prefix`, prefix.dataSync(), data(`io/${mapping}/prefix`), FORWARD_TOLERANCE),
        );
        const clip = tensorOf(ref, 'loss/prefix') as tf.Tensor2D;
        const tokens = tensorOf(ref, 'loss/tokens') as tf.Tensor2D;
        const firstMask = tensorOf(ref, 'loss/mask_first_epoch') as tf.Tensor2D;
        const logits = model.forward(clip, tokens, firstMask);
        results.push(
          compareClose(`${mapping} full logits`, logits.dataSync(), data(`loss/${mapping}/logits`), FORWARD_TOLERANCE),
        );
        const values = meta.loss.values[mapping];
        for (const [epoch, maskName] of [
          ['mask_first_epoch', 'loss/mask_first_epoch'],
          ['mask_later_epochs', 'loss/mask_later_epochs'],
        ] as const) {
          const attentionMask = tensorOf(ref, maskName) as tf.Tensor2D;
          const loss = model.loss(clip, tokens, { attentionMask, ignoreIndex: 0 });
          results.push(
            compareClose(
              `${mapping} loss (${epoch}, ignore_index 0)`,
              loss.dataSync(),
              [values[epoch]],
              FORWARD_TOLERANCE,
            ),
          );
        }
        // Our padding (-1) keeps a genuine token 0 as a target: the mean over every caption token, computed here
        // from the reference's own logits (the counted positions are the same with either mask).
        const captions = meta.loss.batch_captions_token_ids_before_padding.map((c) => c.slice(0, tokens.shape[1]));
        const padded = tf.tensor2d(
          captions.map((c) => [...c, ...Array(tokens.shape[1] - c.length).fill(CAPTION_PADDING)]),
          tokens.shape,
          'int32',
        );
        const perToken = crossEntropyFromLogits(
          data(`loss/${mapping}/logits`),
          logits.shape,
          captions,
          model.config.prefixLength,
        );
        const ours = model.loss(clip, padded);
        results.push(
          compareClose(
            `${mapping} loss with CAPTION_PADDING (${perToken.length} targets, token 0 included)`,
            ours.dataSync(),
            [perToken.reduce((a, b) => a + b, 0) / perToken.length],
            FORWARD_TOLERANCE,
          ),
        );
        const { grads } = computeGradients(model.clip_project.namedParameters('clip_project'), () =>
          model.loss(clip, tokens, { attentionMask: firstMask, ignoreIndex: 0 }),
        );
        const names = Object.keys(meta.state_dict_names[mapping]);
        results.push(compareExact(`${mapping} gradient names`, [...grads.keys()].sort(), [...names].sort()));
        for (const name of names) {
          const g = grads.get(name);
          results.push(
            compareClose(
              `${mapping} grad ${name}`,
              g === undefined ? [] : g.dataSync(),
              data(`grad/${mapping}/${name}`),
              GRADIENT_TOLERANCE,
            ),
          );
        }
      });
    } finally {
      model.dispose();
    }
  }
  return results;
}

/** `generate2` and `generate_beam` token ids, without and with a stop token, with and without the KV cache. */
export function generationParityResults(ref: ReferenceFolder): ParityResult[] {
  const meta = ref.json<MapperJson>('mapper.json');
  const results: ParityResult[] = [];
  for (const mapping of MAPPINGS) {
    const model = referenceClipCap(ref, mapping);
    const expected = meta.generation[mapping];
    const clip = tf.tidy(() => tf.slice(tensorOf(ref, 'io/clip_embedding'), [0, 0], [1, -1]) as tf.Tensor2D);
    try {
      for (const useCache of [true, false]) {
        const label = `${mapping} ${useCache ? 'KV cache' : 'uncached'}`;
        const maxLength = expected.entry_length;
        const beamSize = expected['beam_size (generate_beam)'];
        const plain = new ClipCapDecoder(model, { useCache });
        const stop2 = new ClipCapDecoder(model, { useCache, stopToken: expected.generate2_stop_token_id });
        const stopBeam = new ClipCapDecoder(model, { useCache, stopToken: expected.generate_beam_stop_token_id });
        results.push(
          compareExact(
            `${label} generate2 without stop`,
            generateGreedy(plain, clip, { maxLength })[0],
            expected.generate2_without_stop,
          ),
        );
        results.push(
          compareExact(`${label} generate2`, generateGreedy(stop2, clip, { maxLength })[0], expected.generate2),
        );
        const beams = (decoder: ClipCapDecoder) =>
          generateBeam(decoder, clip, { maxLength, beamSize })[0]!.map((b) => b.tokens);
        results.push(
          compareExact(
            `${label} generate_beam without stop`,
            beams(plain),
            expected.generate_beam_without_stop_best_first,
          ),
        );
        results.push(compareExact(`${label} generate_beam`, beams(stopBeam), expected.generate_beam_best_first));
      }
    } finally {
      clip.dispose();
      model.dispose();
    }
  }
  return results;
}
