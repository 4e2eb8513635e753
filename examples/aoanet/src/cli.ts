/**
 * `npm run <prepro|train|eval|report> -w @caption/example-aoanet -- [options]`: the shared example
 * commands with AoANet (`captionModel` defaults to `aoa`; `show_tell` is available too).
 */
import { runExampleCli } from '@caption/example-common';
import { showTellFactory } from '@caption/example-show-tell';
import { aoaFactory } from './factory';

process.exitCode = await runExampleCli(process.argv.slice(2), {
  name: 'aoanet',
  factories: [aoaFactory, showTellFactory],
  trainDefaults: { captionModel: 'aoa' },
});
