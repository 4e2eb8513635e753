/**
 * `npm run clipcap -w @caption/example-clipcap -- <command> [options]`:
 *
 * - `pipeline`: everything on the shapes data (both CLIPs, the captioners, retrieval, evaluation, ensemble, report);
 * - `pretrain`: one CLIP (GPT-2 text tower) from images; `train`: one captioner on a CLIP run;
 * - `eval`: captioners (and their ensemble) on the test split; `ablation`: CLIP init vs random at 10 % / 100 %.
 *
 * `--help` after a command lists its options. Exit status: 0 ok, 1 data or runtime error, 2 bad options.
 */
import { ExampleDataError, ExampleOptionsError, isUserFacingError } from '@caption/example-common';
import {
  ClipCapConfigError,
  ClipConfigError,
  GPT2ConfigError,
  ImageDecodeError,
  TokenizerVocabularyError,
} from '@caption/models-clipcap';
import { CommanderError } from 'commander';
import { runAblation } from './ablation';
import { runCaptionerTraining } from './captioner-training';
import { runPretraining } from './clip-pretraining';
import { runEvalCommand } from './eval-command';
import {
  ablationOptionParser,
  evalOptionParser,
  pipelineOptionParser,
  pretrainOptionParser,
  trainOptionParser,
} from './options';
import { runPipeline } from './pipeline';

const USAGE =
  'usage: clipcap <pipeline|pretrain|train|eval|ablation> [options]   (each command: --help lists its options)';

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  switch (command) {
    case 'pretrain':
      if (wantsHelp) return help(pretrainOptionParser.helpText());
      await runPretraining(pretrainOptionParser.parse({ argv: rest }).values);
      return 0;
    case 'train':
      if (wantsHelp) return help(trainOptionParser.helpText());
      await runCaptionerTraining(trainOptionParser.parse({ argv: rest }).values);
      return 0;
    case 'eval': {
      if (wantsHelp) return help(evalOptionParser.helpText());
      const out = await runEvalCommand(evalOptionParser.parse({ argv: rest }).values);
      process.stdout.write(`${JSON.stringify(out.summary)}\n`);
      return 0;
    }
    case 'pipeline':
      if (wantsHelp) return help(pipelineOptionParser.helpText());
      return runPipeline(pipelineOptionParser.parse({ argv: rest }).values);
    case 'ablation':
      if (wantsHelp) return help(ablationOptionParser.helpText());
      return runAblation(ablationOptionParser.parse({ argv: rest }).values);
    default:
      process.stderr.write(
        `${command === undefined ? 'no command given' : `unknown command '${command}'`}\n${USAGE}\n`,
      );
      return 2;
  }
}

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}

/** Errors that describe the user's data, options or files (the message is the whole story: no stack). */
function isUserFacing(e: unknown): e is Error {
  return (
    isUserFacingError(e) ||
    e instanceof ExampleDataError ||
    e instanceof ImageDecodeError ||
    e instanceof TokenizerVocabularyError
  );
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (
    e instanceof ExampleOptionsError ||
    e instanceof ClipCapConfigError ||
    e instanceof ClipConfigError ||
    e instanceof GPT2ConfigError
  ) {
    process.stderr.write(`clipcap: ${e.message}\n`);
    process.exitCode = 2;
  } else if (e instanceof CommanderError) {
    process.exitCode = e.exitCode;
  } else {
    process.stderr.write(
      `clipcap ${process.argv[2] ?? ''}: ${isUserFacing(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exitCode = 1;
  }
}
