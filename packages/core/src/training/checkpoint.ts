/**
 * Checkpoints on disk: weights in safetensors (PyTorch state-dict names, readable by Python's
 * `safetensors` / any safetensors reader), optimiser moments in a second safetensors file, and the
 * training state (step, epoch, RNG, data-loader position, best score, config...) as JSON.
 *
 * Layout of a checkpoint directory:
 * ```
 * <dir>/step-00001200-3fa9c2d1/   one complete checkpoint
 *     model.safetensors           weights (F32, contiguous, header padded to 8 bytes)
 *     optimizer.safetensors       exp_avg.<name>, exp_avg_sq.<name>
 *     training-state.json
 * <dir>/latest.json               {"checkpoint": "step-00001200-3fa9c2d1", "step": 1200, ...}
 * <dir>/best.json                 the same for the best validation score
 * ```
 * A checkpoint is written into a hidden temporary directory, every file flushed (`fsync`), then the
 * directory is renamed into place and the pointer files are replaced atomically. A crash at any moment
 * leaves `latest.json` pointing at a complete checkpoint. Old checkpoints that no pointer references are
 * pruned (the newest `keepLast` are kept).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  parseSafetensors,
  type SafetensorsArray,
  SafetensorsError,
  type SafetensorsFile,
  serializeSafetensors,
} from '../io/safetensors';
import type { AdamState } from '../optim/adam';
import type { RandomState } from '../random';
import { fsyncDirectory, writeFileAtomic, writeFileDurable } from './atomic-file';
import { CheckpointError } from './errors';

/** File names inside a checkpoint directory. */
export const CHECKPOINT_FILES = Object.freeze({
  model: 'model.safetensors',
  optimizer: 'optimizer.safetensors',
  state: 'training-state.json',
});

/** The JSON training state stored with every checkpoint. */
export interface TrainingState {
  /** Marks the file as a caption training state. */
  format: 'caption-training-state';
  /** Format version; 1 is the only one so far. */
  version: 1;
  /** Optimiser steps completed. */
  step: number;
  /** Epochs completed. */
  epoch: number;
  /** Steps completed in the current (unfinished) epoch. */
  stepInEpoch: number;
  /** Best validation score so far, or null. */
  bestScore: number | null;
  /** State of the run's random generator (dropout, sampling, shuffling), or null. */
  rng: RandomState | null;
  /** The data loader's position (opaque JSON from the loader), or null. */
  data: unknown;
  /** The optimiser's JSON state (its moments are in `optimizer.safetensors`), or null. */
  optimizer: AdamState | null;
  /** Other stateful parts by name (schedulers, counters...), as JSON. */
  components: Record<string, unknown>;
  /** The run's configuration (JSON), as given. */
  config: unknown;
  /**
   * SHA-256 (hex) of each safetensors file of the checkpoint by file name, written by {@link CheckpointStore.save}
   * and checked on load (a changed byte is an error, not silently different weights). Absent in older checkpoints.
   */
  checksums?: Record<string, string>;
}

/** What a pointer file (`latest.json`, `best.json`) holds. */
export interface CheckpointPointer {
  /** Directory name of the checkpoint, relative to the store. */
  checkpoint: string;
  /** Optimiser steps completed when it was saved. */
  step: number;
  /** Epochs completed when it was saved. */
  epoch: number;
  /** Best validation score of the run when it was saved, or null. */
  bestScore: number | null;
  /** When it was saved (ISO 8601). */
  savedAt: string;
}

/** A tensor's bytes for saving: a live tensor, or data with a shape. */
export type SavedTensor =
  | tf.Tensor
  | {
      /** The values, row-major; the safetensors dtype follows the array type (`Float32Array` → `F32`, ...). */
      data: SafetensorsArray;
      /** The tensor's shape; the product of its dimensions is `data.length`. */
      shape: readonly number[];
    };

/** A checkpoint read back from disk (plain typed arrays; no tensors are created). */
export interface LoadedCheckpoint {
  /** Absolute path of the checkpoint directory. */
  path: string;
  /** The weights (`model.safetensors`). */
  weights: SafetensorsFile;
  /** The optimiser moments (`optimizer.safetensors`), or null when not saved. */
  optimizer: SafetensorsFile | null;
  /** The JSON training state (`training-state.json`). */
  state: TrainingState;
}

/** Options of {@link CheckpointStore}. */
export interface CheckpointStoreOptions {
  /** Unreferenced checkpoints kept besides `latest` and `best` (the newest first); default 0. */
  keepLast?: number;
}

const CHECKPOINT_NAME = /^step-(\d+)-[0-9a-f]+$/;
/** Temporary names of a save killed half-way (see `temporarySibling` for the pointer files). */
const LEFTOVER = /^\.(step-\d+-[0-9a-f]+|latest\.json|best\.json)\.tmp-/;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The other complete checkpoints beside `path` (newest step first), named in errors about a damaged one so that
 * the user knows what is left to resume from.
 */
function otherCheckpoints(path: string): string {
  const store = dirname(path);
  let names: string[] = [];
  try {
    names = readdirSync(store).filter(
      (e) => CHECKPOINT_NAME.test(e) && e !== basename(path) && existsSync(join(store, e, CHECKPOINT_FILES.state)),
    );
  } catch {
    // no readable store folder: nothing to offer
  }
  names.sort(
    (a, b) => Number(CHECKPOINT_NAME.exec(b)?.[1]) - Number(CHECKPOINT_NAME.exec(a)?.[1]) || b.localeCompare(a),
  );
  return names.length === 0
    ? `no other checkpoint is kept in ${store}`
    : `other checkpoints in ${store}, newest first: ${names.join(', ')} (to resume from one, set "checkpoint" in latest.json to its name)`;
}

function toBytes(name: string, t: SavedTensor): { data: SafetensorsArray; shape: readonly number[] } {
  if (t instanceof tf.Tensor) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32')
      throw new CheckpointError(`tensor '${name}' has dtype ${t.dtype}; only float32 and int32 are saved`);
    return { data: t.dataSync() as Float32Array | Int32Array, shape: t.shape };
  }
  return t;
}

/** Serialises named tensors to safetensors bytes (in the map's order). */
export function tensorsToSafetensors(
  tensors: ReadonlyMap<string, SavedTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries = new Map<string, { data: SafetensorsArray; shape: readonly number[] }>();
  for (const [name, t] of tensors) entries.set(name, toBytes(name, t));
  return serializeSafetensors(entries, metadata);
}

/**
 * A directory of checkpoints with `latest` and `best` pointers.
 *
 * @example
 * ```ts
 * const store = new CheckpointStore('runs/aoanet');
 * store.save({ weights: model.stateDict(), optimizer: optimizer.stateTensors(), state }, { best: true });
 * const last = store.load('latest'); // null before the first save
 * ```
 */
export class CheckpointStore {
  /** Absolute path of the store. */
  readonly directory: string;
  private readonly keepLast: number;

  /**
   * Creates the directory when it does not exist and removes the temporary directories (`.step-*.tmp-*`) and
   * pointer files (`.latest.json.tmp-*`, `.best.json.tmp-*`) that a save killed half-way left behind.
   *
   * @param directory where the checkpoints and pointer files live (resolved to an absolute path)
   * @param options how many unreferenced checkpoints to keep
   * @throws {CheckpointError} when `keepLast` is not an integer >= 0
   */
  constructor(directory: string, options: CheckpointStoreOptions = {}) {
    this.directory = resolve(directory);
    this.keepLast = options.keepLast ?? 0;
    if (!Number.isInteger(this.keepLast) || this.keepLast < 0)
      throw new CheckpointError(`CheckpointStore: keepLast must be an integer >= 0, got ${this.keepLast}`);
    mkdirSync(this.directory, { recursive: true });
    // leftovers of a save that was killed half-way: a checkpoint directory or a pointer file being written
    for (const entry of readdirSync(this.directory)) {
      if (LEFTOVER.test(entry)) rmSync(join(this.directory, entry), { recursive: true, force: true });
    }
  }

  /**
   * Writes a complete checkpoint and points `latest` (and `best` when asked) at it.
   *
   * @returns the checkpoint's absolute directory
   */
  save(
    content: {
      /** The model's weights by PyTorch-style name, written to `model.safetensors`. */
      weights: ReadonlyMap<string, SavedTensor>;
      /** The optimiser's moments (`Adam.stateTensors()`), written to `optimizer.safetensors`; null or absent: none. */
      optimizer?: ReadonlyMap<string, SavedTensor> | null;
      /** The JSON training state, written to `training-state.json`; its `step` names the directory. */
      state: TrainingState;
    },
    options: {
      /** Also point `best` at this checkpoint; default false. */
      best?: boolean;
    } = {},
  ): string {
    const { state } = content;
    const name = `step-${String(state.step).padStart(8, '0')}-${randomBytes(4).toString('hex')}`;
    const tmp = join(this.directory, `.${name}.tmp-${process.pid}`);
    const finalPath = join(this.directory, name);
    mkdirSync(tmp);
    try {
      const meta = { format: 'pt', 'caption.checkpoint': name };
      const checksums: Record<string, string> = {};
      const write = (file: string, bytes: Uint8Array): void => {
        writeFileDurable(join(tmp, file), bytes);
        checksums[file] = sha256(bytes);
      };
      write(CHECKPOINT_FILES.model, tensorsToSafetensors(content.weights, meta));
      if (content.optimizer !== undefined && content.optimizer !== null) {
        write(CHECKPOINT_FILES.optimizer, tensorsToSafetensors(content.optimizer, meta));
      }
      writeFileDurable(join(tmp, CHECKPOINT_FILES.state), `${JSON.stringify({ ...state, checksums }, null, 2)}\n`);
      fsyncDirectory(tmp);
      renameSync(tmp, finalPath);
      fsyncDirectory(this.directory);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw new CheckpointError(`could not write checkpoint ${finalPath}: ${(e as Error).message}`);
    }
    const pointer: CheckpointPointer = {
      checkpoint: name,
      step: state.step,
      epoch: state.epoch,
      bestScore: state.bestScore,
      savedAt: new Date().toISOString(),
    };
    const text = `${JSON.stringify(pointer, null, 2)}\n`;
    writeFileAtomic(join(this.directory, 'latest.json'), text);
    if (options.best === true) writeFileAtomic(join(this.directory, 'best.json'), text);
    this.prune();
    return finalPath;
  }

  /** The pointer `latest` or `best`, or null when none was written. */
  pointer(tag: 'latest' | 'best'): CheckpointPointer | null {
    const file = join(this.directory, `${tag}.json`);
    if (!existsSync(file)) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new CheckpointError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    const p = parsed as Partial<CheckpointPointer>;
    if (typeof p.checkpoint !== 'string' || !CHECKPOINT_NAME.test(p.checkpoint)) {
      throw new CheckpointError(
        `${file}: field "checkpoint" must name a checkpoint ` +
          `directory (step-<n>-<hex>), got ${JSON.stringify(p.checkpoint)}`,
      );
    }
    return parsed as CheckpointPointer;
  }

  /** Absolute directory of the checkpoint `latest` or `best` points at, or null. */
  resolve(tag: 'latest' | 'best'): string | null {
    const p = this.pointer(tag);
    return p === null ? null : join(this.directory, p.checkpoint);
  }

  /**
   * Reads the checkpoint `latest` or `best` points at (null when there is none), or the checkpoint
   * directory at `path`.
   */
  load(
    which:
      | 'latest'
      | 'best'
      | {
          /** A checkpoint directory (relative paths are resolved against the working directory, not the store). */
          path: string;
        },
  ): LoadedCheckpoint | null {
    const path = typeof which === 'string' ? this.resolve(which) : resolve(which.path);
    if (path === null) return null;
    return readCheckpoint(path);
  }

  private prune(): void {
    const referenced = new Set<string>();
    for (const tag of ['latest', 'best'] as const) {
      const p = this.pointer(tag);
      if (p !== null) referenced.add(p.checkpoint);
    }
    const others = readdirSync(this.directory)
      .filter((e) => CHECKPOINT_NAME.test(e) && !referenced.has(e))
      .map((e) => ({ e, mtime: statSync(join(this.directory, e)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime || b.e.localeCompare(a.e));
    for (const { e } of others.slice(this.keepLast)) rmSync(join(this.directory, e), { recursive: true, force: true });
  }
}

/**
 * Reads a checkpoint directory written by {@link CheckpointStore.save}.
 *
 * @throws {CheckpointError} naming the file when one is missing, truncated, not safetensors, or differs from the
 *   SHA-256 recorded at save time; the message lists the other checkpoints kept beside it
 */
export function readCheckpoint(path: string): LoadedCheckpoint {
  const file = (n: string): string => join(path, n);
  for (const n of [CHECKPOINT_FILES.model, CHECKPOINT_FILES.state]) {
    if (!existsSync(file(n)))
      throw new CheckpointError(`checkpoint ${path}: ${n} is missing; ${otherCheckpoints(path)}`);
  }
  let state: TrainingState;
  try {
    state = JSON.parse(readFileSync(file(CHECKPOINT_FILES.state), 'utf8')) as TrainingState;
  } catch (e) {
    throw new CheckpointError(
      `${file(CHECKPOINT_FILES.state)}: not valid JSON (${(e as Error).message}); ${otherCheckpoints(path)}`,
    );
  }
  if (state.format !== 'caption-training-state' || state.version !== 1) {
    throw new CheckpointError(
      `${file(CHECKPOINT_FILES.state)}: field ` +
        `"format"/"version" is ${JSON.stringify(state.format)}/${JSON.stringify(state.version)}, expected ` +
        `"caption-training-state"/1`,
    );
  }
  for (const key of ['step', 'epoch'] as const) {
    if (!Number.isInteger(state[key]) || state[key] < 0)
      throw new CheckpointError(
        `${file(CHECKPOINT_FILES.state)}: field "${key}" must be an integer >= 0, got ${JSON.stringify(state[key])}`,
      );
  }
  const readTensors = (name: string): SafetensorsFile => {
    const bytes = new Uint8Array(readFileSync(file(name)));
    const expected = state.checksums?.[name];
    if (expected !== undefined && sha256(bytes) !== expected) {
      throw new CheckpointError(
        `${file(name)}: damaged (its SHA-256 differs from the one recorded when it was saved; ${bytes.byteLength} bytes); ${otherCheckpoints(path)}`,
      );
    }
    try {
      return parseSafetensors(bytes, file(name));
    } catch (e) {
      if (!(e instanceof SafetensorsError)) throw e;
      throw new CheckpointError(`${e.message} (truncated or damaged); ${otherCheckpoints(path)}`);
    }
  };
  const weights = readTensors(CHECKPOINT_FILES.model);
  const optimizer = existsSync(file(CHECKPOINT_FILES.optimizer)) ? readTensors(CHECKPOINT_FILES.optimizer) : null;
  return { path, weights, optimizer, state };
}

/** New tensors for every entry of a parsed safetensors file (F32 and I32 only); the caller disposes them. */
export function safetensorsToTensors(file: SafetensorsFile, source: string): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, entry] of file.tensors) {
    if (entry.dtype !== 'F32' && entry.dtype !== 'I32') {
      for (const t of out.values()) t.dispose();
      throw new CheckpointError(`${source}: tensor '${name}' has dtype ${entry.dtype}; only F32 and I32 are loaded`);
    }
    out.set(
      name,
      tf.tensor(entry.data as Float32Array | Int32Array, entry.shape, entry.dtype === 'F32' ? 'float32' : 'int32'),
    );
  }
  return out;
}
