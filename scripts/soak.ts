/**
 * Soak: many explain calls in a row, checking that tensors and the JS heap stay flat (a leak
 * of one tensor or a few hundred bytes a call shows). Not part of `npm test` (minutes long).
 *
 *   npm run soak [-- --calls 1000 --page-calls 200 --methods gradcam,scorecam --no-page --no-node]
 *
 * 1. Node, wasm backend: `--calls` (default 1000) `GradCam.explain` calls per method on the
 *    parity fixture "dw" (test/fixtures/parity: 32×32×3, a conv stem and three depthwise-
 *    separable blocks, GAP + Dense, so every method including CAM applies), batch of one, at
 *    its target layer pw3; plus as many `explainTopK(…, 2)` and `guidedBackprop` calls.
 * 2. Headless Chromium (Debian's, via playwright-core), wasm backend, the example's test page:
 *    `--page-calls` (default 200) explain calls per method on the same network; the heap is
 *    read through the DevTools protocol after a forced garbage collection.
 *
 * For each run: tensors before → after (must be equal), the heap after a warm-up (a fifth of
 * the calls, at least 20) and at the end (after gc), and the heap's trend: a least-squares
 * slope in bytes per call over the last 5 of 10 samples. Exits 1 when tensors grow or the
 * slope passes 1 KiB/call (what a result object kept per call would add). Prints Markdown.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { cpus, totalmem } from 'node:os';
import type { Page } from 'playwright-core';
import { CAM_METHODS, type CamMethodName, GradCam, guidedBackprop } from '../src';
import { PAGE_DIR, buildPage, launchChromium, openTestPage, serve } from '../test/browser/harness';
import { type Fixture, buildFixtureModel, loadFixture } from '../test/helpers/fixtures';

const argv = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
}
const CALLS = Number(option('calls', '1000'));
const PAGE_CALLS = Number(option('page-calls', '200'));
const METHODS = option('methods', CAM_METHODS.join(',')).split(',') as CamMethodName[];
/**
 * Calls before measuring: V8 keeps compiling and filling inline caches for a while (the heap of
 * 6000 Grad-CAM calls grows by 210, 140, 70, 40 and 10 KiB per 1000: it levels off).
 */
const warmUp = (calls: number): number => Math.max(20, Math.round(calls / 5));
const SAMPLES = 10;
/**
 * A heap trend above this, in bytes per call over the last half of the samples, counts as a
 * leak: a result object kept per call (its arrays and tensor handles) adds about 1 KiB.
 */
const MAX_SLOPE = 1024;

interface Row {
  readonly where: string;
  readonly what: string;
  readonly calls: number;
  readonly msPerCall: number;
  readonly tensors: [number, number];
  readonly heap: [number, number];
  readonly slope: number;
}

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The slope over the last half of the samples, where warm-up growth has faded. */
function lastHalfSlope(xs: readonly number[], ys: readonly number[]): number {
  const from = Math.floor(xs.length / 2);
  return slope(xs.slice(from), ys.slice(from));
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with NODE_OPTIONS=--expose-gc (npm run soak does)');
  collect();
}

/** Runs `call` `calls` times after a warm-up, sampling tensors and heap (after gc) along the way. */
async function soak(where: string, what: string, calls: number, call: () => void): Promise<Row> {
  for (let i = 0; i < warmUp(calls); i++) call();
  gc();
  const tensorsBefore = tf.memory().numTensors;
  const heapBefore = process.memoryUsage().heapUsed;
  const xs: number[] = [];
  const ys: number[] = [];
  const every = Math.max(1, Math.floor(calls / SAMPLES));
  const t0 = performance.now();
  let busy = 0;
  for (let i = 1; i <= calls; i++) {
    const s = performance.now();
    call();
    busy += performance.now() - s;
    if (i % every === 0) {
      gc();
      xs.push(i);
      ys.push(process.memoryUsage().heapUsed);
    }
  }
  gc();
  const row: Row = {
    where,
    what,
    calls,
    msPerCall: busy / calls,
    tensors: [tensorsBefore, tf.memory().numTensors],
    heap: [heapBefore, process.memoryUsage().heapUsed],
    slope: lastHalfSlope(xs, ys),
  };
  console.error(`${where} ${what}: ${calls} calls in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return row;
}

async function nodeRows(fixture: Fixture): Promise<Row[]> {
  await tf.setBackend('wasm');
  await tf.ready();
  const model = buildFixtureModel(fixture);
  const image = tf.tensor(fixture.images[0].tensor.data, fixture.images[0].tensor.shape);
  const explainer = new GradCam(model, { layerName: fixture.targets[0].layer });
  const rows: Row[] = [];
  try {
    for (const method of METHODS) {
      rows.push(await soak('node', method, CALLS, () => explainer.explain(image, { method }).dispose()));
    }
    rows.push(await soak('node', 'explainTopK(2)', CALLS, () => explainer.explainTopK(image, 2).forEach((r) => r.dispose())));
    rows.push(await soak('node', 'guidedBackprop', CALLS, () => guidedBackprop(model, image).dispose()));
  } finally {
    explainer.dispose();
    image.dispose();
    model.dispose();
  }
  return rows;
}

/** What one page run reports. */
interface PageRun {
  readonly ms: number;
  readonly tensors: [number, number];
  readonly error: string;
}

async function pageRows(fixture: Fixture): Promise<Row[]> {
  buildPage();
  const server = await serve(PAGE_DIR);
  const browser = await launchChromium();
  const rows: Row[] = [];
  try {
    const { page, errors } = await openTestPage(browser.context, server.url);
    const cdp = await browser.context.newCDPSession(page);
    const heap = async (): Promise<number> => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    await page.evaluate(async (f: Fixture) => {
      const api = window.__browserApi;
      if (api === undefined) throw new Error('no __browserApi');
      await api.useBackend('wasm');
      const model = api.buildFixtureModel(f);
      const image = api.tf.tensor(f.images[0].tensor.data, f.images[0].tensor.shape);
      (window as unknown as { soak: unknown }).soak = { explainer: new api.GradCam(model, { layerName: f.targets[0].layer }), image };
    }, { ...fixture, targets: fixture.targets.slice(0, 1).map((t) => ({ ...t, activations: [], cases: [] })) });
    const run = (method: string, calls: number): Promise<PageRun> => runInPage(page, method, calls);
    // The page's first calls also warm up the page itself (JIT, the wasm backend): a longer warm-up.
    await run(METHODS[0], PAGE_CALLS);
    for (const method of METHODS) {
      await run(method, warmUp(PAGE_CALLS));
      const before = await heap();
      const xs: number[] = [];
      const ys: number[] = [];
      const every = Math.max(1, Math.floor(PAGE_CALLS / SAMPLES));
      let ms = 0;
      let tensors: [number, number] | undefined;
      for (let done = 0; done < PAGE_CALLS; done += every) {
        const r = await run(method, Math.min(every, PAGE_CALLS - done));
        if (r.error !== '') throw new Error(`page ${method}: ${r.error}`);
        ms += r.ms;
        tensors = tensors === undefined ? r.tensors : [tensors[0], r.tensors[1]];
        xs.push(done + every);
        ys.push(await heap());
      }
      if (errors.length > 0) throw new Error(errors.join('; '));
      const row: Row = { where: 'page', what: method, calls: PAGE_CALLS, msPerCall: ms / PAGE_CALLS, tensors: tensors as [number, number], heap: [before, ys[ys.length - 1]], slope: lastHalfSlope(xs, ys) };
      console.error(`page ${method}: ${PAGE_CALLS} calls`);
      rows.push(row);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return rows;
}

/** `calls` explain calls in the page; tensors counted around them. */
function runInPage(page: Page, method: string, calls: number): Promise<PageRun> {
  return page.evaluate(
    ({ method: m, calls: n }) => {
      const api = window.__browserApi;
      const state = (window as unknown as { soak?: { explainer: { explain(x: unknown, o: unknown): { dispose(): void } }; image: unknown } }).soak;
      if (api === undefined || state === undefined) return { ms: 0, tensors: [0, 0] as [number, number], error: 'page not ready' };
      const before = api.tf.memory().numTensors;
      const t0 = performance.now();
      try {
        for (let i = 0; i < n; i++) state.explainer.explain(state.image, { method: m }).dispose();
      } catch (err) {
        return { ms: 0, tensors: [before, api.tf.memory().numTensors] as [number, number], error: String(err) };
      }
      return { ms: performance.now() - t0, tensors: [before, api.tf.memory().numTensors] as [number, number], error: '' };
    },
    { method, calls },
  );
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(2);

async function main(): Promise<void> {
  const fixture = loadFixture('dw');
  const rows = argv.includes('--no-node') ? [] : await nodeRows(fixture);
  if (!argv.includes('--no-page')) rows.push(...(await pageRows(fixture)));
  console.log(`Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, tfjs ${tf.version_core}, backend wasm.`);
  console.log(`Command: npm run soak -- --calls ${CALLS} --page-calls ${PAGE_CALLS} (${new Date().toISOString().slice(0, 10)}).`);
  console.log('');
  console.log('| where | what | calls | ms/call | tensors before → after | heap after warm-up → end (MiB) | heap trend, last half (B/call) |');
  console.log('|---|---|---:|---:|---|---|---:|');
  let failed = false;
  for (const r of rows) {
    const leak = r.tensors[1] !== r.tensors[0] || r.slope > MAX_SLOPE;
    failed ||= leak;
    console.log(`| ${r.where} | ${r.what} | ${r.calls} | ${r.msPerCall.toFixed(2)} | ${r.tensors[0]} → ${r.tensors[1]} | ${mib(r.heap[0])} → ${mib(r.heap[1])} | ${r.slope.toFixed(1)}${leak ? ' **LEAK**' : ''} |`);
  }
  if (failed) {
    console.error(`soak: tensors grew or the heap trend passed ${MAX_SLOPE} B/call`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
