import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tfc from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendError } from './errors';
import { currentBackend, initBackend } from './init-backend';
import { isAbsentPackageError, loadNativeBackend, type ModuleImporter } from './native';
import { SOURCE_CHILD_NODE_ARGS } from '../testing/source-child';

function notFound(specifier: string): Error {
  const error = new Error(
    `Cannot find package '${specifier}' imported from /app/node_modules/@caption/core/dist/index.js`,
  );
  (error as Error & { code: string }).code = 'ERR_MODULE_NOT_FOUND';
  return error;
}

const absent: ModuleImporter = (specifier) => Promise.reject(notFound(specifier));
const addonPath = '/app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node';
const brokenNode: ModuleImporter = (specifier) =>
  specifier === '@tensorflow/tfjs-node'
    ? Promise.reject(
        new Error(
          `The Node.js native addon module (tfjs_binding.node) can not be found at path: ${addonPath}. \nPlease run command 'npm rebuild @tensorflow/tfjs-node build-addon-from-source' to rebuild the native addon module.`,
        ),
      )
    : absent(specifier);

describe('initBackend', () => {
  afterEach(async () => {
    await initBackend('wasm', { quiet: true });
  });

  it('runs the tests on wasm (the setup file initialised it)', () => {
    expect(tfc.getBackend()).toBe('wasm');
    expect(currentBackend()?.kernels).toEqual(
      expect.arrayContaining(['UnsortedSegmentSum', 'BatchMatMul', 'Conv2DBackpropFilter']),
    );
  });

  it('is idempotent: a second call returns the same info, prints nothing and creates no tensor', async () => {
    const lines: string[] = [];
    const before = tfc.memory().numTensors;
    const first = await initBackend('cpu', { log: (l) => lines.push(l) });
    const second = await initBackend('cpu', { log: (l) => lines.push(l) });
    expect(second).toBe(first);
    expect(first.kind).toBe('cpu');
    expect(tfc.getBackend()).toBe('cpu');
    expect(lines).toEqual(['[@caption/core] backend: cpu (pure JavaScript; slow, reference only)']);
    expect(tfc.memory().numTensors).toBe(before);
  });

  it('concurrent calls share one initialisation', async () => {
    const [a, b] = await Promise.all([initBackend('cpu', { quiet: true }), initBackend('cpu', { quiet: true })]);
    expect(a).toBe(b);
  });

  it("'auto' without native packages runs on wasm silently", async () => {
    const lines: string[] = [];
    await initBackend('cpu', { quiet: true });
    const info = await initBackend('auto', { importer: absent, log: (l) => lines.push(l) });
    expect(info.kind).toBe('wasm');
    expect(info.warnings).toEqual([]);
    expect(lines.every((l) => !l.includes('warning'))).toBe(true);
  });

  it("'auto' with an installed but unbuilt tfjs-node warns once, naming the addon path, and falls back to wasm", async () => {
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    await initBackend('cpu', { quiet: true });
    const info = await initBackend('auto', { importer: brokenNode, log });
    await initBackend('cpu', { quiet: true });
    await initBackend('auto', { importer: brokenNode, log });
    expect(info.kind).toBe('wasm');
    const warnings = lines.filter((l) => l.includes('warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(addonPath);
    expect(warnings[0]).toContain('@tensorflow/tfjs-node is installed but cannot be used');
  });

  it("asking for 'node' or 'node-gpu' explicitly fails with install advice when absent (real import)", async () => {
    await expect(initBackend('node', { quiet: true })).rejects.toThrow(BackendError);
    await expect(initBackend('node-gpu', { quiet: true })).rejects.toThrow(
      /npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/,
    );
    expect(tfc.getBackend()).toBe('wasm');
  });

  it("asking for 'node' explicitly when it is broken names the reason", async () => {
    await expect(initBackend('node', { quiet: true, importer: brokenNode })).rejects.toThrow(addonPath);
  });
});

describe('native backend detection', () => {
  it('tells an absent package from a missing dependency inside an installed one', () => {
    expect(isAbsentPackageError(notFound('@tensorflow/tfjs-node'), '@tensorflow/tfjs-node')).toBe(true);
    expect(isAbsentPackageError(notFound('@tensorflow/tfjs-node'), '@tensorflow/tfjs-node-gpu')).toBe(false);
    expect(isAbsentPackageError(notFound('adm-zip'), '@tensorflow/tfjs-node')).toBe(false);
    const cjs = new Error("Cannot find module '@tensorflow/tfjs-node'\nRequire stack:\n- /app/index.cjs");
    expect(isAbsentPackageError(cjs, '@tensorflow/tfjs-node')).toBe(true);
    const vite = new Error('Could not resolve "@tensorflow/tfjs-node" imported by "@caption/core".');
    expect(isAbsentPackageError(vite, '@tensorflow/tfjs-node')).toBe(true);
    const missingFile = new Error(
      "Cannot find module '/app/node_modules/@tensorflow/tfjs-node/dist/index.js' imported from /app/x.js",
    );
    expect(isAbsentPackageError(missingFile, '@tensorflow/tfjs-node')).toBe(false);
  });

  it('reports the real absent packages as absent', async () => {
    expect((await loadNativeBackend('@tensorflow/tfjs-node')).status).toBe('absent');
    expect((await loadNativeBackend('@tensorflow/tfjs-node-gpu')).status).toBe('absent');
  });

  it('rejects a package built on another copy of tfjs-core', async () => {
    class OtherTensor {}
    const result = await loadNativeBackend('@tensorflow/tfjs-node', () =>
      Promise.resolve({ Tensor: OtherTensor, version_core: '4.21.0' }),
    );
    expect(result.status).toBe('broken');
    expect(result.status === 'broken' && result.reason).toContain('another copy of @tensorflow/tfjs-core (4.21.0)');
  });

  it("rejects a package that registered no 'tensorflow' backend", async () => {
    const result = await loadNativeBackend('@tensorflow/tfjs-node', () => Promise.resolve({ Tensor: tfc.Tensor }));
    expect(result.status === 'broken' && result.reason).toContain("no 'tensorflow' backend");
  });
});

describe('output of a fresh process', () => {
  it('names each backend once on stderr and never prints the "install tfjs-node" banner', () => {
    const script = fileURLToPath(new URL('./fixtures/fresh-process.ts', import.meta.url));
    const run = spawnSync(process.execPath, [...SOURCE_CHILD_NODE_ARGS, script], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, CAPTION_WASM_THREADS: '2' },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('done cpu');
    const output = run.stdout + run.stderr;
    expect(output).not.toContain('Hi, looks like you are running TensorFlow.js in Node.js');
    expect(run.stderr.trim().split('\n')).toEqual([
      '[@caption/core] backend: wasm (XNNPACK, SIMD, 2 threads)',
      '[@caption/core] backend: cpu (pure JavaScript; slow, reference only)',
    ]);
  });
});
