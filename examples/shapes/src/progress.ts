/**
 * Progress display for the example's CLIs: a cli-progress bar per stage on a TTY, one plain line per
 * stage change and at most every 10 % otherwise (logs and CI).
 */
import { SingleBar, Presets } from 'cli-progress';

/** Reports `done / total` of named stages. */
export interface ProgressReporter {
  /** shows that `done` of `total` items of `stage` are done */
  update(stage: string, done: number, total: number): void;
  /** ends the display (idempotent) */
  stop(): void;
}

/** A reporter for `stream` (default stderr): a bar when it is a TTY, plain lines otherwise. */
export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  let stage: string | null = null;
  let bar: SingleBar | null = null;
  let lastTenth = -1;
  const stop = (): void => {
    bar?.stop();
    bar = null;
  };
  return {
    update(name, done, total) {
      if (name !== stage) {
        stop();
        stage = name;
        lastTenth = -1;
        if (stream.isTTY) {
          bar = new SingleBar({ format: `${name.padEnd(10)} [{bar}] {value}/{total} {percentage}% eta {eta}s`, stream }, Presets.shades_classic);
          bar.start(total, 0);
        }
      }
      if (bar !== null) {
        bar.setTotal(total);
        bar.update(done);
        return;
      }
      const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        stream.write(`${name}: ${done}/${total}\n`);
      }
    },
    stop,
  };
}
