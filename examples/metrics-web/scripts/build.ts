/**
 * Builds the static page into `out/page/`: index.html and page.css as they are, main.js and worker.js bundled
 * by esbuild (the worker from @caption/metrics' browser bundle, `dist/browser.js`), and jieba-wasm's `.wasm`
 * for the Chinese tokenizer. `npm run build:page -w @caption/example-metrics-web` (after `npm run build`).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The folder the page is built into. */
export const PAGE_DIR = join(root, 'out', 'page');

/** Builds the page; returns its folder. */
export async function buildPage(outDir: string = PAGE_DIR): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { main: join(root, 'src', 'main.ts'), worker: join(root, 'src', 'worker.ts') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'page.css']) copyFileSync(join(root, 'src', file), join(outDir, file));
  const require = createRequire(import.meta.url);
  const jiebaWeb = dirname(
    require.resolve('jieba-wasm/web', { paths: [dirname(require.resolve('@caption/metrics'))] }),
  );
  copyFileSync(join(jiebaWeb, 'jieba_rs_wasm_bg.wasm'), join(outDir, 'jieba_rs_wasm_bg.wasm'));
  return outDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`page built in ${await buildPage()}`);
}
