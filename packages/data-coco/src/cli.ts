#!/usr/bin/env node
/** The `caption-data` executable (see `cli-program.ts`). */
import { runCli } from './cli-program.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`caption-data: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 3;
  },
);
