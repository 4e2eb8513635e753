/**
 * GPT-2 against a reference folder (`gpt2-tiny.json`, `gpt2-tiny.safetensors`, `gpt2-tiny-io.safetensors`): the
 * model is built from the JSON config, loaded from the weights file, and every stored output is recomputed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { activation } from '@caption/core';
import {
  compareClose,
  compareExact,
  FORWARD_TOLERANCE,
  type ParityResult,
  type ReferenceFolder,
} from '../clipcap-reference.test-util';
import { gpt2ConfigFromHuggingFace } from './config';
import { GPT2LMHeadModel, type GPT2LayerCache } from './gpt2';
import { loadGPT2Weights } from './weights';
import { readSafetensorsFile } from '../weights';
import { join } from 'node:path';

/** The folder's GPT-2 (config from `gpt2-tiny.json`, weights from its `weights_file`), in eval mode. */
export function referenceGPT2(ref: ReferenceFolder): GPT2LMHeadModel {
  const meta = ref.json<{ config: Record<string, unknown>; weights_file: string }>('gpt2-tiny.json');
  const gpt = new GPT2LMHeadModel(gpt2ConfigFromHuggingFace(meta.config, 'gpt2-tiny.json')).eval();
  loadGPT2Weights(gpt, readSafetensorsFile(join(ref.dir, meta.weights_file)));
  return gpt;
}

function f32(ref: ReferenceFolder, name: string): tf.Tensor {
  const e = ref.tensor('gpt2-tiny-io.safetensors', name);
  return tf.tensor(e.data as Float32Array | Int32Array, e.shape, e.dtype === 'I32' ? 'int32' : 'float32');
}

function data(ref: ReferenceFolder, name: string): Float32Array | Int32Array {
  return ref.tensor('gpt2-tiny-io.safetensors', name).data as Float32Array | Int32Array;
}

/** Greedy continuation of `prompt` for `steps` tokens: last-position logits of each step and the ids. */
export function greedyGPT2(
  gpt: GPT2LMHeadModel,
  prompt: readonly number[],
  steps: number,
  cached: boolean,
): { ids: number[]; stepLogits: Float32Array } {
  const V = gpt.config.vocabSize;
  const ids: number[] = [];
  const stepLogits = new Float32Array(steps * V);
  let past: GPT2LayerCache[] | undefined;
  for (let s = 0; s < steps; s++) {
    const input = cached && past !== undefined ? [ids[ids.length - 1] as number] : [...prompt, ...ids];
    const inputIds = tf.tensor2d(input, [1, input.length], 'int32');
    const out = gpt.forward(
      cached && past !== undefined ? { inputIds, past, useCache: true } : { inputIds, useCache: cached },
    );
    const last = tf.tidy(() => tf.reshape(tf.slice(out.logits, [0, input.length - 1, 0], [1, 1, V]), [V]));
    const row = last.dataSync() as Float32Array;
    stepLogits.set(row, s * V);
    let best = 0;
    for (let v = 1; v < V; v++) if ((row[v] as number) > (row[best] as number)) best = v;
    ids.push(best);
    tf.dispose([inputIds, last, out.logits, out.lastHiddenState]);
    if (past !== undefined) tf.dispose(past.flatMap((l) => [l.key, l.value]));
    past = out.presents;
  }
  if (past !== undefined) tf.dispose(past.flatMap((l) => [l.key, l.value]));
  return { ids, stepLogits };
}

/** Every GPT-2 comparison of the folder: logits, hidden states, prefix, mask, greedy (cached and not), gelu_new. */
export function gpt2ParityResults(ref: ReferenceFolder): ParityResult[] {
  const gpt = referenceGPT2(ref);
  const results: ParityResult[] = [];
  try {
    tf.tidy(() => {
      const ids = f32(ref, 'input_ids') as tf.Tensor2D;
      const plain = gpt.forward({ inputIds: ids, outputHiddenStates: true });
      results.push(compareClose('logits', plain.logits.dataSync(), data(ref, 'logits'), FORWARD_TOLERANCE));
      const names = [...ref.tensors('gpt2-tiny-io.safetensors').keys()].filter((n) => /^hidden\.\d+_/.test(n));
      results.push(compareExact('hidden state count', plain.hiddenStates!.length, names.length));
      for (const name of names) {
        const index = Number(/^hidden\.(\d+)_/.exec(name)![1]);
        const mine = plain.hiddenStates![index];
        results.push(compareClose(name, mine === undefined ? [] : mine.dataSync(), data(ref, name), FORWARD_TOLERANCE));
      }
      const embeds = tf.concat([f32(ref, 'prefix_embeds'), gpt.transformer.embedTokens(ids)], 1) as tf.Tensor3D;
      const prefixed = gpt.forward({ inputsEmbeds: embeds });
      results.push(
        compareClose(
          'logits_with_prefix',
          prefixed.logits.dataSync(),
          data(ref, 'logits_with_prefix'),
          FORWARD_TOLERANCE,
        ),
      );
      const masked = gpt.forward({ inputsEmbeds: embeds, attentionMask: f32(ref, 'attention_mask') as tf.Tensor2D });
      results.push(
        compareClose(
          'logits_with_prefix_masked',
          masked.logits.dataSync(),
          data(ref, 'logits_with_prefix_masked'),
          FORWARD_TOLERANCE,
        ),
      );
      const gelu = activation('gelu_tanh')(f32(ref, 'act.x'));
      results.push(compareClose('act.gelu_new', gelu.dataSync(), data(ref, 'act.gelu_new'), FORWARD_TOLERANCE));
    });
    const prompt = [...data(ref, 'greedy.prompt_ids')];
    const expectedIds = [...data(ref, 'greedy.generated_ids')];
    const uncached = greedyGPT2(gpt, prompt, expectedIds.length, false);
    const cached = greedyGPT2(gpt, prompt, expectedIds.length, true);
    results.push(compareExact('greedy ids (uncached)', uncached.ids, expectedIds));
    results.push(compareExact('greedy ids (KV cache)', cached.ids, expectedIds));
    results.push(
      compareClose(
        'greedy.step_logits (uncached)',
        uncached.stepLogits,
        data(ref, 'greedy.step_logits'),
        FORWARD_TOLERANCE,
      ),
    );
    results.push(
      compareClose(
        'greedy.step_logits (KV cache)',
        cached.stepLogits,
        data(ref, 'greedy.step_logits'),
        FORWARD_TOLERANCE,
      ),
    );
  } finally {
    gpt.dispose();
  }
  return results;
}
