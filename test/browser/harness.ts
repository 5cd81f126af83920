/**
 * What the browser tests and `npm run measure:page` share: build the example page, serve it on
 * 127.0.0.1, and drive Debian's Chromium with playwright-core. Nothing is downloaded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { CROSS_ORIGIN_ISOLATION_HEADERS } from '../../examples/browser/isolation';

/** The repository: from this file under jest (CommonJS), else the nearest tfjs-gradcam package up from the working directory. */
export const ROOT = ((): string => {
  if (typeof __dirname !== 'undefined') return resolve(__dirname, '../..');
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'tfjs-gradcam') return dir;
    if (dirname(dir) === dir) throw new Error('run this from inside the tfjs-gradcam repository');
  }
})();
export const PAGE_DIR = join(ROOT, 'examples/browser/dist');
export const ARTIFACTS = join(ROOT, 'test-artifacts');

/**
 * Which Chromium the browser tests drive: `CHROMIUM_PATH` where it is set (and only it), else
 * Debian's `/usr/bin/chromium`; undefined where that file does not exist. Tests never download one.
 */
export function findChromium(env: NodeJS.ProcessEnv, exists: (path: string) => boolean): string | undefined {
  const candidate = env.CHROMIUM_PATH !== undefined && env.CHROMIUM_PATH !== '' ? env.CHROMIUM_PATH : '/usr/bin/chromium';
  return exists(candidate) ? candidate : undefined;
}

/** The Chromium of this run (see {@link findChromium}). */
export const CHROMIUM = findChromium(process.env, existsSync);

const HOW_TO_GET_CHROMIUM =
  "install Debian's Chromium (`apt-get install -y chromium`; .ci/run does) or set CHROMIUM_PATH to a Chromium binary. " +
  'Never `npx playwright install`: the tests download nothing';

/**
 * What a browser suite does on this machine: run where Chromium is found; else be skipped,
 * except under CI (`CI` set to anything but `false`/`0`), where a missing browser is an error,
 * so that CI can never go green without the browser tests.
 */
export function browserSuiteMode(env: NodeJS.ProcessEnv, chromium: string | undefined): 'run' | 'skip' | 'fail' {
  if (chromium !== undefined) return 'run';
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0' ? 'fail' : 'skip';
}

/**
 * `describe` for a suite that needs Chromium: itself where Chromium is found; `describe.skip`,
 * with one line on stderr saying how to get one, where it is not; a thrown error under CI.
 * A suite whose tests are all skipped runs none of its hooks, so nothing launches.
 */
export function describeWithBrowser(suite: string): jest.Describe {
  const wanted = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  switch (browserSuiteMode(process.env, CHROMIUM)) {
    case 'run':
      return describe;
    case 'fail':
      throw new Error(`${suite}: no Chromium at ${wanted}, and CI is set, so the browser tests may not be skipped: ${HOW_TO_GET_CHROMIUM}.`);
    case 'skip':
      process.stderr.write(`${suite}: skipped, no Chromium at ${wanted}: ${HOW_TO_GET_CHROMIUM}.\n`);
      return describe.skip;
  }
}

/** Builds the page into `outDir` (default examples/browser/dist, as `npm run build:page`; about 2 s). */
export function buildPage(outDir: string = PAGE_DIR): void {
  execFileSync(join(ROOT, 'node_modules/.bin/vite'), ['build', 'examples/browser', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/**
 * The built page a browser suite serves: examples/browser/dist as it is with
 * GRADCAM_PAGE_PREBUILT=1, else a fresh build in a folder of this process's own (removed when it
 * exits), so that suites running side by side in jest workers never build over each other.
 */
export function pageForTests(): string {
  if (process.env.GRADCAM_PAGE_PREBUILT === '1') return PAGE_DIR;
  const dir = mkdtempSync(join(tmpdir(), 'gradcam-page-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  buildPage(dir);
  return dir;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream',
};

/** How {@link serve} answers. */
export interface ServeOptions {
  /**
   * true: every response carries COOP/COEP ({@link CROSS_ORIGIN_ISOLATION_HEADERS}), as Vite's
   * dev and preview servers send them, so the page is cross-origin isolated and wasm may use
   * threads. false (the default): a plain static host, where the page is not isolated and wasm
   * runs on one thread.
   */
  isolated?: boolean;
}

/** A static file server for `dir` on 127.0.0.1 at a free port. */
export async function serve(dir: string, options: ServeOptions = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const extra = options.isolated === true ? CROSS_ORIGIN_ISOLATION_HEADERS : {};
  const base = resolve(dir);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    let file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { ...extra, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** How {@link launchChromium} sets up the browser's GPU process. */
export interface LaunchOptions {
  /**
   * false (the default): `--disable-gpu`, as `npm run measure:page` measured. WebGPU then still
   * computes (Dawn on SwiftShader), but a WebGPU canvas gets no shared image ("Could not find
   * SharedImageBackingFactory … WebgpuSwapChainTexture"), and tfjs-backend-webgpu reads tensors
   * synchronously (`dataSync`, which `GradCam.explain` uses) through such a canvas: the device
   * is lost ("A valid external Instance reference no longer exists").
   *
   * true: the GPU process runs on SwiftShader, ANGLE for WebGL and Vulkan for WebGPU, which
   * share images, so WebGPU works in full. What the webgpu tests use.
   */
  softwareGpu?: boolean;
}

/** The flags that give the GPU process SwiftShader for both WebGL (ANGLE) and WebGPU (Vulkan). */
const SOFTWARE_GPU_FLAGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--enable-features=Vulkan', '--use-vulkan=swiftshader'];

/** Headless Chromium with a fresh profile; `close()` also deletes the profile. */
export async function launchChromium(options: LaunchOptions = {}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (CHROMIUM === undefined) throw new Error(`Chromium not found: ${HOW_TO_GET_CHROMIUM}.`);
  const profile = mkdtempSync(join(tmpdir(), 'gradcam-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      ...(options.softwareGpu === true ? SOFTWARE_GPU_FLAGS : ['--disable-gpu']),
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // WebGPU: without a GPU, Chromium gives its software adapter (SwiftShader, isFallbackAdapter)
      // only with this flag; without it navigator.gpu.requestAdapter() resolves to null.
      '--enable-unsafe-webgpu',
      // A fake camera (a generated test pattern) that needs no permission prompt: the webcam source's test.
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Collects a page's console errors and uncaught exceptions. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return errors;
}

export type { PageHook } from '../../examples/browser/src/hook';
import type { PageHook } from '../../examples/browser/src/hook';

/** Reads `window.__gradcam`. */
export async function readHook(page: Page): Promise<PageHook> {
  return page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { __gradcam: unknown }).__gradcam)) as PageHook);
}

/**
 * Opens the page's test.html (the tests' page) in `context`, with `query` (e.g. `?threads=2`),
 * and waits for `window.__browserApi`; `errors` collects its console errors.
 */
export async function openTestPage(context: BrowserContext, url: string, query = ''): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(`${url}test.html${query}`);
  await page.waitForFunction(() => window.__browserApi !== undefined, null, { timeout: 30_000 });
  return { page, errors };
}

/** What {@link measureLive} saw. */
export interface LiveWindow {
  /** Frames explained and dropped in the window, and its length in seconds. */
  frames: number;
  dropped: number;
  seconds: number;
  /** The durations (ms) of the page's main-thread tasks over 50 ms in the window (`longtask` entries). */
  longTasks: number[];
  /**
   * From a Chromium trace of the same window: the most CPU time (ms) one task took on the page's
   * main thread, and the CPU time of each main-thread task over 50 ms of wall time. A task long
   * in wall time but short in CPU time was waiting: on the GPU process, or for a CPU that other
   * processes held.
   */
  longestTaskCpuMs: number;
  longTaskCpuMs: number[];
}

interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/**
 * Watches the live page for `seconds`: its frames explained and dropped (from `window.__gradcam`),
 * with a `PerformanceObserver` of its own every main-thread task over 50 ms, and with a trace
 * (Chrome DevTools Protocol) the CPU time of the main thread's tasks.
 */
export async function measureLive(page: Page, seconds: number): Promise<LiveWindow> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (data) => events.push(...(data.value as unknown as TraceEvent[])));
  const complete = new Promise<void>((done) => cdp.once('Tracing.tracingComplete', () => done()));
  await cdp.send('Tracing.start', { categories: 'toplevel,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
  const observed = await page.evaluate(
    (ms) =>
      new Promise<Omit<LiveWindow, 'longestTaskCpuMs' | 'longTaskCpuMs'>>((resolve) => {
        const hook = (window as unknown as { __gradcam: PageHook }).__gradcam;
        const longTasks: number[] = [];
        const observer = new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) longTasks.push(entry.duration);
        });
        observer.observe({ type: 'longtask' });
        const [frames, dropped, t0] = [hook.frames, hook.skipped, performance.now()];
        setTimeout(() => {
          for (const entry of observer.takeRecords()) longTasks.push(entry.duration);
          observer.disconnect();
          resolve({ frames: hook.frames - frames, dropped: hook.skipped - dropped, seconds: (performance.now() - t0) / 1000, longTasks });
        }, ms);
      }),
    seconds * 1000,
  );
  await cdp.send('Tracing.end');
  await complete;
  await cdp.detach();
  // The page's main thread: the renderer main thread that ran the most tasks.
  const mainThreads = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const tasks = events.filter((e) => e.ph === 'X' && e.name === 'RunTask' && mainThreads.has(`${e.pid}:${e.tid}`));
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(`${t.pid}:${t.tid}`, (counts.get(`${t.pid}:${t.tid}`) ?? 0) + 1);
  const busiest = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const pageTasks = tasks.filter((t) => `${t.pid}:${t.tid}` === busiest);
  const cpuMs = (t: TraceEvent): number => (t.tdur ?? t.dur ?? 0) / 1000;
  return {
    ...observed,
    longestTaskCpuMs: Math.max(0, ...pageTasks.map(cpuMs)),
    longTaskCpuMs: pageTasks.filter((t) => (t.dur ?? 0) > 50_000).map(cpuMs),
  };
}
