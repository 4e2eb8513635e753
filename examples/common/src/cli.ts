/**
 * The command line every example exposes: `prepro`, `train`, `eval` and `report`, each with the
 * reference's option names (camelCase or snake_case flags, a JSON/YAML `--config`). Errors are printed as
 * one clear message: exit status 2 for options, 1 for data and everything else.
 */
import { BackendError, CheckpointError, NonFiniteLossError, StateDictError, WasmMemoryError } from '@caption/core';
import { DataFormatError } from '@caption/data-coco';
import { MetricsInputError } from '@caption/metrics';
import { CommanderError } from 'commander';
import { ExampleDataError, ExampleOptionsError } from './errors';
import { runEval } from './eval-command';
import { trainOptionParser, evalOptionParser } from './options';
import { preproOptionParser, runPrepro } from './prepro';
import { reportOptionParser, runReport } from './report';
import { runTraining, type AnyFactory } from './train';

/** What an example passes to {@link runExampleCli}. */
export interface ExampleCliOptions {
  /** The example's name (in messages). */
  name: string;
  /** The models it trains (`captionModel` values). */
  factories: readonly AnyFactory[];
  /** The example's own option defaults for `train` (e.g. `captionModel: 'aoa'`). */
  trainDefaults?: Record<string, unknown>;
}

const USAGE = (name: string): string =>
  `usage: ${name} <prepro|train|eval|report> [options]   (each command: --help lists its options)`;

/**
 * Runs one command. Returns the process exit status (0 ok, 1 data or runtime error, 2 bad options).
 *
 * @param argv the arguments after the script (`process.argv.slice(2)`)
 */
export async function runExampleCli(argv: readonly string[], cli: ExampleCliOptions): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'prepro': {
        if (rest.includes('--help') || rest.includes('-h')) return help(preproOptionParser.helpText());
        await runPrepro(preproOptionParser.parse({ argv: rest }).values);
        return 0;
      }
      case 'train': {
        if (rest.includes('--help') || rest.includes('-h')) return help(trainOptionParser.helpText());
        const { values } = trainOptionParser.parse({ argv: rest, defaults: cli.trainDefaults });
        const result = await runTraining(values, cli.factories);
        process.stderr.write(
          `${cli.name}: training ${result.loop.reason} after ${result.loop.step} steps (${result.loop.epoch} epochs); best score ${result.loop.bestScore ?? 'none'}; run folder ${result.runDir}\n`,
        );
        return 0;
      }
      case 'eval': {
        if (rest.includes('--help') || rest.includes('-h')) return help(evalOptionParser.helpText());
        const parsed = evalOptionParser.parse({ argv: rest });
        const out = await runEval(parsed.values, cli.factories, { explicit: parsed.explicit });
        process.stdout.write(`${JSON.stringify(out.corpus)}\n`);
        return 0;
      }
      case 'report': {
        if (rest.includes('--help') || rest.includes('-h')) return help(reportOptionParser.helpText());
        const file = await runReport(reportOptionParser.parse({ argv: rest }).values);
        process.stderr.write(`${cli.name}: report written to ${file}\n`);
        return 0;
      }
      default:
        process.stderr.write(
          `${command === undefined ? 'no command given' : `unknown command '${command}'`}\n${USAGE(cli.name)}\n`,
        );
        return 2;
    }
  } catch (e) {
    if (e instanceof ExampleOptionsError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof ExampleDataError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    if (isUserFacingError(e)) {
      // the libraries' typed errors name the file, image id and field: the message is the whole story
      process.stderr.write(`${cli.name} ${command ?? ''}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`${cli.name} ${command ?? ''}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

/**
 * Errors of the libraries that describe a problem of the user's data, checkpoints or machine (not a bug): printed
 * without a stack.
 */
export function isUserFacingError(e: unknown): e is Error {
  return (
    DataFormatError.isInstance(e) ||
    MetricsInputError.isInstance(e) ||
    e instanceof CheckpointError ||
    e instanceof StateDictError ||
    e instanceof NonFiniteLossError ||
    e instanceof BackendError ||
    e instanceof WasmMemoryError
  );
}

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}
