/**
 * Parity with OpenAI's `clip/model.py` on the clipcap-reference fixture (`$CLIPCAP_REFERENCE_DIR`, default
 * `../shared/data/clipcap-reference`): both tiny CLIP models (`vit`, `rn`) are built from the configs in
 * `clip-tiny.json`, loaded from `clip-tiny.safetensors`, and their features, logits, contrastive loss and every
 * listed gradient are compared at the README's tolerances (forward `1e-5 + 1e-4·|ref|`, gradients
 * `1e-4 + 1e-3·|ref|`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { computeGradients } from '@caption/core';
import { toleranceReport } from '@caption/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  clipcapReferenceDir,
  describeWithFiles,
  readFixture,
  readJson,
  type Fixture,
} from '../clipcap-reference.test-util';
import { ClipModel, clipConfigFromOpenAI } from './clip-model';
import { quickGelu } from './transformer';
import { loadClipWeights } from './weights';

const FORWARD = { atol: 1e-5, rtol: 1e-4 };
const GRAD = { atol: 1e-4, rtol: 1e-3 };

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

interface Comparison {
  label: string;
  excess: number;
  detail: string;
}

function compare(
  label: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { atol: number; rtol: number },
): Comparison {
  if (actual.length !== expected.length)
    return { label, excess: Infinity, detail: `length ${actual.length} vs ${expected.length}` };
  const worst = toleranceReport(actual, expected, tol.atol, tol.rtol);
  return { label, excess: worst.excess, detail: `element ${worst.index}: ${worst.actual} vs ${worst.expected}` };
}

interface ModelRun {
  outputs: Record<string, Float32Array>;
  loss: number;
  grads: Map<string, Float32Array>;
}

/** Forward, loss and gradients of one tiny model on the fixture's inputs. */
function runModel(fx: Fixture, json: ClipTinyJson, name: string): { model: ClipModel; run: ModelRun } {
  const spec = json.models[name]!;
  const model = new ClipModel(clipConfigFromOpenAI(spec.config, { vision: spec.vision_heads }));
  const weights = fx.tensors(`${name}/`);
  loadClipWeights(model, weights, `clip-tiny.safetensors (${name}/)`);
  tf.dispose([...weights.values()]);
  model.eval();
  const images = fx.tensor(`io/${name}/image`) as tf.Tensor4D;
  const text = fx.tensor('io/text') as tf.Tensor2D;
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

/** Every comparison of a run against the stored outputs (excess ≤ 0: within tolerance). */
function comparisons(fx: Fixture, json: ClipTinyJson, name: string, run: ModelRun): Comparison[] {
  const spec = json.models[name]!;
  const out: Comparison[] = [];
  for (const key of ['image_features', 'text_features', 'logits_per_image', 'logits_per_text']) {
    out.push(compare(`${name} ${key}`, run.outputs[key]!, fx.data(`io/${name}/${key}`), FORWARD));
  }
  out.push(compare(`${name} loss`, [run.loss], fx.data(`io/${name}/loss`), FORWARD));
  out.push(compare(`${name} loss (json)`, [run.loss], [spec.loss], FORWARD));
  for (const param of spec.grads_recorded) {
    const grad = run.grads.get(param);
    out.push(
      grad === undefined
        ? { label: `${name} grad ${param}`, excess: Infinity, detail: 'no gradient' }
        : compare(`${name} grad ${param}`, grad, fx.data(`grad/${name}/${param}`), GRAD),
    );
  }
  return out;
}

const dir = clipcapReferenceDir();

describeWithFiles(
  'CLIP parity with openai/CLIP (clip-tiny)',
  ['clip-tiny.json', 'clip-tiny.safetensors'],
  () => {
    let fx: Fixture;
    let json: ClipTinyJson;
    const runs = new Map<string, ModelRun>();
    const models: ClipModel[] = [];

    beforeAll(() => {
      fx = readFixture(dir, 'clip-tiny.safetensors');
      json = readJson<ClipTinyJson>(dir, 'clip-tiny.json');
    });
    afterAll(() => models.forEach((m) => m.dispose()));

    for (const name of ['vit', 'rn']) {
      it(`${name}: parameter count, features, logits, loss and the listed gradients`, () => {
        const { model, run } = runModel(fx, json, name);
        models.push(model);
        runs.set(name, run);
        expect(model.trainableParameterCount()).toBe(json.models[name]!.n_parameters);
        const failed = comparisons(fx, json, name, run).filter((c) => !(c.excess <= 0));
        expect(failed.map((c) => `${c.label}: ${c.detail} (excess ${c.excess})`)).toEqual([]);
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
      const failed = comparisons(fx, json, 'vit', tampered).filter((c) => !(c.excess <= 0));
      expect(failed.map((c) => c.label)).toEqual(['vit logits_per_image']);
    });

    it('QuickGELU table (io/act.quick_gelu)', () => {
      const y = tf.tidy(() => quickGelu(fx.tensor('io/act.x')).dataSync());
      const c = compare('quick_gelu', y, fx.data('io/act.quick_gelu'), FORWARD);
      expect(c.excess, c.detail).toBeLessThanOrEqual(0);
    });
  },
  dir,
);
