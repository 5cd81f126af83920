/**
 * End to end, in a real browser: builds examples/browser (once, for every test here), serves it on 127.0.0.1 and drives
 * Debian's Chromium (/usr/bin/chromium; `apt-get install -y chromium`) with playwright-core.
 * Without Chromium these tests fail: CI installs it. Nothing is downloaded.
 *
 * Artifacts: test-artifacts/video-page.png (the live page after the run) and
 * test-artifacts/still-overlay.png (the still mode's downloaded overlay).
 *
 * Also checks tfjs-gradcam/browser's functions inside the browser (entry-checks.ts).
 *
 * The page is served cross-origin isolated (COOP/COEP, as Vite's dev and preview servers send
 * them), so the wasm backend runs its threaded build; one test explains with 1 and 2 threads.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, JSHandle, Page } from 'playwright-core';
import { type Drawn, drawOn } from './entry-checks';
import { CAM_METHODS, type CamMethodName } from '../../src';
import { type Fixture, loadFixture, maxAbsDiff } from '../helpers/fixtures';
import { ARTIFACTS, type PageHook, collectErrors, describeWithBrowser, launchChromium, openTestPage, pageForTests, readHook, serve } from './harness';

// Skipped, with a line saying how to get Chromium, where there is none (an error under CI).
const describe = describeWithBrowser('video page (test/browser/video-page.e2e.test.ts)');

jest.setTimeout(120_000);

const FRAMES = 150;
const SHAPES = ['circle', 'square', 'triangle', 'cross', 'star'];
/**
 * The shapes whose heatmap peak must lie on the shape in ≥ 90 % of the frames. The demo model
 * recognises all five, but its Grad-CAM for circles and squares often peaks just beside the shape
 * (also on the generator's own scenes: ~60 % and ~70 % in the pointing game), so those two are
 * reported, not asserted. Add them here once the demo model localizes them.
 */
const POINTING_SHAPES = ['triangle', 'cross', 'star'];
/** Each shape of the animated scene stays 0.4 s, so the run sees all five (at up to 60 frames/s). */
const SHAPE_SECONDS = 0.4;
/** The video file's length: it is recorded in real time, and the test waits for it to loop once. */
const CLIP_SECONDS = 2;
/** The picture dropped in still mode: not square, so the overlay's size shows it is the picture's. */
const DROPPED_SIZE: [number, number] = [240, 160];

let server: Awaited<ReturnType<typeof serve>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
/**
 * A second Chromium for webgpu: its GPU process on SwiftShader instead of disabled, so WebGPU
 * reads back synchronously, which GradCam.explain and the page's webgpu check need (see
 * LaunchOptions.softwareGpu in harness.ts).
 */
let gpuBrowser: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
let entryPage: Page;
let entryErrors: string[];

beforeAll(async () => {
  // GRADCAM_PAGE_PREBUILT=1 tests the page already in examples/browser/dist (npm run build:page).
  // Cross-origin isolated, as `npx vite` serves it: wasm may run threads (the last describe).
  server = await serve(pageForTests(), { isolated: true });
  browser = await launchChromium();
  gpuBrowser = await launchChromium({ softwareGpu: true });
  context = browser.context;
  mkdirSync(ARTIFACTS, { recursive: true });
  entryPage = await context.newPage();
  entryErrors = collectErrors(entryPage);
  await entryPage.goto(`${server.url}test.html`);
  await entryPage.waitForFunction(() => window.__browserApi !== undefined, null, { timeout: 30_000 });
});

afterAll(async () => {
  await gpuBrowser?.close();
  await browser?.close();
  await server?.close();
});

/** Opens the page with `query`; `initScript` runs in it before the page's own scripts. */
async function openPage(query: string, initScript?: string, on: BrowserContext = context): Promise<{ page: Page; errors: string[] }> {
  const page = await on.newPage();
  const errors = collectErrors(page);
  if (initScript !== undefined) await page.addInitScript(initScript);
  await page.goto(`${server.url}index.html?${query}`);
  await page.waitForFunction(() => window.__gradcam?.ready === true || (window.__gradcam?.error ?? '') !== '', null, { timeout: 60_000 });
  return { page, errors };
}

/** Waits until the page has explained `frames` frames in all (or shows an error) and returns its hook. */
async function framesOrError(page: Page, frames: number, timeout = 30_000): Promise<PageHook> {
  await page.waitForFunction((n) => (window.__gradcam?.frames ?? 0) >= n || (window.__gradcam?.error ?? '') !== '', frames, { timeout });
  return readHook(page);
}

/** Pixel statistics of a canvas on the page: its size, distinct colours, and the spread of its values. */
async function canvasStats(page: Page, selector: string): Promise<{ width: number; height: number; colours: number; std: number; opaque: boolean }> {
  return page.$eval(selector, (node) => {
    const canvas = node as HTMLCanvasElement;
    const ctx = canvas.getContext('2d');
    if (ctx === null) return { width: 0, height: 0, colours: 0, std: 0, opaque: false };
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const colours = new Set<number>();
    let [sum, sum2, opaque] = [0, 0, true];
    for (let i = 0; i < data.length; i += 4) {
      colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      const v = data[i] + data[i + 1] + data[i + 2];
      sum += v;
      sum2 += v * v;
      if (data[i + 3] !== 255) opaque = false;
    }
    const n = data.length / 4;
    return { width: canvas.width, height: canvas.height, colours: colours.size, std: Math.sqrt(sum2 / n - (sum / n) ** 2), opaque };
  });
}

describe('video page (examples/browser) in headless Chromium', () => {
  it(`explains ${FRAMES}+ frames of the animated scene on wasm: overlay drawn, peak on the shape, no tensor growth, no errors`, async () => {
    const { page, errors } = await openPage(`source=scene&backend=wasm&method=gradcam&colormap=jet&shapeSeconds=${SHAPE_SECONDS}`);
    const started = await readHook(page);
    expect(started.error).toBe('');
    expect(started.backend).toBe('wasm');

    const hook = await framesOrError(page, FRAMES, 60_000);
    await page.screenshot({ path: join(ARTIFACTS, 'video-page.png') });
    const n = hook.frames;
    const perShape = SHAPES.map((name, k) => `${name} ${hook.hitsByClass[k] ?? 0}/${hook.scoredByClass[k] ?? 0}`).join(', ');
    console.log(
      `video page, wasm: ${n} frames, ${hook.skipped} skipped, shape recognised in ${hook.correct}/${hook.scored}, peak on the shape in ${hook.hits}/${hook.scored}; ` +
        `${(hook.inferenceMs / n).toFixed(1)} ms inference + ${(hook.drawMs / n).toFixed(1)} ms drawing per frame, ` +
        `${hook.fps.toFixed(1)} fps; tensors ${hook.numTensorsAtFrame10} after frame 10, ${hook.numTensors} at the end; ` +
        `peak on the shape per shape: ${perShape}`,
    );

    expect(hook.error).toBe('');
    expect(hook.backend).toBe('wasm');
    expect(hook.drawPath).toBe('readback'); // wasm has no Draw kernel
    expect(hook.pacing).toBe('animation-frame');
    expect(n).toBeGreaterThanOrEqual(FRAMES);
    // The run saw every shape, and the demo model recognised the drawn shapes.
    expect(hook.scoredByClass.filter((count) => count > 0)).toHaveLength(5);
    expect(hook.correct / hook.scored).toBeGreaterThanOrEqual(0.9);
    // The heatmap's peak lies on the moving shape in at least 90 % of the frames (of the shapes
    // the demo model localizes: see POINTING_SHAPES).
    expect(hook.scored).toBe(n);
    const pointed = POINTING_SHAPES.map((name) => SHAPES.indexOf(name));
    const sum = (counts: number[]): number => pointed.reduce((total, k) => total + (counts[k] ?? 0), 0);
    expect(sum(hook.scoredByClass)).toBeGreaterThanOrEqual(30);
    expect(sum(hook.hitsByClass) / sum(hook.scoredByClass)).toBeGreaterThanOrEqual(0.9);
    // No tensor growth: the count after frame 10 is the count at the end.
    expect(hook.numTensorsAtFrame10).toBeGreaterThan(0);
    expect(hook.numTensors).toBeLessThanOrEqual(hook.numTensorsAtFrame10);
    // The overlay canvas holds a picture: many colours, not one flat fill.
    const overlay = await canvasStats(page, '#overlay');
    expect(overlay.opaque).toBe(true);
    expect(overlay.colours).toBeGreaterThan(500);
    expect(overlay.std).toBeGreaterThan(20);
    // The stats the page shows.
    expect(Number(await page.textContent('#fps'))).toBeGreaterThan(0);
    expect(await page.textContent('#ms')).toMatch(/^\d+\.\d \+ \d+\.\d ms/);
    expect(await page.$$eval('#top3 li', (items) => items.length)).toBe(3);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("webcam source (Chromium's fake camera): frames paced by requestVideoFrameCallback, explained and drawn", async () => {
    const { page, errors } = await openPage('source=webcam&backend=wasm');
    const hook = await framesOrError(page, 20);
    expect(hook.error).toBe('');
    expect(hook.pacing).toBe('video-frame');
    expect(hook.scored).toBe(0); // a camera gives no ground truth
    expect(hook.numTensors).toBeLessThanOrEqual(hook.numTensorsAtFrame10);
    const overlay = await canvasStats(page, '#overlay');
    expect(overlay.colours).toBeGreaterThan(100);
    // Back to the animated scene: the camera is released and requestAnimationFrame paces again.
    await page.selectOption('#source', 'scene');
    await page.waitForFunction(() => window.__gradcam?.pacing === 'animation-frame' && (window.__gradcam?.frames ?? 0) >= 5, null, { timeout: 30_000 });
    expect(await page.$eval('#video', (v) => (v as HTMLVideoElement).srcObject)).toBeNull();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('video file source: a clip recorded in the browser plays in a loop, paced by requestVideoFrameCallback, explained and drawn', async () => {
    const clip = await recordClip(CLIP_SECONDS);
    expect([...clip.subarray(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]); // a Matroska / WebM file
    const { page, errors } = await openPage('source=scene&backend=wasm');
    // The file source without a file: the page asks for one and shows the file input.
    await page.selectOption('#source', 'file');
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Pick a video file.', null, { timeout: 30_000 });
    expect(await page.isVisible('#video-file')).toBe(true);
    // Counts the clip's restarts: at its end, `loop` seeks back to the start.
    await page.$eval('#video', (node) => {
      const video = node as HTMLVideoElement;
      video.dataset.restarts = '0';
      video.addEventListener('seeked', () => {
        if (video.currentTime < 0.5) video.dataset.restarts = String(Number(video.dataset.restarts) + 1);
      });
    });

    await page.setInputFiles('#video-file', { name: 'clip.webm', mimeType: 'video/webm', buffer: clip });
    await page.waitForFunction(() => (window.__gradcam?.numTensorsAtFrame10 ?? -1) > 0 || (window.__gradcam?.error ?? '') !== '', null, { timeout: 30_000 });
    expect((await readHook(page)).error).toBe('');
    // The clip ends and starts again, and frames go on being explained after the restart.
    await page.waitForFunction(() => Number(document.querySelector<HTMLVideoElement>('#video')?.dataset.restarts) >= 1 || (window.__gradcam?.error ?? '') !== '', null, {
      timeout: 30_000,
    });
    const atRestart = (await readHook(page)).frames;
    const hook = await framesOrError(page, atRestart + 20);
    const video = await page.$eval('#video', (node) => {
      const v = node as HTMLVideoElement;
      return { src: v.currentSrc, hidden: v.hidden, paused: v.paused, duration: v.duration, decoded: v.getVideoPlaybackQuality().totalVideoFrames };
    });
    console.log(
      `video page, video file (${CLIP_SECONDS} s webm, ${clip.length} bytes, ${video.decoded} frames decoded): ${hook.frames} frames explained, ` +
        `${hook.skipped} skipped, ${hook.fps.toFixed(1)} fps, last label ${hook.label}; tensors ${hook.numTensorsAtFrame10} after frame 10, ${hook.numTensors} at the end`,
    );
    expect(hook.error).toBe('');
    expect(hook.backend).toBe('wasm');
    expect(hook.pacing).toBe('video-frame');
    expect(hook.frames).toBeGreaterThanOrEqual(atRestart + 20);
    // One tick per video frame: never more frames explained or skipped than the video decoded
    // (requestAnimationFrame would tick at the display's rate, twice the clip's 30 frames/s).
    expect(hook.frames + hook.skipped).toBeLessThanOrEqual(video.decoded);
    expect(hook.scored).toBe(0); // a file gives no ground truth
    // The frames explained are the clip's: the demo model sees its triangle.
    expect(hook.label).toBe('triangle');
    expect(hook.numTensorsAtFrame10).toBeGreaterThan(0);
    expect(hook.numTensors).toBeLessThanOrEqual(hook.numTensorsAtFrame10);
    expect(video.src).toMatch(/^blob:/);
    expect(video.hidden).toBe(false);
    expect(video.paused).toBe(false);
    expect(video.duration).toBeCloseTo(CLIP_SECONDS, 0);
    expect(await page.textContent('#status')).toBe('');
    const overlay = await canvasStats(page, '#overlay');
    expect(overlay.opaque).toBe(true);
    expect(overlay.colours).toBeGreaterThan(500);
    expect(overlay.std).toBeGreaterThan(20);
    expect(await page.$$eval('#top3 li', (items) => items.length)).toBe(3);
    // Back to the animated scene: the file is let go and requestAnimationFrame paces again.
    await page.selectOption('#source', 'scene');
    await page.waitForFunction(() => window.__gradcam?.pacing === 'animation-frame' && (window.__gradcam?.frames ?? 0) >= 5, null, { timeout: 30_000 });
    expect(await page.$eval('#video', (v) => [v.getAttribute('src'), (v as HTMLVideoElement).hidden])).toEqual([null, true]);
    expect(await page.isVisible('#video-file')).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('still mode: heatmap and overlay side by side, PNG download, no tensor growth across renders', async () => {
    const { page, errors } = await openPage('mode=still&backend=wasm');
    await page.waitForFunction(() => (window.__gradcam?.stillRenders ?? 0) >= 1, null, { timeout: 30_000 });
    const first = await readHook(page);
    expect(first.error).toBe('');
    expect(['circle', 'square', 'triangle', 'cross', 'star']).toContain(first.stillLabel);
    const heatmap = await canvasStats(page, '#still-heatmap');
    const overlay = await canvasStats(page, '#still-overlay');
    expect([heatmap.width, heatmap.height]).toEqual([64, 64]);
    expect([overlay.width, overlay.height]).toEqual([64, 64]);
    expect(heatmap.colours).toBeGreaterThan(20);
    expect(overlay.colours).toBeGreaterThan(200);

    // Another colour map: a second render, and the same number of tensors afterwards.
    await page.selectOption('#colormap', 'viridis');
    await page.waitForFunction(() => (window.__gradcam?.stillRenders ?? 0) >= 2, null, { timeout: 30_000 });
    const second = await readHook(page);
    expect(second.numTensors).toBe(first.numTensors);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('gradcam-overlay.png');
    const path = join(ARTIFACTS, 'still-overlay.png');
    await download.saveAs(path);
    expect([...readFileSync(path).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('still mode: an image dropped on the drop zone is explained at its size; a dropped non-image file is refused with a message', async () => {
    const { page, errors } = await openPage('mode=still&backend=wasm');
    await page.waitForFunction(() => (window.__gradcam?.stillRenders ?? 0) >= 1, null, { timeout: 30_000 });
    const first = await readHook(page);
    expect(first.error).toBe('');
    expect(first.stillLabel).not.toBe('triangle'); // the demo scene shown at start (seed 1) has another shape
    const isOver = (): Promise<boolean> => page.$eval('#drop', (zone) => zone.classList.contains('over'));

    // A 240×160 PNG of a triangle, made in the page, dragged over the zone and dropped.
    const image = await dataTransferWith(page, { png: DROPPED_SIZE });
    await page.dispatchEvent('#drop', 'dragover', { dataTransfer: image });
    expect(await isOver()).toBe(true);
    await page.dispatchEvent('#drop', 'dragleave');
    expect(await isOver()).toBe(false);
    await page.dispatchEvent('#drop', 'dragover', { dataTransfer: image });
    expect(await isOver()).toBe(true);
    await page.dispatchEvent('#drop', 'drop', { dataTransfer: image });
    expect(await isOver()).toBe(false);
    await page.waitForFunction((n) => (window.__gradcam?.stillRenders ?? 0) > n || (window.__gradcam?.error ?? '') !== '', first.stillRenders, { timeout: 30_000 });
    const dropped = await readHook(page);
    expect(dropped.error).toBe('');
    expect(dropped.stillRenders).toBe(first.stillRenders + 1);
    expect(dropped.stillLabel).toBe('triangle'); // the dropped picture is the one explained
    expect(dropped.numTensors).toBe(first.numTensors);
    const heatmap = await canvasStats(page, '#still-heatmap');
    const overlay = await canvasStats(page, '#still-overlay');
    expect([heatmap.width, heatmap.height]).toEqual([64, 64]); // the heatmap at the model's input size
    expect([overlay.width, overlay.height]).toEqual(DROPPED_SIZE); // the overlay at the picture's
    expect(heatmap.colours).toBeGreaterThan(20);
    expect(overlay.opaque).toBe(true);
    expect(overlay.colours).toBeGreaterThan(200);
    expect(overlay.std).toBeGreaterThan(20);
    expect(await page.$eval('#still-overlay', (c) => (c as HTMLCanvasElement).style.aspectRatio)).toBe(`${DROPPED_SIZE[0]} / ${DROPPED_SIZE[1]}`);
    expect(await page.$$eval('#still-top3 li', (items) => items.length)).toBe(3);

    // A text file: a clear message, no render, no error in the console.
    const text = await dataTransferWith(page, { text: 'not a picture' });
    await page.dispatchEvent('#drop', 'dragover', { dataTransfer: text });
    await page.dispatchEvent('#drop', 'drop', { dataTransfer: text });
    expect(await isOver()).toBe(false);
    const refusal = 'notes.txt is not an image: drop or pick an image file (PNG, JPEG, …).';
    await page.waitForFunction(() => (window.__gradcam?.error ?? '') !== '', null, { timeout: 30_000 });
    expect((await readHook(page)).error).toBe(refusal);
    expect(await page.textContent('#status')).toBe(refusal);
    expect(await page.$eval('#status', (status) => status.classList.contains('error'))).toBe(true);
    expect((await readHook(page)).stillRenders).toBe(dropped.stillRenders);
    // The page goes on with the dropped picture: another colour map renders it again.
    await page.selectOption('#colormap', 'viridis');
    await page.waitForFunction((n) => (window.__gradcam?.stillRenders ?? 0) > n, dropped.stillRenders, { timeout: 30_000 });
    const after = await readHook(page);
    expect(after.stillLabel).toBe('triangle');
    expect(after.numTensors).toBe(first.numTensors);
    expect((await canvasStats(page, '#still-overlay')).width).toBe(DROPPED_SIZE[0]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('loads a user model from URL and from picked files, lists its feature-map layers, and explains with it', async () => {
    // The demo model saved as model.json + weights, served next to the page.
    const files = await demoModelFiles();
    const { page, errors } = await openPage('source=scene&backend=wasm');
    await page.route('**/user-model/**', (route) => {
      const name = new URL(route.request().url()).pathname.split('/').pop() ?? '';
      const body = files[name];
      return body === undefined ? route.fulfill({ status: 404 }) : route.fulfill({ status: 200, body: Buffer.from(body) });
    });
    await page.check('input[name="model"][value="user"]');
    await page.fill('#model-url', `${server.url}user-model/model.json`);
    await page.click('#model-url-load');
    await page.waitForFunction(() => /^Loaded a model/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 30_000 });
    const layers = await page.$$eval('#layer option', (options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(layers[0]).toBe('');
    expect(layers).toContain('features');
    // Another layer from the list, then frames keep coming.
    const other = layers.find((l) => l !== '' && l !== 'features') ?? 'features';
    await page.selectOption('#layer', other);
    await page.waitForFunction((l) => window.__gradcam?.layer === l && (window.__gradcam?.frames ?? 0) >= 5, other, { timeout: 30_000 });

    // The same model picked as files (model.json + weights).
    await page.setInputFiles(
      '#model-files',
      Object.entries(files).map(([name, body]) => ({ name, mimeType: name.endsWith('.json') ? 'application/json' : 'application/octet-stream', buffer: Buffer.from(body) })),
    );
    await page.waitForFunction(() => window.__gradcam?.layer === 'features' && (window.__gradcam?.frames ?? 0) >= 5, null, { timeout: 30_000 });
    const hook = await readHook(page);
    expect(hook.error).toBe('');
    expect(hook.label).toMatch(/^class \d$/); // a user model's classes have no names

    // A GraphModel (the VGG-shaped net converted from a SavedModel) by URL: loadModel with
    // tfjs-converter's loader; its target is a graph node.
    const graphDir = join(process.cwd(), 'test/fixtures/graph/vgg/graph');
    await page.route('**/graph-model/**', (route) => {
      const name = new URL(route.request().url()).pathname.split('/').pop() ?? '';
      const file = join(graphDir, name);
      return existsSync(file) ? route.fulfill({ status: 200, body: readFileSync(file) }) : route.fulfill({ status: 404 });
    });
    await page.fill('#model-url', `${server.url}graph-model/model.json`);
    await page.click('#model-url-load');
    const node = 'StatefulPartitionedCall/vgg/block3_conv2/Relu';
    await page.waitForFunction(() => /^Loaded a model/.test(document.getElementById('status')?.textContent ?? '') && window.__gradcam?.layer !== 'features', null, { timeout: 30_000 });
    expect(await page.textContent('#status')).toBe(`Loaded a model with input 48×48, target layer ${node}.`);
    const framesAtLoad = (await readHook(page)).frames;
    await page.waitForFunction(([l, n]) => window.__gradcam?.layer === l && (window.__gradcam?.frames ?? 0) >= (n as number) + 3, [node, framesAtLoad], { timeout: 30_000 });
    expect(await page.$$eval('#layer option', (options) => options.map((o) => (o as HTMLOptionElement).value))).toContain(node);
    expect((await readHook(page)).error).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  });
});

/**
 * A short real video file, made without any tool or download: a yellow triangle moving over a
 * gradient, drawn on a 320×240 canvas in a blank page and recorded with `canvas.captureStream`
 * and `MediaRecorder` (WebM, VP8 where offered) for `seconds` of real time.
 */
async function recordClip(seconds: number): Promise<Buffer> {
  const page = await context.newPage();
  const errors = collectErrors(page);
  try {
    const recorded = await page.evaluate(async (duration) => {
      if (!MediaRecorder.isTypeSupported('video/webm')) return { supported: false, base64: '' };
      const [w, h] = [320, 240];
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const ctx = canvas.getContext('2d');
      if (ctx === null) throw new Error('no 2-D canvas context');
      const mimeType = MediaRecorder.isTypeSupported('video/webm;codecs=vp8') ? 'video/webm;codecs=vp8' : 'video/webm';
      const recorder = new MediaRecorder(canvas.captureStream(30), { mimeType });
      const chunks: Blob[] = [];
      recorder.ondataavailable = (event) => chunks.push(event.data);
      const stopped = new Promise<void>((done) => (recorder.onstop = () => done()));
      const draw = (t: number): void => {
        const background = ctx.createLinearGradient(0, 0, w, h);
        background.addColorStop(0, '#1e2a50');
        background.addColorStop(1, '#3c6e8c');
        ctx.fillStyle = background;
        ctx.fillRect(0, 0, w, h);
        // Inside the centre square the page explains (x 40…280), back and forth.
        const x = 160 + 60 * Math.sin((2 * Math.PI * t) / duration);
        const y = 120 + 25 * Math.cos((4 * Math.PI * t) / duration);
        const r = 55;
        ctx.fillStyle = '#f0c020';
        ctx.beginPath();
        ctx.moveTo(x, y - r);
        ctx.lineTo(x + r, y + 0.8 * r);
        ctx.lineTo(x - r, y + 0.8 * r);
        ctx.closePath();
        ctx.fill();
      };
      draw(0);
      recorder.start();
      const start = performance.now();
      await new Promise<void>((done) => {
        const frame = (): void => {
          const t = (performance.now() - start) / 1000;
          draw(Math.min(t, duration));
          if (t < duration) requestAnimationFrame(frame);
          else done();
        };
        requestAnimationFrame(frame);
      });
      recorder.stop();
      await stopped;
      const url = await new Promise<string>((done, fail) => {
        const reader = new FileReader();
        reader.onload = () => done(String(reader.result));
        reader.onerror = () => fail(reader.error);
        reader.readAsDataURL(new Blob(chunks, { type: 'video/webm' }));
      });
      return { supported: true, base64: url.slice(url.indexOf(',') + 1) };
    }, seconds);
    if (!recorded.supported) throw new Error('this Chromium cannot record video/webm with MediaRecorder');
    expect(errors).toEqual([]);
    return Buffer.from(recorded.base64, 'base64');
  } finally {
    await page.close();
  }
}

/**
 * A `DataTransfer` in `page` holding one file, as a drag-and-drop carries it: `png`, a PNG of a
 * yellow triangle on a gradient of that width × height (made in the page with `canvas.toBlob`),
 * or `text`, a text/plain file `notes.txt`.
 */
function dataTransferWith(page: Page, file: { png: [number, number] } | { text: string }): Promise<JSHandle<DataTransfer>> {
  return page.evaluateHandle(async (spec) => {
    const transfer = new DataTransfer();
    if ('text' in spec) {
      transfer.items.add(new File([spec.text], 'notes.txt', { type: 'text/plain' }));
      return transfer;
    }
    const [w, h] = spec.png;
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d');
    if (ctx === null) throw new Error('no 2-D canvas context');
    const background = ctx.createLinearGradient(0, 0, w, h);
    background.addColorStop(0, '#1e2a50');
    background.addColorStop(1, '#3c6e8c');
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, w, h);
    const [x, y, r] = [0.55 * w, 0.5 * h, 0.28 * Math.min(w, h)];
    ctx.fillStyle = '#f0c020';
    ctx.beginPath();
    ctx.moveTo(x, y - r);
    ctx.lineTo(x + r, y + 0.8 * r);
    ctx.lineTo(x - r, y + 0.8 * r);
    ctx.closePath();
    ctx.fill();
    const blob = await new Promise<Blob>((done, fail) => canvas.toBlob((b) => (b === null ? fail(new Error('no PNG')) : done(b)), 'image/png'));
    transfer.items.add(new File([blob], 'triangle.png', { type: 'image/png' }));
    return transfer;
  }, file);
}

/** `expected` within ±1 per channel (float rounding on the way to bytes). */
function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1));
}

describe('the backend control of the video page', () => {
  /** The backend list as the page shows it: value, and whether it can be chosen. */
  const backendOptions = (page: Page): Promise<string[]> =>
    page.$$eval('#backend option', (options) => options.map((o) => `${(o as HTMLOptionElement).value}${(o as HTMLOptionElement).disabled ? ' (disabled)' : ''}`));

  it('offers webgpu where the browser exposes WebGPU (navigator.gpu)', async () => {
    const { page, errors } = await openPage('source=scene&backend=wasm');
    expect(await backendOptions(page)).toEqual(['wasm', 'webgl', 'cpu', 'webgpu']);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('without WebGPU (no navigator.gpu, as in browsers without it) lists wasm, webgl and cpu, and ?backend=webgpu starts on wasm', async () => {
    // No navigator.gpu and none of WebGPU's globals (GPUBufferUsage, …), as in a browser without it.
    const noWebGPU = "delete Navigator.prototype.gpu; for (const k of Object.getOwnPropertyNames(globalThis)) if (/^GPU/.test(k)) delete globalThis[k];";
    const { page, errors } = await openPage('source=scene&backend=webgpu', noWebGPU);
    expect(await page.evaluate(() => Object.getOwnPropertyNames(globalThis).filter((k) => /^GPU/.test(k)).length + ('gpu' in navigator ? 1 : 0))).toBe(0);
    const hook = await framesOrError(page, 5);
    expect(hook.error).toBe('');
    expect(hook.backend).toBe('wasm');
    expect(await backendOptions(page)).toEqual(['wasm', 'webgl', 'cpu']);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('with WebGPU but no adapter, ?backend=webgpu says so, marks webgpu unavailable and goes on with wasm', async () => {
    const { page, errors } = await openPage('source=scene&backend=webgpu', 'GPU.prototype.requestAdapter = async () => null;');
    const hook = await framesOrError(page, 5);
    expect(hook.error).toBe('');
    expect(hook.backend).toBe('wasm');
    expect(await page.textContent('#status')).toMatch(/^The webgpu backend is not available in this browser: it has no WebGPU adapter.* Using wasm instead\.$/);
    expect(await backendOptions(page)).toEqual(['wasm', 'webgl', 'cpu', 'webgpu (disabled)']);
    expect(await page.$eval('#backend', (select) => (select as HTMLSelectElement).value)).toBe('wasm');
    expect(errors).toEqual([]); // tfjs's "Initialization of backend webgpu failed" and the page's notice are warnings
    await page.close();
  });

  it('switches to webgpu and explains the scene there (in the Chromium whose GPU process runs on SwiftShader)', async () => {
    const { page, errors } = await openPage('source=scene&backend=wasm', undefined, gpuBrowser.context);
    await page.selectOption('#backend', 'webgpu');
    const frames = 12;
    await page.waitForFunction(
      (n) => (window.__gradcam?.backend === 'webgpu' && (window.__gradcam?.frames ?? 0) >= n) || (window.__gradcam?.error ?? '') !== '',
      frames,
      { timeout: 60_000 },
    );
    const hook = await readHook(page);
    console.log(
      `video page, webgpu (SwiftShader), explained in the ${hook.thread}: ${hook.frames} frames, ${hook.skipped} skipped, shape recognised in ${hook.correct}/${hook.scored}, ` +
        `${(hook.inferenceMs / hook.frames).toFixed(0)} ms inference + ${(hook.drawMs / hook.frames).toFixed(1)} ms drawing per frame`,
    );
    expect(hook.error).toBe('');
    expect(hook.backend).toBe('webgpu');
    expect(hook.drawPath).toBe('device'); // the heatmap went to its canvas with tf.browser.draw
    expect(hook.frames).toBeGreaterThanOrEqual(frames);
    expect(hook.correct / hook.scored).toBeGreaterThanOrEqual(0.9);
    expect(hook.numTensors).toBeLessThanOrEqual(hook.numTensorsAtFrame10);
    const overlay = await canvasStats(page, '#overlay');
    expect(overlay.colours).toBeGreaterThan(500);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('where WebGPU cannot read back (Chromium with --disable-gpu), ?backend=webgpu says so and goes on with wasm', async () => {
    const { page, errors } = await openPage('source=scene&backend=webgpu');
    const hook = await framesOrError(page, 5);
    expect(hook.error).toBe('');
    expect(hook.backend).toBe('wasm');
    expect(await page.textContent('#status')).toMatch(/^The webgpu backend is not available in this browser: WebGPU starts but cannot read results back.* Using wasm instead\.$/);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe.each(['cpu', 'wasm', 'webgl', 'webgpu'])('tfjs-gradcam/browser in the test page, on %s', (backend) => {
  let drawn: Drawn;
  let errors: string[];
  beforeAll(async () => {
    // webgpu in the browser where it reads back (the page's useBackend checks that it does).
    const opened = backend === 'webgpu' ? await openTestPage(gpuBrowser.context, server.url) : { page: entryPage, errors: entryErrors };
    errors = opened.errors;
    drawn = await drawOn(opened.page, backend);
    if (opened.page !== entryPage) await opened.page.close();
  });

  it('runs on that backend', () => {
    expect(drawn.backend).toBe(backend);
  });

  it('drawHeatmap draws a heatmap alone with the gray colour map: pixel = round(255·value), canvas sized to the map', () => {
    expect(drawn.canvasSize).toEqual([2, 2]);
    expect(drawn.heatmapPixels).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 64, 64, 64, 255]);
  });

  it('drawHeatmap blends over an image at its size, resizing the heatmap (corners keep their values)', () => {
    expect(drawn.overlaySize).toEqual([4, 4]);
    const mix = (gray: number): number[] => [...[0.2, 0.6, 1].map((c) => 0.75 * 255 * c + 0.25 * gray), 255];
    expectClose(drawn.overlayCorners[0], mix(0));
    expectClose(drawn.overlayCorners[1], mix(128));
    expectClose(drawn.overlayCorners[2], mix(255));
    expectClose(drawn.overlayCorners[3], mix(64));
  });

  it('takes int32 images in [0, 255], and picks the batch row given by index', () => {
    expectClose(drawn.int32Corner, [0.75 * 50 + 0.25 * 255, 0.75 * 100 + 0.25 * 255, 0.75 * 200 + 0.25 * 255, 255]);
    expect(drawn.batchPixel).toEqual([204, 204, 204, 255]); // round(0.8 · 255)
  });

  it('draws on an OffscreenCanvas (resized to the map)', () => {
    expect(drawn.offscreenPixels).toEqual(drawn.heatmapPixels);
  });

  it('toImageData keeps int32 values and scales float values in [0, 1], clipping the rest', () => {
    expect(drawn.toImageDataInt).toEqual([1, 2, 3, 255, 250, 251, 252, 255]);
    expect(drawn.toImageDataClipped).toEqual([0, 128, 255, 255]);
  });

  it('rejects bad input with GradCamError codes', () => {
    expect(drawn.errorCodes).toEqual(['BAD_OPTION', 'BAD_INPUT', 'UNKNOWN_COLORMAP', 'BAD_OPTION', 'BAD_INPUT']);
  });

  it(`draws ${backend === 'cpu' || backend === 'webgpu' ? 'on the device (tf.browser.draw), reading nothing back' : 'after one asynchronous read-back (toPixels), never a synchronous one'}`, () => {
    const device = backend === 'cpu' || backend === 'webgpu'; // the backends with a Draw kernel in tfjs 4.22
    expect(drawn.drawPath).toBe(device ? 'device' : 'readback');
    expect(drawn.expectedPath).toBe(drawn.drawPath);
    if (device) expect(drawn.pathReads).toEqual([]);
    else expect(drawn.pathReads.filter((read) => read === 'backend.read')).toHaveLength(1); // toPixels' `await data()`: the spies see reads where there are some
    // No dataSync, arraySync, bufferSync or engine.readSync (wasm's `read` itself calls its own readSync).
    expect(drawn.pathReads.filter((read) => !read.startsWith('backend.'))).toEqual([]);
  });

  it('draws the pixels of the read-back path and of the cpu backend (within 1 per channel)', () => {
    expect(drawn.resizedVsReadback).toBeLessThanOrEqual(1);
    expect(drawn.sameSizePixels).toHaveLength(16 * 20 * 4);
    const colours = new Set<string>();
    for (let i = 0; i < drawn.sameSizePixels.length; i += 4) colours.add(drawn.sameSizePixels.slice(i, i + 3).join());
    expect(colours.size).toBeGreaterThan(200); // a picture, not a blank canvas
    expectClose(drawn.sameSizePixels, drawn.cpuSameSizePixels);
  });

  it('leaves no tensor behind, and the page logs no error', () => {
    expect(drawn.tensorsAfter).toBe(drawn.tensorsBefore);
    expect(errors).toEqual([]);
  });
});

/** What one page explained with its wasm threads (see the describe below). */
interface ThreadedRun {
  isolated: boolean;
  threads: number;
  backend: string;
  /** Kernels tfjs-backend-wasm lacks and the library adds, registered on wasm after the run. */
  libraryKernels: boolean[];
  /** `fixture/method` → heatmap (flat, both images), or the error's message. */
  maps: Record<string, number[] | string>;
  tensorsBefore: number;
  tensorsAfter: number;
}

/** The parity networks run in the threads test: plain (max pooling) and dw (depthwise convolutions after the target). */
const THREAD_FIXTURES = ['plain', 'dw'] as const;

/**
 * Opens test.html?threads=N and explains there, on wasm: every method at each parity network's
 * target (both images, their top classes), guided backprop, and the demo model with explainAsync.
 */
async function explainWithThreads(threads: number, fixtures: Fixture[]): Promise<{ run: ThreadedRun; errors: string[] }> {
  const { page, errors } = await openTestPage(context, server.url, `?threads=${threads}`);
  const run = await page.evaluate(
    async ({ fxs, methods }): Promise<ThreadedRun> => {
      const api = window.__browserApi;
      if (api === undefined) throw new Error('no __browserApi');
      const { tf, GradCam } = api;
      await api.useBackend('wasm');
      const tensorsBefore = tf.memory().numTensors;
      const maps: Record<string, number[] | string> = {};
      for (const fx of fxs) {
        const model = api.buildFixtureModel(fx);
        const batch = tf.tidy(() => tf.concat(fx.images.map((img) => tf.tensor(img.tensor.data, img.tensor.shape))));
        const classIndex = fx.images.map((img) => img.argmax);
        const gradcam = new GradCam(model, { layerName: fx.targets[0].layer });
        for (const method of methods) {
          try {
            const result = gradcam.explain(batch, { method, classIndex });
            maps[`${fx.name}/${method}`] = Array.from(await result.heatmap.data());
            result.dispose();
          } catch (err) {
            maps[`${fx.name}/${method}`] = err instanceof Error ? err.message : String(err);
          }
        }
        gradcam.dispose();
        const guided = api.guidedBackprop(model, batch, { classIndex });
        maps[`${fx.name}/guided`] = Array.from(await guided.saliency.data());
        guided.dispose();
        batch.dispose();
        model.dispose();
      }
      const demo = await api.loadDemoModel();
      const image = tf.randomUniform([64, 64, 3], 0, 1, 'float32', 5);
      const gradcam = new GradCam(demo);
      const result = await gradcam.explainAsync(image);
      maps['demo/gradcam'] = Array.from(await result.heatmap.data());
      result.dispose();
      gradcam.dispose();
      image.dispose();
      demo.dispose();
      const libraryKernels = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'UnsortedSegmentSum'].map(
        (name) => tf.getKernel(name, 'wasm') !== undefined,
      );
      return {
        isolated: globalThis.crossOriginIsolated === true,
        threads: api.wasmThreads(),
        backend: tf.getBackend(),
        libraryKernels,
        maps,
        tensorsBefore,
        tensorsAfter: tf.memory().numTensors,
      };
    },
    { fxs: fixtures, methods: [...CAM_METHODS] as CamMethodName[] },
  );
  await page.close();
  return { run, errors };
}

describe('wasm threads in the cross-origin-isolated page (test.html?threads=N)', () => {
  it('the page is isolated; asked for 2 threads wasm runs 2, and explains as with 1 (≤ 1e-5), through the library\'s wasm gradient kernels too', async () => {
    const withTargets = THREAD_FIXTURES.map((name) => loadFixture(name));
    // The page needs the network, the images and the target layer, not the reference data.
    const fixtures = withTargets.map((fx) => ({ ...fx, targets: [{ layer: fx.targets[0].layer, activations: [], cases: [] }] }));
    const one = await explainWithThreads(1, fixtures);
    const two = await explainWithThreads(2, fixtures);

    expect(one.run.isolated).toBe(true);
    expect(two.run.isolated).toBe(true);
    expect(one.run.backend).toBe('wasm');
    expect(two.run.backend).toBe('wasm');
    expect(one.run.threads).toBe(1);
    expect(two.run.threads).toBeGreaterThanOrEqual(2);
    expect(two.run.libraryKernels).toEqual([true, true, true, true]);

    const keys = Object.keys(one.run.maps);
    expect(Object.keys(two.run.maps)).toEqual(keys);
    const explained = keys.filter((key) => typeof one.run.maps[key] !== 'string');
    // Every gradient method and guided backprop ran ('cam' needs a GAP head: neither network has one).
    expect(explained.length).toBeGreaterThanOrEqual(2 * (CAM_METHODS.length - 1) + 2 + 1);
    let worst = 0;
    for (const key of keys) {
      const [a, b] = [one.run.maps[key], two.run.maps[key]];
      if (typeof a === 'string' || typeof b === 'string') {
        expect(b).toBe(a); // the same refusal with either thread count
        continue;
      }
      expect(b).toHaveLength(a.length);
      expect(a.every(Number.isFinite)).toBe(true);
      const diff = key.endsWith('/guided') ? maxAbsDiff(b, a) / Math.max(1e-12, ...a.map(Math.abs)) : maxAbsDiff(b, a);
      worst = Math.max(worst, diff);
      expect(diff).toBeLessThanOrEqual(1e-5);
    }
    // And right, not merely equal: Grad-CAM with 2 threads against pytorch-grad-cam (the parity bound).
    for (const fx of withTargets) {
      const got = two.run.maps[`${fx.name}/gradcam`] as number[];
      const expected = fx.images.flatMap((img, i) => {
        const c = fx.targets[0].cases.find((k) => k.image === i && k.class === img.argmax);
        if (c === undefined) throw new Error(`${fx.name}: no case for image ${i}'s top class`);
        return c.heatmaps.GradCAM.data;
      });
      expect(maxAbsDiff(got, expected)).toBeLessThanOrEqual(1e-3);
    }
    console.log(`wasm threads: ${explained.length} explanations with 1 and ${two.run.threads} threads, max difference ${worst.toExponential(1)}`);
    expect(one.run.tensorsAfter).toBe(one.run.tensorsBefore);
    expect(two.run.tensorsAfter).toBe(two.run.tensorsBefore);
    expect(one.errors).toEqual([]);
    expect(two.errors).toEqual([]);
  });
});

/** The demo model as the files a user would pick: model.json and its weights. */
async function demoModelFiles(): Promise<Record<string, Uint8Array>> {
  const tf = await import('@tensorflow/tfjs-core');
  const { loadDemoModel } = await import('../../src/demo');
  const model = await loadDemoModel();
  const files: Record<string, Uint8Array> = {};
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData as ArrayBuffer;
      files['weights.bin'] = new Uint8Array(weights);
      const json = { modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }], format: 'layers-model' };
      files['model.json'] = new TextEncoder().encode(JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  return files;
}
