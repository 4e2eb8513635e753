/**
 * `npm run bench -w @caption/core`: ms per training step of an attention + LSTM captioner (batch 50,
 * see captioner.ts) on every available backend, the step's matmul FLOPs (counted analytically), the
 * achieved GFLOP/s, and that as a fraction of the same backend's 1024³ matmul rate measured in the same
 * run.
 *
 * Options: --backends=wasm,cpu (default: every available one) --threads=N (wasm threads; default
 * initBackend's: the machine's cores) --steps=N (timed steps after one warm-up, default 5; 2 on cpu) --cpu-batch=N (cpu runs the same model at this batch, default 5) --unfused (also
 * time the model written with plain tfjs ops and Adam as op-by-op tfjs ops) --profile (per-kernel time
 * of one step).
 */
import * as tf from '@tensorflow/tfjs-core';
import { median, timed } from '@caption/bench-support';
import { initBackend, type ResolvedBackendKind } from '../src/backend/init-backend';
import { DEFAULT_PACK_BUDGET, setPackBudget } from '../src/backend/kernels/batch-mat-mul';
import { loadNativeBackend } from '../src/backend/native';
import { ADAM_UPDATE } from '../src/backend/kernels/adam-update';
import { Adam } from '../src/optim/adam';
import { BenchCaptioner, FULL_CONFIG, stepFlops, type CaptionerConfig } from './captioner';

interface Options {
  backends: ResolvedBackendKind[] | null;
  threads: number | undefined;
  steps: number | null;
  cpuBatch: number;
  unfused: boolean;
  profile: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    backends: null,
    threads: undefined,
    steps: null,
    cpuBatch: 5,
    unfused: false,
    profile: false,
  };
  for (const arg of argv) {
    const [key, value] = arg.split('=', 2) as [string, string | undefined];
    if (key === '--backends' && value) options.backends = value.split(',') as ResolvedBackendKind[];
    else if (key === '--steps' && value) options.steps = Number(value);
    else if (key === '--threads' && value) options.threads = Number(value);
    else if (key === '--cpu-batch' && value) options.cpuBatch = Number(value);
    else if (key === '--profile') options.profile = true;
    else if (key === '--unfused') options.unfused = true;
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/**
 * Measures the backend's 1024×1024×1024 matmul rate: `rate(reps)` returns the GFLOP/s of the median of
 * `reps` products (after one warm-up product at creation). On wasm it measures the product both as our
 * kernel runs it (in column blocks, as its packed `b` exceeds the L2 budget) and as one XNNPACK call (the
 * stock fast path), and keeps the faster, so that the ratio is against the best the backend does.
 */
function matmulProbe(): { rate: (reps: number) => Rates; dispose: () => void } {
  const n = 1024;
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  const once = () =>
    timed(() => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    });
  const onceUnblocked = () => {
    setPackBudget(Infinity);
    try {
      return once();
    } finally {
      setPackBudget(DEFAULT_PACK_BUDGET);
    }
  };
  const wasm = tf.getBackend() === 'wasm';
  once();
  if (wasm) onceUnblocked();
  const flops = 2 * n ** 3;
  const rates = (runs: Array<{ wallMs: number; cpuMs: number }>): Rates => ({
    wall: flops / (median(runs.map((r) => r.wallMs)) * 1e6),
    cpu: flops / (median(runs.map((r) => r.cpuMs)) * 1e6),
  });
  return {
    rate: (reps) => {
      const ours = rates(Array.from({ length: reps }, once));
      if (!wasm) return ours;
      const stock = rates(Array.from({ length: reps }, onceUnblocked));
      return { wall: Math.max(ours.wall, stock.wall), cpu: Math.max(ours.cpu, stock.cpu) };
    },
    dispose: () => tf.dispose([a, b]),
  };
}

/** GFLOP/s by wall-clock time and by this process's CPU time (robust to other processes on the machine). */
interface Rates {
  wall: number;
  cpu: number;
}

/**
 * The package's `Adam` (one fused `adamUpdate` kernel per parameter), or with `fused` false the same
 * formulas as a dozen tfjs ops per parameter (the kernel hidden for the step, as on a backend without it).
 */
class BenchAdam {
  private readonly adam: Adam;

  constructor(
    private readonly variables: tf.Variable[],
    learningRate: number,
    private readonly fused: boolean,
  ) {
    this.adam = new Adam(
      variables.map((v) => [v.name, v] as const),
      { learningRate },
    );
  }

  /** One training step: gradients of `loss` and one update; returns the loss. */
  minimize(loss: () => tf.Scalar): number {
    const { value, grads } = tf.variableGrads(loss, this.variables);
    if (this.fused) this.adam.step(grads);
    else withoutKernel(ADAM_UPDATE, () => this.adam.step(grads));
    tf.dispose(grads);
    const loss0 = value.dataSync()[0]!;
    value.dispose();
    return loss0;
  }

  dispose(): void {
    this.adam.dispose();
  }
}

/** Runs `f` with the kernel `name` unregistered on the current backend (ops fall back to tfjs ops). */
function withoutKernel(name: string, f: () => void): void {
  const backend = tf.getBackend();
  const config = tf.getKernel(name, backend);
  if (config == null) return f();
  tf.unregisterKernel(name, backend);
  try {
    f();
  } finally {
    tf.registerKernel(config);
  }
}

interface StepResult {
  /** wall-clock ms of each timed step */
  times: number[];
  /** CPU ms of each timed step */
  cpuTimes: number[];
  /** 1024³ GFLOP/s measured right before each timed step */
  rates: Rates[];
  firstLoss: number;
  lastLoss: number;
  tensorsBefore: number;
  tensorsAfter: number;
}

/**
 * One warm-up step, then `steps` timed steps, each preceded by a 1024³ matmul measurement (the machine
 * is shared: rates drift, so each step is compared with the rate measured next to it).
 */
async function trainSteps(
  config: CaptionerConfig,
  steps: number,
  probeReps: number,
  fused: boolean,
  profile: boolean,
): Promise<StepResult> {
  const model = new BenchCaptioner(config, 1, fused);
  const batch = model.batch();
  const optimizer = new BenchAdam(model.variables, 5e-4, fused);
  const probe = matmulProbe();
  const step = () => optimizer.minimize(() => model.loss(batch));
  try {
    const firstLoss = step(); // warm-up: XNNPACK operators are created, the heap grows
    const tensorsBefore = tf.memory().numTensors;
    const times: number[] = [];
    const cpuTimes: number[] = [];
    const rates: Rates[] = [];
    let lastLoss = firstLoss;
    for (let i = 0; i < steps; i++) {
      rates.push(probe.rate(probeReps));
      const run = timed(step);
      lastLoss = run.value;
      times.push(run.wallMs);
      cpuTimes.push(run.cpuMs);
    }
    const tensorsAfter = tf.memory().numTensors;
    if (profile) await printProfile(step);
    return { times, cpuTimes, rates, firstLoss, lastLoss, tensorsBefore, tensorsAfter };
  } finally {
    probe.dispose();
    optimizer.dispose();
    tf.dispose([batch.regions, batch.words, batch.targets]);
    tf.dispose(model.variables);
  }
}

function accumulate(map: Map<string, { ms: number; calls: number }>, key: string, ms: number): void {
  const entry = map.get(key) ?? { ms: 0, calls: 0 };
  entry.ms += ms;
  entry.calls += 1;
  map.set(key, entry);
}

function printTop(title: string, map: Map<string, { ms: number; calls: number }>, count: number): void {
  console.log(`  ${title}`);
  for (const [key, e] of [...map].sort((a, b) => b[1].ms - a[1].ms).slice(0, count)) {
    console.log(`    ${key.padEnd(52)} ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.calls).padStart(5)} calls`);
  }
}

/** Per-kernel time of one step, and the matmuls by shape. */
async function printProfile(step: () => number): Promise<void> {
  const info = await tf.profile(() => {
    step();
  });
  const byKernel = new Map<string, { ms: number; calls: number }>();
  const byShape = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    total += ms;
    accumulate(byKernel, k.name, ms);
    if (k.name === 'BatchMatMul')
      accumulate(byShape, `${JSON.stringify(k.inputShapes)}→${JSON.stringify(k.outputShapes)}`, ms);
  }
  console.log(
    `  profile: ${info.kernels.length} kernels, ${total.toFixed(0)} ms in kernels, ` +
      `peak ${(info.peakBytes / 2 ** 20).toFixed(0)} MiB`,
  );
  printTop('by kernel:', byKernel, 20);
  printTop('BatchMatMul by shapes:', byShape, 25);
}

function formatRow(label: string, config: CaptionerConfig, steps: number, result: StepResult): string {
  const flops = stepFlops(config);
  const gflops = (ms: number) => flops / (ms * 1e6);
  const wallRatios = result.times.map((t, i) => gflops(t) / result.rates[i]!.wall);
  const cpuRatios = result.cpuTimes.map((t, i) => gflops(t) / result.rates[i]!.cpu);
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const range = (xs: number[]) => `${pct(Math.min(...xs))}–${pct(Math.max(...xs))}`;
  return (
    `${label.padEnd(14)} B=${String(config.batch).padEnd(3)} ${(flops / 1e9).toFixed(1)} GFLOP/step, ${steps} steps\n` +
    `  wall: ${median(result.times).toFixed(0)} ms/step (${Math.min(...result.times).toFixed(0)}–${Math.max(...result.times).toFixed(0)}), ` +
    `${gflops(median(result.times)).toFixed(1)} GFLOP/s; ` +
    `1024³ ${median(result.rates.map((r) => r.wall)).toFixed(1)} GFLOP/s; ` +
    `ratio ${pct(median(wallRatios))} (${range(wallRatios)})\n` +
    `  cpu:  ${median(result.cpuTimes).toFixed(0)} ms/step (${Math.min(...result.cpuTimes).toFixed(0)}–${Math.max(...result.cpuTimes).toFixed(0)}), ` +
    `${gflops(median(result.cpuTimes)).toFixed(1)} GFLOP/s; ` +
    `1024³ ${median(result.rates.map((r) => r.cpu)).toFixed(1)} GFLOP/s; ` +
    `ratio ${pct(median(cpuRatios))} (${range(cpuRatios)})\n` +
    `  loss ${result.firstLoss.toFixed(3)} → ${result.lastLoss.toFixed(3)}; tensors ${result.tensorsBefore} → ${result.tensorsAfter}`
  );
}

async function availableBackends(): Promise<ResolvedBackendKind[]> {
  const kinds: ResolvedBackendKind[] = [];
  if ((await loadNativeBackend('@tensorflow/tfjs-node-gpu')).status === 'loaded') kinds.push('node-gpu');
  else if ((await loadNativeBackend('@tensorflow/tfjs-node')).status === 'loaded') kinds.push('node');
  kinds.push('wasm', 'cpu');
  return kinds;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const kinds = options.backends ?? (await availableBackends());
  const rows: string[] = [];
  for (const kind of kinds) {
    const info = await initBackend(kind, { threads: options.threads });
    const config = kind === 'cpu' ? { ...FULL_CONFIG, batch: options.cpuBatch } : FULL_CONFIG;
    const steps = options.steps ?? (kind === 'cpu' ? 2 : 5);
    for (const fused of options.unfused ? [true, false] : [true]) {
      const row = formatRow(
        `${info.description}${fused ? '' : ' unfused'}`,
        config,
        steps,
        await trainSteps(config, steps, kind === 'cpu' ? 1 : 3, fused, options.profile),
      );
      console.log(row);
      rows.push(row);
    }
  }
  console.log(`\n${new Date().toISOString()}  node ${process.version}  tfjs-core ${tf.version_core}`);
  for (const row of rows) console.log(row);
}

await main();
