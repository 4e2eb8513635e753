/**
 * The worker program of {@link ptbTokenizeParallel} (built to `dist/ptb-worker.js`): tokenizes the chunk in
 * its `workerData` and posts the kept lines back as one string.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { tokenizeChunk } from './ptb-parallel';

const { text, trim } = workerData as { text: string; trim: { first: boolean; last: boolean } };
parentPort?.postMessage(tokenizeChunk(text, trim));
