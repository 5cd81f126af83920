/**
 * The live page explaining in a Web Worker, in headless Chromium (see video-page.e2e.test.ts for
 * the setup): over 10 s of live explaining on webgl, the page's main thread has no task over
 * 50 ms, and the heatmaps still peak on the moving shape. The same window is measured with the
 * page explaining on its main thread (`?thread=main`), and reported, not asserted: the numbers
 * in docs/performance.md come from `npm run measure:page`.
 */
import { cpus, loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { type LiveWindow, type PageHook, collectErrors, describeWithBrowser, launchChromium, measureLive, pageForTests, readHook, serve } from './harness';

// Skipped, with a line saying how to get Chromium, where there is none (an error under CI).
const describe = describeWithBrowser('worker page (test/browser/worker-page.e2e.test.ts)');

jest.setTimeout(240_000);

const SECONDS = 10;
/** The shapes the demo model localizes (see POINTING_SHAPES in video-page.e2e.test.ts): circle 0, square 1, triangle 2, cross 3, star 4. */
const POINTED = [2, 3, 4];

let server: Awaited<ReturnType<typeof serve>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;


async function openLive(query: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  const errors = collectErrors(page);
  await page.goto(`${server.url}index.html?source=scene&method=gradcam&shapeSeconds=0.4&${query}`);
  // Ready, and past the first frames (the backend's warm-up: shader compiles, first allocations).
  await page.waitForFunction(() => (window.__gradcam?.frames ?? 0) >= 5 || (window.__gradcam?.error ?? '') !== '', null, { timeout: 90_000 });
  return { page, errors };
}

function describeWindow(w: LiveWindow): string {
  const longest = Math.max(0, ...w.longTasks);
  return (
    `${w.frames} frames in ${w.seconds.toFixed(1)} s (${(w.frames / w.seconds).toFixed(1)}/s), ${w.dropped} dropped; ` +
    `main-thread tasks over 50 ms: ${w.longTasks.length} (longest ${longest.toFixed(0)} ms; CPU time of those: ` +
    `${w.longTaskCpuMs.map((ms) => ms.toFixed(0)).join(', ') || '–'} ms); most CPU in one task ${w.longestTaskCpuMs.toFixed(1)} ms; ` +
    `load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`
  );
}

const pointedShare = (hook: PageHook): { hits: number; scored: number } => ({
  hits: POINTED.reduce((sum, k) => sum + (hook.hitsByClass[k] ?? 0), 0),
  scored: POINTED.reduce((sum, k) => sum + (hook.scoredByClass[k] ?? 0), 0),
});

describe('live page with its Web Worker', () => {
  beforeAll(async () => {
    server = await serve(pageForTests());
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(`webgl in the worker: no main-thread task over 50 ms in ${SECONDS} s, heatmaps on the shape`, async () => {
    const { page, errors } = await openLive('backend=webgl');
    const started = await readHook(page);
    expect(started.error).toBe('');
    expect([started.thread, started.backend]).toEqual(['worker', 'webgl']);
    expect(await page.textContent('#thread')).toMatch(/Web Worker/);

    // The page's own work on its thread is a few ms of CPU a frame; on a machine shared with
    // other jobs (software WebGL's GPU process among them) the thread can still be descheduled
    // past 50 ms. So the CPU time of every main-thread task is checked in each window (a trace),
    // and up to three windows are measured, each logged: one must have no long task at all.
    const windows: LiveWindow[] = [];
    do windows.push(await measureLive(page, SECONDS));
    while (windows.length < 3 && windows[windows.length - 1].longTasks.length > 0);
    const window = windows[windows.length - 1];
    const hook = await readHook(page);
    const { hits, scored } = pointedShare(hook);
    for (const w of windows) console.log(`worker, webgl: ${describeWindow(w)}`);
    console.log(`worker, webgl: peak on the shape in ${hits}/${scored} frames`);
    for (const w of windows) expect(w.longestTaskCpuMs).toBeLessThan(50);
    expect(window.longTasks).toEqual([]);
    expect(window.frames).toBeGreaterThanOrEqual(10);
    // The heatmaps are right: the peak lies on the moving shape in ≥ 90 % of the frames.
    expect(scored).toBeGreaterThanOrEqual(10);
    expect(hits / scored).toBeGreaterThanOrEqual(0.9);
    expect(hook.thread).toBe('worker');
    expect(hook.error).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  });

  it.each(['wasm', 'cpu'])('%s in the worker explains frames with the peak on the shape', async (backend) => {
    const { page, errors } = await openLive(`backend=${backend}`);
    // 40 frames, and at least 5 of shapes whose peak is scored: a fast backend explains 40 frames
    // within one shape's time on screen, which may be a shape left out of the count.
    await page.waitForFunction(
      (pointed) => {
        const hook = window.__gradcam;
        const scored = pointed.reduce((sum, k) => sum + (hook?.scoredByClass[k] ?? 0), 0);
        return ((hook?.frames ?? 0) >= 40 && scored >= 5) || (hook?.error ?? '') !== '';
      },
      POINTED,
      { timeout: 90_000 },
    );
    const hook = await readHook(page);
    const { hits, scored } = pointedShare(hook);
    expect([hook.error, hook.thread, hook.backend]).toEqual(['', 'worker', backend]);
    expect(scored).toBeGreaterThanOrEqual(5);
    expect(hits / scored).toBeGreaterThanOrEqual(0.8);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('?thread=main explains on the page\'s thread, says so, and is measured the same way', async () => {
    const { page, errors } = await openLive('backend=webgl&thread=main');
    const started = await readHook(page);
    expect([started.error, started.thread]).toEqual(['', 'main']);
    expect(await page.textContent('#thread')).toMatch(/main thread: the page was opened with \?thread=main/);
    const window = await measureLive(page, SECONDS);
    console.log(`main thread, webgl: ${describeWindow(window)}`);
    expect(window.frames).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
