/**
 * Parity with OpenAI's `clip/model.py` on the clipcap-reference fixture (`$CLIPCAP_REFERENCE_DIR`, default
 * `../shared/data/clipcap-reference`): both tiny CLIP models (`vit`, `rn`) are built from the configs in
 * `clip-tiny.json`, loaded from `clip-tiny.safetensors`, and their features, logits, contrastive loss and every
 * listed gradient are compared at the README's tolerances (forward `1e-5 + 1e-4·|ref|`, gradients
 * `1e-4 + 1e-3·|ref|`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { computeGradients } from '@caption/core';
import { afterAll, expect, it } from 'vitest';
import {
  compareClose,
  describeWithReference,
  FORWARD_TOLERANCE,
  GRADIENT_TOLERANCE,
  type ParityResult,
  type ReferenceFolder,
} from '../clipcap-reference.test-util';
import { ClipModel, clipConfigFromOpenAI } from './clip-model';
import { entryFloats, entryTensor } from './fixture-tensors.test-util';
import { quickGelu } from './transformer';
import { loadClipWeights } from './weights';

const FILE = 'clip-tiny.safetensors';

interface ClipTinyJson {
  models: Record<
    string,
    {
      config: Parameters<typeof clipConfigFromOpenAI>[0];
      vision_heads: number;
      n_parameters: number;
      loss: number;
      grads_recorded: string[];
    }
  >;
}

interface ModelRun {
  outputs: Record<string, Float32Array>;
  loss: number;
  grads: Map<string, Float32Array>;
}

/** Forward, loss and gradients of one tiny model on the fixture's inputs. */
function runModel(ref: ReferenceFolder, name: string): { model: ClipModel; run: ModelRun } {
  const spec = ref.json<ClipTinyJson>('clip-tiny.json').models[name]!;
  const model = new ClipModel(clipConfigFromOpenAI(spec.config, { vision: spec.vision_heads }));
  loadClipWeights(model, { tensors: ref.tensors(FILE), metadata: {} }, { prefix: `${name}/`, source: FILE });
  model.eval();
  const images = entryTensor(ref.tensor(FILE, `io/${name}/image`)) as tf.Tensor4D;
  const text = entryTensor(ref.tensor(FILE, 'io/text')) as tf.Tensor2D;
  const outputs: Record<string, Float32Array> = {};
  const { loss, grads } = computeGradients(model, () => {
    const out = model.forward(images, text);
    outputs.image_features = out.imageFeatures.dataSync() as Float32Array;
    outputs.text_features = out.textFeatures.dataSync() as Float32Array;
    outputs.logits_per_image = out.logitsPerImage.dataSync() as Float32Array;
    outputs.logits_per_text = out.logitsPerText.dataSync() as Float32Array;
    return model.loss(images, text);
  });
  const run: ModelRun = {
    outputs,
    loss: loss.dataSync()[0] as number,
    grads: new Map([...grads].map(([n, g]) => [n, g.dataSync() as Float32Array])),
  };
  tf.dispose([loss, images, text, ...grads.values()]);
  return { model, run };
}

/** Every comparison of a run against the stored outputs. */
function comparisons(ref: ReferenceFolder, name: string, run: ModelRun): ParityResult[] {
  const spec = ref.json<ClipTinyJson>('clip-tiny.json').models[name]!;
  const stored = (key: string) => entryFloats(ref.tensor(FILE, key));
  const out: ParityResult[] = [];
  for (const key of ['image_features', 'text_features', 'logits_per_image', 'logits_per_text']) {
    out.push(compareClose(`${name} ${key}`, run.outputs[key]!, stored(`io/${name}/${key}`), FORWARD_TOLERANCE));
  }
  out.push(compareClose(`${name} loss`, [run.loss], stored(`io/${name}/loss`), FORWARD_TOLERANCE));
  out.push(compareClose(`${name} loss (json)`, [run.loss], [spec.loss], FORWARD_TOLERANCE));
  for (const param of spec.grads_recorded) {
    const grad = run.grads.get(param);
    out.push(
      grad === undefined
        ? { name: `${name} grad ${param}`, ok: false, detail: 'no gradient' }
        : compareClose(`${name} grad ${param}`, grad, stored(`grad/${name}/${param}`), GRADIENT_TOLERANCE),
    );
  }
  return out;
}

describeWithReference('CLIP parity with openai/CLIP (clip-tiny)', ['clip-tiny.json', FILE], (ref) => {
  const runs = new Map<string, ModelRun>();
  const models: ClipModel[] = [];
  afterAll(() => models.forEach((m) => m.dispose()));

  for (const name of ['vit', 'rn']) {
    it(`${name}: parameter count, features, logits, loss and the listed gradients`, () => {
      const json = ref.json<ClipTinyJson>('clip-tiny.json');
      const { model, run } = runModel(ref, name);
      models.push(model);
      runs.set(name, run);
      expect(model.trainableParameterCount()).toBe(json.models[name]!.n_parameters);
      const failed = comparisons(ref, name, run).filter((c) => !c.ok);
      expect(failed.map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
      expect(json.models[name]!.grads_recorded.length).toBeGreaterThanOrEqual(13);
    });
  }

  it('a changed stored output fails the comparison (the check is not vacuous)', () => {
    const run = runs.get('vit');
    expect(run, 'the vit case ran').toBeDefined();
    const tampered = { ...run!, outputs: { ...run!.outputs } };
    const logits = Float32Array.from(run!.outputs.logits_per_image!);
    logits[5] = (logits[5] as number) + 1e-3;
    tampered.outputs.logits_per_image = logits;
    const failed = comparisons(ref, 'vit', tampered).filter((c) => !c.ok);
    expect(failed.map((c) => c.name)).toEqual(['vit logits_per_image']);
  });

  it('QuickGELU table (io/act.quick_gelu)', () => {
    const y = tf.tidy(() => quickGelu(entryTensor(ref.tensor(FILE, 'io/act.x'))).dataSync());
    const c = compareClose('quick_gelu', y, entryFloats(ref.tensor(FILE, 'io/act.quick_gelu')), FORWARD_TOLERANCE);
    expect(c.ok, c.detail).toBe(true);
  });
});
