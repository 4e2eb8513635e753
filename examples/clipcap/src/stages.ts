/**
 * Training stages as child processes (`cli.ts pretrain|train ...`), run `jobs` at a time once their dependencies are
 * done, each with its log file and the machine's cores divided among them as wasm threads (`CAPTION_WASM_THREADS`,
 * unless already set). SIGINT / SIGTERM: the first is passed on to every running stage (each finishes its
 * step, saves a checkpoint and exits), no stage starts after it, and {@link runStages} resolves with the signal once
 * all have exited; the next run resumes them. A repeat of the signal within 2 s is the same request (one Ctrl-C
 * reaches a process once per `npm run` above it); a later one is passed on again (the stages exit at once, unsaved).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signalExitCode } from '@caption/core';

const here = dirname(fileURLToPath(import.meta.url));

/** One stage: a command of this example's CLI. */
export interface Stage {
  /** Unique name (log file `<logDir>/<name>.log`). */
  name: string;
  /** Stages that must have finished first. */
  after: readonly string[];
  /**
   * Called when the stage is about to start (its dependencies are done): the CLI arguments to run, or null when
   * there is nothing to do (a finished run with the same configuration).
   */
  plan: () => string[] | null;
}

/** How the stages ended. */
export interface StagesResult {
  /** The signal that stopped them, or null when all finished. */
  signal: NodeJS.Signals | null;
  /** Wall seconds of each stage that ran. */
  seconds: Record<string, number>;
  /** Stages skipped (already done). */
  cached: string[];
}

const REPEAT_WINDOW_MS = 2000;

/**
 * Runs the stages (see the file comment).
 *
 * @throws Error naming the stage and quoting the end of its log when a stage exits with an error
 */
export async function runStages(
  stages: readonly Stage[],
  options: { jobs: number; logDir: string; log: (line: string) => void },
): Promise<StagesResult> {
  const { jobs, logDir, log } = options;
  // the cores shared out among the stages running at once, unless the caller chose (the demo: 1 each)
  const wasmThreads =
    process.env.CAPTION_WASM_THREADS || String(Math.max(1, Math.floor(availableParallelism() / jobs)));
  mkdirSync(logDir, { recursive: true });
  const done = new Set<string>();
  const seconds: Record<string, number> = {};
  const cached: string[] = [];
  const running = new Map<string, ChildProcess>();
  let stop: { signal: NodeJS.Signals; at: number } | null = null;
  let failure: Error | null = null;
  const pending = [...stages];

  const onSignal = (signal: NodeJS.Signals): void => {
    const now = performance.now();
    if (stop !== null && now - stop.at < REPEAT_WINDOW_MS) return;
    if (stop === null) log(`\nclipcap: ${signal}: the running stages save a checkpoint and stop; run again to resume`);
    else log(`clipcap: ${signal} again: the stages exit at once, unsaved`);
    stop = { signal, at: now };
    for (const child of running.values()) child.kill(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await new Promise<void>((resolveAll) => {
      const startReady = (): void => {
        while (stop === null && failure === null && running.size < jobs) {
          const index = pending.findIndex((s) => s.after.every((d) => done.has(d)));
          if (index < 0) break;
          const stage = pending.splice(index, 1)[0] as Stage;
          const args = stage.plan();
          if (args === null) {
            done.add(stage.name);
            cached.push(stage.name);
            continue;
          }
          start(stage, args);
        }
        if (running.size === 0) resolveAll();
      };
      const start = (stage: Stage, args: string[]): void => {
        const logFile = join(logDir, `${stage.name}.log`);
        const out = openSync(logFile, 'w');
        // node with tsx's loader (not the tsx CLI, which relays signals through a process of its own); own process
        // group, so that a Ctrl-C reaches it once, through this process
        const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'cli.ts'), ...args], {
          cwd: resolve(here, '..'),
          stdio: ['ignore', out, out],
          detached: true,
          env: { ...process.env, CAPTION_WASM_THREADS: wasmThreads },
        });
        closeSync(out);
        const started = performance.now();
        running.set(stage.name, child);
        log(`clipcap: ${stage.name} started (${args[0]}; log ${logFile})`);
        child.on('close', (code, signal) => {
          running.delete(stage.name);
          seconds[stage.name] = (performance.now() - started) / 1000;
          const text = readFileSync(logFile, 'utf8');
          if (stop !== null) {
            // a stage that saved its checkpoint exits with the signal's status (130 / 143)
            const saved = stop !== null && code === signalExitCode((stop as { signal: NodeJS.Signals }).signal);
            log(`clipcap: ${stage.name} ${saved ? 'stopped, checkpoint saved' : `exited with ${code ?? signal}`}`);
          } else if (code !== 0) {
            failure ??= new Error(
              `clipcap: stage ${stage.name} exited with ${code ?? signal}; the end of ${logFile}:\n${text.split('\n').slice(-15).join('\n')}`,
            );
          } else {
            done.add(stage.name);
            log(`clipcap: ${stage.name} finished in ${seconds[stage.name]?.toFixed(0)} s`);
            for (const line of text.split('\n'))
              if (/^(validation|pretrain: test|train: finished)/.test(line)) log(`  ${line}`);
          }
          startReady();
        });
      };
      startReady();
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (failure !== null) throw failure;
  const signal = (stop as { signal: NodeJS.Signals } | null)?.signal ?? null;
  if (signal === null && pending.length > 0)
    throw new Error(`clipcap: stages ${pending.map((s) => s.name).join(', ')} wait for stages that do not exist`);
  return { signal, seconds, cached };
}
