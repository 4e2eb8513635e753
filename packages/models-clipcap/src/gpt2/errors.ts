/**
 * Typed errors of the GPT-2 modules. Messages name the option, input or file and the offending value, so a
 * wrong configuration, an over-long sequence or a weights file made for another model can be fixed without a
 * debugger.
 */
import type { ShapeMismatch } from '@caption/core';

/** A GPT-2 configuration option that is missing, mistyped, out of range or not supported by this port. */
export class GPT2ConfigError extends Error {
  /** The option concerned (camelCase, e.g. `nHead`, or the Hugging Face name when reading a `config.json`). */
  readonly option: string;

  /**
   * @param option the option concerned
   * @param problem what is wrong with it, in words
   */
  constructor(option: string, problem: string) {
    super(`GPT-2 option '${option}': ${problem}`);
    this.name = 'GPT2ConfigError';
    this.option = option;
  }
}

/**
 * An input of a GPT-2 forward pass that does not fit the model: a sequence (prefix + caption, or cache + new
 * tokens) longer than its `nPositions`, token ids outside its vocabulary, or mis-shaped tensors.
 */
export class GPT2InputError extends Error {
  /** The argument concerned (e.g. `inputIds`, `attentionMask`, `positions`). */
  readonly input: string;

  /**
   * @param where the method that received the input (e.g. `GPT2Model.forward`)
   * @param input the argument concerned
   * @param problem what is wrong with it, in words
   */
  constructor(where: string, input: string, problem: string) {
    super(`${where}: ${input} ${problem}`);
    this.name = 'GPT2InputError';
    this.input = input;
  }
}

function listNames(names: readonly string[], max = 20): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, … (${names.length} in all)`;
}

/**
 * A weights file (safetensors) whose tensors do not fit the model built from its config: names the model lacks,
 * weights the file lacks, shapes that differ, unsupported dtypes, or a `lm_head.weight` that is not a copy of the
 * tied input embedding. Nothing is loaded when it is thrown. The message names the file and lists the tensors.
 */
export class WeightsFileError extends Error {
  /** The file (or the source name given for bytes). */
  readonly file: string;
  /** Parameter names of the model that the file lacks. */
  readonly missing: string[];
  /** Tensor names in the file that the model has no parameter for. */
  readonly unexpected: string[];
  /** Names present on both sides with different shapes. */
  readonly mismatched: ShapeMismatch[];

  /**
   * @param file the file (or source name)
   * @param details the three lists, and `problem` for anything else (dtype, tied head)
   */
  constructor(
    file: string,
    details: { missing?: string[]; unexpected?: string[]; mismatched?: ShapeMismatch[]; problem?: string },
  ) {
    const missing = details.missing ?? [];
    const unexpected = details.unexpected ?? [];
    const mismatched = details.mismatched ?? [];
    const parts: string[] = [];
    if (details.problem !== undefined) parts.push(details.problem);
    if (missing.length > 0) parts.push(`missing weights: ${listNames(missing)}`);
    if (unexpected.length > 0) parts.push(`unexpected weights: ${listNames(unexpected)}`);
    if (mismatched.length > 0) {
      parts.push(
        `shape mismatch: ${listNames(
          mismatched.map((m) => `${m.name} expected [${m.expected.join(', ')}] got [${m.actual.join(', ')}]`),
        )}`,
      );
    }
    super(`${file}: weights do not fit the model: ${parts.join('; ')}`);
    this.name = 'WeightsFileError';
    this.file = file;
    this.missing = missing;
    this.unexpected = unexpected;
    this.mismatched = mismatched;
  }
}
