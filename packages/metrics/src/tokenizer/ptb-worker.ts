/**
 * The worker program of {@link ptbTokenizeParallel} (built to `dist/ptb-worker.js`): tokenizes each chunk it is
 * sent and posts the kept lines back as one string, for as long as the process lives.
 */
import { parentPort } from 'node:worker_threads';
import { tokenizeChunk } from './ptb-parallel';

/*
 * Captions like the ones to come, tokenized once at start: the lexer builds its automaton's states lazily, and
 * this builds the common ones while the main thread is still reading the files (same output either way).
 */
const WARM_UP = [
  'A man riding a wave on top of a surfboard.',
  'Two dogs play with a Frisbee in the park, near the U.S. flag.',
  `A woman's "red" umbrella (left) and 3 cats... etc.`,
  "There's a 10-year-old boy holding a hot-dog; it's 5:30 p.m.!",
  'AN ELEPHANT STANDING IN THE GRASS?',
];
tokenizeChunk(WARM_UP.join('\n'), { first: false, last: false });

parentPort?.on(
  'message',
  ({ job, text, trim }: { job: number; text: string; trim: { first: boolean; last: boolean } }) => {
    parentPort?.postMessage({ job, lines: tokenizeChunk(text, trim) });
  },
);
