/**
 * `npm run <prepro|train|eval|report> -w @caption/example-show-tell -- [options]`: the shared example
 * commands with the `show_tell` model (`captionModel` defaults to `show_tell`).
 */
import { runExampleCli } from '@caption/example-common';
import { showTellFactory } from './factory';

process.exitCode = await runExampleCli(process.argv.slice(2), {
  name: 'show-tell',
  factories: [showTellFactory],
  trainDefaults: { captionModel: 'show_tell' },
});
