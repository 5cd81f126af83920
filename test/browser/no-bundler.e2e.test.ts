/**
 * examples/no-bundler: the built package in a plain page, loaded through an import map with no
 * bundler (tfjs's ES modules, two small shims for what they import from Node and CommonJS), in
 * headless Chromium on cpu and wasm. Serves the repository's root (the page maps node_modules/
 * and dist/ by relative URLs); `npm test` builds dist/ first.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { GradCam } from '../../src';
import { DEMO_IMAGE_SIZE, loadDemoModel, renderScene } from '../../src/demo';
import { ROOT, collectErrors, describeWithBrowser, launchChromium, serve } from './harness';

// Skipped, with a line saying how to get Chromium, where there is none (an error under CI).
const describe = describeWithBrowser('no-bundler page (test/browser/no-bundler.e2e.test.ts)');

jest.setTimeout(120_000);

const SEED = 3;

interface PageResult {
  done: boolean;
  error: string;
  backend?: string;
  classIndex?: number;
  label?: number;
  peakOnShape?: boolean;
  layer?: string;
}

let server: Awaited<ReturnType<typeof serve>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let nodeClass: number;

describe('the package without a bundler (examples/no-bundler)', () => {
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does) first.');
    server = await serve(ROOT);
    browser = await launchChromium();
    // The same scene explained here, in Node on cpu: the page must find the same class.
    const model = await loadDemoModel();
    const image = tf.tensor3d(renderScene(SEED).image, [DEMO_IMAGE_SIZE, DEMO_IMAGE_SIZE, 3]);
    const gc = new GradCam(model);
    const r = await gc.explainAsync(image);
    nodeClass = r.classIndex[0];
    r.dispose();
    gc.dispose();
    image.dispose();
    model.dispose();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it.each(['cpu', 'wasm'])('explains a demo scene on %s: the scene\'s class, the peak on the shape', async (backend) => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${server.url}examples/no-bundler/index.html?backend=${backend}&seed=${SEED}`);
    await page.waitForFunction(
      () => {
        const r = (window as unknown as { __noBundler?: PageResult }).__noBundler;
        return r !== undefined && (r.done || r.error !== '');
      },
      null,
      { timeout: 60_000 },
    );
    const result = await page.evaluate(() => (window as unknown as { __noBundler: PageResult }).__noBundler);
    expect(result.error).toBe('');
    expect(result.backend).toBe(backend);
    expect(result.classIndex).toBe(result.label);
    expect(result.classIndex).toBe(nodeClass);
    expect(result.peakOnShape).toBe(true);
    expect(await page.textContent('#status')).toMatch(new RegExp(`^${backend}: the model sees a \\w+ .* the heatmap's peak is on the shape\\.$`));
    expect(errors).toEqual([]);
    await page.close();
  });
});
