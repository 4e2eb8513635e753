/**
 * The page: picks (or takes dropped) files, hands them to the scoring worker, shows the corpus scores and a
 * per-image table sortable by any score, 50 rows a page (so 40,504 images render as fast as 50).
 * `window.captionPage` exposes the state for the browser test (`page.test.ts`) and the 40k check.
 */
import type { ScoreRequest, WorkerMessage } from './protocol';

type Done = Extract<WorkerMessage, { type: 'done' }>;

interface PageState {
  state: 'idle' | 'scoring' | 'done' | 'error';
  corpus: Record<string, number> | null;
  /** Longest gap between two animation frames while scoring (ms): how long the page was unresponsive. */
  maxFrameGapMs: number;
  /** Frames drawn while scoring. */
  frames: number;
  /** Seconds from the click to the table. */
  seconds: number;
}

const ROWS_PER_PAGE = 50;
const state: PageState = { state: 'idle', corpus: null, maxFrameGapMs: 0, frames: 0, seconds: 0 };
(window as unknown as { captionPage: PageState }).captionPage = state;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const refsInput = $<HTMLInputElement>('refs');
const resultsInput = $<HTMLInputElement>('results');
const button = $<HTMLButtonElement>('score');
const status = $<HTMLParagraphElement>('status');

let data: Done | null = null;
let order: number[] = [];
let sortKey: string | null = null;
let descending = true;
let page = 0;

function setStatus(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

function updateButton(): void {
  button.disabled = !(refsInput.files?.length && resultsInput.files?.length) || state.state === 'scoring';
}

for (const [input, zone] of [
  [refsInput, $('refs-drop')],
  [resultsInput, $('results-drop')],
] as const) {
  input.addEventListener('change', updateButton);
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    if (event.dataTransfer?.files.length) input.files = event.dataTransfer.files;
    updateButton();
  });
}

/** Watches the frame rate while the worker scores: the page must keep drawing. */
function watchFrames(): () => void {
  let last = performance.now();
  let running = true;
  const tick = (now: number): void => {
    if (!running) return;
    state.maxFrameGapMs = Math.max(state.maxFrameGapMs, now - last);
    state.frames += 1;
    last = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return () => {
    running = false;
  };
}

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let stopWatching = (): void => {};
let started = 0;

$<HTMLFormElement>('form').addEventListener('submit', (event) => {
  event.preventDefault();
  const refs = refsInput.files?.[0];
  const results = resultsInput.files?.[0];
  if (refs === undefined || results === undefined) return;
  state.state = 'scoring';
  state.maxFrameGapMs = 0;
  state.frames = 0;
  updateButton();
  setStatus('Scoring…');
  started = performance.now();
  stopWatching = watchFrames();
  const request: ScoreRequest = {
    type: 'score',
    refs,
    results,
    split: $<HTMLInputElement>('split').value.trim() || 'test',
    tokenize: $<HTMLSelectElement>('tokenize').value as ScoreRequest['tokenize'],
    jiebaWasm: new URL('./jieba_rs_wasm_bg.wasm', import.meta.url).href,
  };
  worker.postMessage(request);
});

worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
  const message = event.data;
  if (message.type === 'progress') {
    setStatus(`Scoring… ${message.stage} (${message.completed + 1}/${message.total})`);
    return;
  }
  stopWatching();
  state.seconds = (performance.now() - started) / 1000;
  if (message.type === 'error') {
    state.state = 'error';
    setStatus(message.message, true);
    updateButton();
    return;
  }
  data = message;
  state.corpus = message.corpus;
  order = message.imageIds.map((_, i) => i);
  sortKey = null;
  page = 0;
  renderCorpus(message);
  renderImages();
  state.state = 'done';
  setStatus(
    `${message.imageIds.length.toLocaleString('en')} images scored in ${state.seconds.toFixed(1)} s (longest pause of the page: ${Math.round(state.maxFrameGapMs)} ms).`,
  );
  updateButton();
};

function cell(tag: 'td' | 'th', text: string, className?: string): HTMLElement {
  const element = document.createElement(tag);
  element.textContent = text;
  if (className !== undefined) element.className = className;
  return element;
}

function renderCorpus(done: Done): void {
  const table = $<HTMLTableElement>('corpus');
  table.replaceChildren();
  for (const key of done.keys) {
    const row = table.insertRow();
    row.append(cell('th', key));
    const value = cell('td', (done.corpus[key] as number).toFixed(6), 'value');
    value.dataset.key = key;
    value.dataset.value = String(done.corpus[key]);
    row.append(value);
  }
  $('corpus-section').hidden = false;
}

function sortBy(key: string): void {
  if (data === null) return;
  if (sortKey === key) descending = !descending;
  else {
    sortKey = key;
    descending = true;
  }
  const column = data.columns[data.keys.indexOf(key)] as Float64Array;
  const sign = descending ? -1 : 1;
  order.sort((a, b) => sign * ((column[a] as number) - (column[b] as number)) || a - b);
  page = 0;
  renderImages();
}

function renderImages(): void {
  if (data === null) return;
  const done = data;
  const table = $<HTMLTableElement>('images');
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  head.append(cell('th', 'image'), cell('th', 'result'), cell('th', 'references'));
  for (const key of done.keys) {
    const th = cell('th', key + (sortKey === key ? (descending ? ' ▼' : ' ▲') : ''), 'metric');
    if (sortKey === key) th.classList.add('sorted');
    th.dataset.key = key;
    th.addEventListener('click', () => sortBy(key));
    head.append(th);
  }
  const body = table.createTBody();
  const pages = Math.max(1, Math.ceil(order.length / ROWS_PER_PAGE));
  for (const index of order.slice(page * ROWS_PER_PAGE, (page + 1) * ROWS_PER_PAGE)) {
    const row = body.insertRow();
    row.dataset.imageId = done.imageIds[index];
    const refs = cell('td', '', 'refs');
    for (const [i, ref] of (done.references[index] ?? []).entries()) {
      if (i > 0) refs.append(document.createElement('br'));
      refs.append(ref);
    }
    row.append(cell('td', done.imageIds[index] as string), cell('td', done.candidates[index] as string), refs);
    done.keys.forEach((key, k) => {
      const value = (done.columns[k] as Float64Array)[index] as number;
      const td = cell('td', value.toFixed(4), 'num');
      td.dataset.value = String(value);
      row.append(td);
    });
  }
  $('page-info').textContent = `page ${page + 1} of ${pages} (${order.length.toLocaleString('en')} images)`;
  $<HTMLButtonElement>('prev').disabled = page === 0;
  $<HTMLButtonElement>('next').disabled = page >= pages - 1;
  $('images-section').hidden = false;
}

$('prev').addEventListener('click', () => {
  page = Math.max(0, page - 1);
  renderImages();
});
$('next').addEventListener('click', () => {
  page += 1;
  renderImages();
});
