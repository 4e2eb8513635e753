/**
 * The parity checks are not vacuous: on a copy of the reference folder with one stored output changed, the check of
 * that output fails (and the others still pass), through the same functions the parity tests use.
 */
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, serializeSafetensors } from '@caption/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithReference, ReferenceFolder } from './clipcap-reference.test-util';
import { generationParityResults, mapperParityResults } from './clipcap/clipcap-parity.test-util';
import { gpt2ParityResults } from './gpt2/gpt2-parity.test-util';

const FILES = [
  'gpt2-tiny.json',
  'gpt2-tiny.safetensors',
  'gpt2-tiny-io.safetensors',
  'mapper.json',
  'mapper.safetensors',
];

function perturbTensor(path: string, name: string, index: number, delta: number): void {
  const file = parseSafetensors(new Uint8Array(readFileSync(path)), path);
  const entry = file.tensors.get(name)!;
  (entry.data as Float32Array)[index]! += delta;
  writeFileSync(path, serializeSafetensors(file.tensors, file.metadata));
}

interface MapperEdit {
  loss: { values: { mlp: { mask_first_epoch: number } } };
  generation: { transformer: { generate_beam_best_first: number[][] } };
}

function perturbJson(path: string, edit: (json: MapperEdit) => void): void {
  const json = JSON.parse(readFileSync(path, 'utf8')) as MapperEdit;
  edit(json);
  writeFileSync(path, JSON.stringify(json));
}

describeWithReference('a perturbed copy of the reference folder fails the parity checks', FILES, (ref) => {
  let copy: string;
  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'clipcap-reference-'));
    cpSync(ref.dir, copy, { recursive: true });
    for (const f of readdirSync(copy)) chmodSync(join(copy, f), 0o644);
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('the unchanged copy passes, then one changed logit, loss, gradient or beam id fails exactly its own check', () => {
    const failures = () =>
      [
        ...gpt2ParityResults(new ReferenceFolder(copy)),
        ...mapperParityResults(new ReferenceFolder(copy)),
        ...generationParityResults(new ReferenceFolder(copy)),
      ]
        .filter((r) => !r.ok)
        .map((r) => r.name);
    expect(failures()).toEqual([]);
    perturbTensor(join(copy, 'gpt2-tiny-io.safetensors'), 'logits', 7, 1e-3);
    perturbTensor(join(copy, 'mapper.safetensors'), 'grad/transformer/clip_project.linear.bias', 3, 1e-3);
    perturbJson(join(copy, 'mapper.json'), (j) => {
      j.loss.values.mlp.mask_first_epoch += 1e-3;
      const beams = j.generation.transformer.generate_beam_best_first;
      const last = beams[beams.length - 1]!;
      last[last.length - 1] = last[last.length - 1]! + 1; // another token id (the sequence no longer matches)
    });
    expect(failures().sort()).toEqual(
      [
        'logits',
        'mlp loss (mask_first_epoch, ignore_index 0)',
        'transformer grad clip_project.linear.bias',
        'transformer KV cache generate_beam',
        'transformer uncached generate_beam',
      ].sort(),
    );
  });
});
