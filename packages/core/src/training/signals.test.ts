import { afterEach, describe, expect, it, vi } from 'vitest';
import { OptimizerError } from '../optim/adam';
import { GracefulStop } from './signals';

/** A GracefulStop listening to SIGUSR2 only (no test runner reacts to it), with a controlled clock and exit. */
function setup(options: { repeatWindowMs?: number; onSecondSignal?: 'exit' | 'ignore' } = {}) {
  let now = 1000;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  const messages: string[] = [];
  const stop = new GracefulStop({ signals: ['SIGUSR2'], log: (m) => messages.push(m), ...options }).install();
  return {
    stop,
    exit,
    messages,
    advance: (ms: number) => void (now += ms),
    signal: () => process.emit('SIGUSR2', 'SIGUSR2'),
  };
}

describe('GracefulStop', () => {
  let current: GracefulStop | null = null;
  afterEach(() => {
    current?.uninstall();
    current = null;
    vi.restoreAllMocks();
  });

  it('the first signal only requests a stop', async () => {
    const s = setup();
    current = s.stop;
    expect(s.stop.requested).toBe(false);
    s.signal();
    expect(s.stop.requested).toBe(true);
    expect(s.stop.signal).toBe('SIGUSR2');
    await expect(s.stop.whenRequested()).resolves.toBe('SIGUSR2');
    expect(s.exit).not.toHaveBeenCalled();
  });

  it('a repeat of the same signal within the window (one Ctrl-C passed on by stacked npm processes) does not exit', () => {
    const s = setup();
    current = s.stop;
    s.signal();
    s.signal(); // the same instant: the copy relayed by `npm run`
    s.advance(1999);
    s.signal();
    expect(s.exit).not.toHaveBeenCalled();
    expect(s.stop.requested).toBe(true);
    expect(s.messages.at(-1)).toContain('the same stop request');
  });

  it('a repeat after the window exits at once with 128 + the signal number', () => {
    const s = setup();
    current = s.stop;
    s.signal();
    s.advance(2000);
    s.signal();
    expect(s.exit).toHaveBeenCalledTimes(1);
    expect(s.exit.mock.calls[0]?.[0]).toBe(128 + 12); // SIGUSR2 is 12 on Linux
    expect(s.messages.at(-1)).toContain('exiting without saving');
  });

  it('repeatWindowMs 0 restores "any second signal exits"; onSecondSignal "ignore" never exits', () => {
    const a = setup({ repeatWindowMs: 0 });
    a.signal();
    a.signal();
    expect(a.exit).toHaveBeenCalledTimes(1);
    a.stop.uninstall();
    vi.restoreAllMocks();

    const b = setup({ onSecondSignal: 'ignore' });
    current = b.stop;
    b.signal();
    b.advance(10_000);
    b.signal();
    expect(b.exit).not.toHaveBeenCalled();
  });

  it('rejects a negative or non-finite window with the typed OptimizerError naming the option and value', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      let caught: unknown = null;
      try {
        new GracefulStop({ repeatWindowMs: bad });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(OptimizerError);
      expect((caught as Error).message).toBe(`GracefulStop: repeatWindowMs must be a finite number >= 0, got ${bad}`);
    }
    expect(() => new GracefulStop({ repeatWindowMs: 0 })).not.toThrow();
  });
});
