/**
 * A typed option table and its parser: one definition per option (type, default, description, the
 * reference's snake_case name) gives the zod schema that validates config files, the commander flags of
 * the command line, and the TypeScript type of the parsed values.
 *
 * Precedence: defaults < config file (`--config run.yaml` / `.json`) < command-line flags. Keys and flags
 * may be written camelCase (`rnnSize`, `--rnn-size`) or as the reference writes them (`rnn_size`,
 * `--rnn_size`). Unknown keys or flags, values of the wrong type and out-of-range values are
 * {@link ExampleOptionsError}s naming the option (with the closest known name for a typo).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Command, CommanderError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ExampleOptionsError } from './errors';

/** How an option's value is written and checked. */
export type OptionKind =
  | { type: 'int'; min?: number; max?: number }
  | { type: 'number'; min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean }
  | { type: 'flag' }
  | { type: 'boolean' }
  | { type: 'string' }
  | { type: 'path' }
  | { type: 'enum'; values: readonly string[] };

/** One option: its kind, default and description. `T` is the type of its parsed value. */
export interface OptionDef<T> {
  readonly kind: OptionKind;
  readonly default: T;
  readonly description: string;
  /**
   * The reference's option name when it differs from the snake_case of the key (or `null`: ours, not the reference's).
   */
  readonly reference?: string | null;
}

/** A table of options by camelCase name. */
export type OptionTable = Record<string, OptionDef<unknown>>;

/** The parsed values of an option table. */
export type OptionValues<D extends OptionTable> = {
  -readonly [K in keyof D]: D[K] extends OptionDef<infer T> ? T : never;
};

/** An integer option. */
export function intOption(
  def: number,
  description: string,
  range: { min?: number; max?: number } = {},
): OptionDef<number> {
  return { kind: { type: 'int', ...range }, default: def, description };
}
/** A real-valued option. */
export function numberOption(
  def: number,
  description: string,
  range: { min?: number; max?: number; exclusiveMin?: boolean } = {},
): OptionDef<number> {
  return { kind: { type: 'number', ...range }, default: def, description };
}
/** A 0/1 switch as the reference writes them (`--use_box 1`); `true`/`false` are accepted. */
export function flagOption(def: 0 | 1, description: string): OptionDef<0 | 1> {
  return { kind: { type: 'flag' }, default: def, description };
}
/** A boolean of ours (`--resume`, `--resume false`). */
export function booleanOption(def: boolean, description: string): OptionDef<boolean> {
  return { kind: { type: 'boolean' }, default: def, description };
}
/** A string option. */
export function stringOption(def: string, description: string): OptionDef<string> {
  return { kind: { type: 'string' }, default: def, description };
}
/** A path, or `null` (unset). */
export function pathOption(def: string | null, description: string): OptionDef<string | null> {
  return { kind: { type: 'path' }, default: def, description };
}
/** One of a fixed set of strings. */
export function enumOption<const V extends string>(
  values: readonly V[],
  def: NoInfer<V>,
  description: string,
): OptionDef<V> {
  return { kind: { type: 'enum', values }, default: def, description };
}
/** Marks an option as ours (not in the reference's `opts.py`), or names the reference's spelling. */
export function withReference<T>(def: OptionDef<T>, reference: string | null): OptionDef<T> {
  return { ...def, reference };
}

/** A model option's value on the command line: switches are the reference's 0/1. */
type CliValue<T> = T extends boolean ? 0 | 1 : T;

/**
 * The options of a model's zod schema (e.g. `@caption/models-aoa`'s `AOA_MODEL_OPTIONS`) as options of a
 * table, so that a model option is defined once: kind and range from the field's JSON schema, the
 * description from its metadata (after `prefix`), the default from the metadata's `optsPy` (the examples
 * default to `opts.py`) or else `defaults`; switches become 0/1 flags. `omit` names the fields the table
 * defines itself (options shared by several models).
 */
export function schemaOptions<S extends z.ZodRawShape, O extends keyof S & string>(
  schema: z.ZodObject<S>,
  defaults: Readonly<Partial<Record<keyof S, unknown>>>,
  options: { omit: readonly O[]; prefix: string },
): { [K in Exclude<keyof S & string, O>]: OptionDef<CliValue<z.output<S[K]>>> } {
  const table: Record<string, OptionDef<unknown>> = {};
  for (const [name, field] of Object.entries(schema.shape)) {
    if ((options.omit as readonly string[]).includes(name)) continue;
    const json = z.toJSONSchema(field as z.ZodType, { io: 'input' }) as Record<string, unknown>;
    const meta = ((field as z.ZodType).meta() ?? {}) as { description?: string; optsPy?: unknown };
    let kind: OptionKind;
    if (Array.isArray(json.enum)) kind = { type: 'enum', values: json.enum as string[] };
    else if (Array.isArray(json.anyOf)) kind = { type: 'flag' };
    else if (json.type === 'integer' || json.type === 'number') {
      const max = json.maximum ?? json.exclusiveMaximum;
      kind = {
        type: json.type === 'integer' ? 'int' : 'number',
        ...(typeof json.minimum === 'number' ? { min: json.minimum } : {}),
        ...(typeof max === 'number' && max < Number.MAX_SAFE_INTEGER ? { max } : {}),
        ...(json.exclusiveMaximum !== undefined && json.type === 'number' ? { exclusiveMax: true } : {}),
      };
    } else kind = { type: 'string' };
    const value = meta.optsPy ?? defaults[name];
    table[name] = {
      kind,
      default: typeof value === 'boolean' ? (value ? 1 : 0) : value,
      description: `${options.prefix}${meta.description ?? name}`,
    };
  }
  return table as { [K in Exclude<keyof S & string, O>]: OptionDef<CliValue<z.output<S[K]>>> };
}

/** `rnnSize` → `rnn_size`. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
/** `rnnSize` → `rnn-size`. */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function schemaOf(kind: OptionKind): z.ZodType {
  switch (kind.type) {
    case 'int': {
      let s = z.number().int();
      if (kind.min !== undefined) s = s.min(kind.min);
      if (kind.max !== undefined) s = s.max(kind.max);
      return s;
    }
    case 'number': {
      let s = z.number().finite();
      if (kind.min !== undefined) s = kind.exclusiveMin === true ? s.gt(kind.min) : s.min(kind.min);
      if (kind.max !== undefined) s = kind.exclusiveMax === true ? s.lt(kind.max) : s.max(kind.max);
      return s;
    }
    case 'flag':
      return z.union([z.literal(0), z.literal(1), z.boolean().transform((b) => (b ? 1 : 0))]);
    case 'boolean':
      return z.boolean();
    case 'string':
      return z.string();
    case 'path':
      return z.string().min(1).nullable();
    case 'enum':
      return z.enum(kind.values as [string, ...string[]]);
  }
}

/** A value as a message shows it: JSON, except the numbers JSON has no form for (NaN, ±Infinity print as null). */
function showValue(value: unknown): string {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
}

function describeKind(kind: OptionKind): string {
  switch (kind.type) {
    case 'int':
      return `an integer${kind.min !== undefined ? ` ≥ ${kind.min}` : ''}${kind.max !== undefined ? ` ≤ ${kind.max}` : ''}`;
    case 'number':
      return `a number${kind.min !== undefined ? ` ${kind.exclusiveMin === true ? '>' : '≥'} ${kind.min}` : ''}${kind.max !== undefined ? ` ${kind.exclusiveMax === true ? '<' : '≤'} ${kind.max}` : ''}`;
    case 'flag':
      return '0 or 1';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'path':
      return 'a path';
    case 'enum':
      return `one of ${kind.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
}

/** Levenshtein distance (for "did you mean"). */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The closest known name to `name`, when it is close enough to be a typo. */
export function closestName(name: string, known: readonly string[]): string | null {
  const norm = (s: string): string => s.replace(/[-_]/g, '').toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(norm(name), norm(k));
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : null;
}

/** Where the options of a parse came from, for messages and for the report. */
export interface ParsedOptions<D extends OptionTable> {
  /** The values, every option present. */
  values: OptionValues<D>;
  /** The config file read, if any. */
  configFile: string | null;
  /** Options set by the config file or the command line (not defaults). */
  explicit: ReadonlySet<keyof D & string>;
}

/** What {@link OptionParser.parse} takes. */
export interface ParseInput {
  /** Command-line arguments after the command (not `node script`). */
  argv?: readonly string[];
  /** A config file to read before the flags (`--config` in argv takes precedence). */
  configFile?: string;
  /** Values that override the table's defaults (an example's own defaults: `captionModel`...). */
  defaults?: Record<string, unknown>;
}

/**
 * Parses and validates options of one table.
 *
 * @example
 * ```ts
 * const parser = new OptionParser('train', TRAIN_OPTIONS);
 * const { values } = parser.parse({ argv: ['--config', 'aoanet.yaml', '--rnn-size', '128'] });
 * ```
 */
export class OptionParser<D extends OptionTable> {
  private readonly byAnyName = new Map<string, keyof D & string>();

  /**
   * @param command the command's name (in messages and `--help`)
   * @param table the options
   */
  constructor(
    readonly command: string,
    readonly table: D,
  ) {
    for (const name of Object.keys(table)) {
      this.byAnyName.set(name, name);
      this.byAnyName.set(snakeCase(name), name);
      const ref = table[name]?.reference;
      if (typeof ref === 'string') this.byAnyName.set(ref, name);
    }
  }

  /** The option's camelCase name for a config key or flag name in any accepted spelling, or null. */
  resolveName(name: string): (keyof D & string) | null {
    return (
      this.byAnyName.get(name) ??
      this.byAnyName.get(name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())) ??
      null
    );
  }

  /** The defaults of the table (with `overrides` applied and checked). */
  defaults(overrides: Record<string, unknown> = {}): OptionValues<D> {
    const values: Record<string, unknown> = {};
    for (const [name, def] of Object.entries(this.table)) values[name] = def.default;
    return this.validate({ ...values, ...this.normaliseKeys(overrides, 'defaults') }, 'defaults');
  }

  /** A commander program with one flag per option (values as strings; no commander defaults). */
  private program(): Command {
    const program = new Command(this.command)
      .allowExcessArguments(false)
      .exitOverride()
      .configureOutput({
        writeErr: () => undefined,
        writeOut: (s) => process.stdout.write(s),
      });
    program.helpOption('-h, --help', 'show the options');
    program.option(
      '--config <file>',
      'a JSON or YAML file of options (camelCase or reference names); flags override it',
    );
    for (const [name, def] of Object.entries(this.table)) {
      const flag = `--${kebabCase(name)}`;
      const valueHint = def.kind.type === 'flag' || def.kind.type === 'boolean' ? '[value]' : '<value>';
      const ref = def.reference === null ? ' [ours]' : ` [${def.reference ?? snakeCase(name)}]`;
      program.option(
        `${flag} ${valueHint}`,
        `${def.description} (${describeKind(def.kind)}; default ${JSON.stringify(def.default)})${ref}`,
      );
    }
    return program;
  }

  /** The `--help` text. */
  helpText(): string {
    return this.program().helpInformation();
  }

  /**
   * Parses `argv` (and a config file), validates everything, and returns every option's value.
   *
   * @throws ExampleOptionsError naming the option for an unknown flag or key, a value of the wrong type
   *   or out of range, or an unreadable config file
   */
  parse(input: ParseInput = {}): ParsedOptions<D> {
    const argv = (input.argv ?? []).map((arg) => {
      // the reference's spelling of a flag (--rnn_size) → ours (--rnn-size)
      const m = /^--([A-Za-z0-9_]+)(=.*)?$/.exec(arg);
      if (m === null) return arg;
      const name = this.resolveName(m[1] as string);
      return name === null ? arg : `--${kebabCase(name)}${m[2] ?? ''}`;
    });
    const program = this.program();
    try {
      program.parse([...argv], { from: 'user' });
    } catch (e) {
      if (e instanceof CommanderError) {
        if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') throw e;
        const unknown = /unknown option '([^']+)'/.exec(e.message);
        if (unknown !== null) {
          const given = (unknown[1] as string).replace(/^--/, '').split('=')[0] as string;
          const guess = closestName(given, Object.keys(this.table).map(kebabCase));
          throw new ExampleOptionsError(
            null,
            `${this.command}: unknown ` +
              `option '--${given}'${guess === null ? '' : ` (did you mean --${guess}?)`}; see --help`,
          );
        }
        throw new ExampleOptionsError(null, `${this.command}: ${e.message.replace(/^error: /, '')}`);
      }
      throw e;
    }
    const flags = program.opts<Record<string, unknown>>();
    const configFile = typeof flags.config === 'string' ? flags.config : (input.configFile ?? null);
    const fromFile = configFile === null ? {} : this.normaliseKeys(readConfigFile(configFile), configFile);
    const fromFlags: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(flags)) {
      if (key === 'config') continue;
      fromFlags[key] = this.fromString(key as keyof D & string, raw);
    }
    const merged: Record<string, unknown> = {};
    for (const [name, def] of Object.entries(this.table)) merged[name] = def.default;
    Object.assign(merged, this.normaliseKeys(input.defaults ?? {}, 'defaults'), fromFile, fromFlags);
    const values = this.validate(merged, configFile ?? 'the command line');
    const explicit = new Set<keyof D & string>([...Object.keys(fromFile), ...Object.keys(fromFlags)] as Array<
      keyof D & string
    >);
    return { values, configFile, explicit };
  }

  /** Validates a complete set of values (e.g. a configuration stored in a checkpoint). */
  validate(values: Record<string, unknown>, source: string): OptionValues<D> {
    const shape: Record<string, z.ZodType> = {};
    for (const [name, def] of Object.entries(this.table)) shape[name] = schemaOf(def.kind);
    const result = z.object(shape).strict().safeParse(values);
    if (result.success) return result.data as OptionValues<D>;
    const issue = result.error.issues[0] as z.core.$ZodIssue;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] as string;
      const guess = closestName(key, Object.keys(this.table));
      throw new ExampleOptionsError(
        key,
        `${this.command}: unknown option '${key}' in ${source}${guess === null ? '' : ` (did you mean '${guess}'?)`}`,
      );
    }
    const name = String(issue.path[0]);
    const def = this.table[name];
    const got = values[name];
    throw new ExampleOptionsError(
      name,
      `${this.command}: option '${name}' (--${kebabCase(name)}) in ${source} must be ${def === undefined ? 'valid' : describeKind(def.kind)}, got ${showValue(got)}`,
    );
  }

  /** Maps keys of a config object to camelCase names; an unknown or duplicated key is an error. */
  private normaliseKeys(obj: Record<string, unknown>, source: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj)) {
      const name = this.resolveName(key);
      if (name === null) {
        const guess = closestName(key, Object.keys(this.table));
        throw new ExampleOptionsError(
          key,
          `${this.command}: unknown option '${key}' in ${source}${guess === null ? '' : ` (did you mean '${guess}'?)`}`,
        );
      }
      if (name in out)
        throw new ExampleOptionsError(
          name,
          `${this.command}: option '${name}' is given twice in ${source} (as '${key}' and another spelling)`,
        );
      out[name] = value;
    }
    return out;
  }

  /** A flag's string (or `true` for a bare switch) → the option's type. */
  private fromString(name: keyof D & string, raw: unknown): unknown {
    const def = this.table[name];
    if (def === undefined) return raw;
    const flag = `--${kebabCase(name)}`;
    const bad = (): never => {
      throw new ExampleOptionsError(
        name,
        `${this.command}: option '${name}' (${flag}) must be ${describeKind(def.kind)}, got ${JSON.stringify(raw)}`,
      );
    };
    if (raw === true) {
      if (def.kind.type === 'flag') return 1;
      if (def.kind.type === 'boolean') return true;
      return bad();
    }
    if (typeof raw !== 'string') return bad();
    switch (def.kind.type) {
      case 'int':
      case 'number': {
        const n = raw.trim() === '' ? Number.NaN : Number(raw);
        return Number.isFinite(n) ? n : bad();
      }
      case 'flag':
        if (raw === '0' || raw === 'false') return 0;
        if (raw === '1' || raw === 'true') return 1;
        return bad();
      case 'boolean':
        if (raw === 'true' || raw === '1') return true;
        if (raw === 'false' || raw === '0') return false;
        return bad();
      case 'path':
        return raw === '' || raw === 'null' ? null : raw;
      default:
        return raw;
    }
  }
}

/** Reads a JSON or YAML config file (by extension; `.yml`/`.yaml` are YAML, anything else JSON). */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ExampleOptionsError('config', `cannot read the config file ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = ['.yml', '.yaml'].includes(extname(file).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new ExampleOptionsError(
      'config',
      `the config file ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message}`,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ExampleOptionsError(
      'config',
      `the config file ${file} must hold an object ` +
        `of options, not ${Array.isArray(parsed) ? 'an array' : typeof parsed}`,
    );
  }
  return parsed as Record<string, unknown>;
}
