/**
 * Frames per second of the video page (examples/browser) in headless Chromium, per backend, with
 * the time per frame split into reading the frame, inference and drawing.
 *
 *   npm run build:page && npm run measure:page [-- --seconds 15 --method gradcam --backends wasm,webgl,cpu,webgpu --threads worker,main]
 *
 * Serves examples/browser/dist on 127.0.0.1, runs the animated scene with the demo model for a
 * warm-up of 20 frames, then measures over `--seconds` (default 10). Prints a Markdown table.
 * "Frames/s shown" is capped by the display's refresh (requestAnimationFrame, 60 Hz headless);
 * "work-bound" is 1000 / (frame read + inference + drawing), what the work alone would allow.
 * Each backend runs with the page explaining in its Web Worker and on its main thread
 * (`?thread=`); "main-thread tasks over 50 ms" are the page's `longtask` entries in the window
 * (wall time), "most CPU in one task" the most CPU time one main-thread task used (a trace).
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { CHROMIUM, PAGE_DIR, type PageHook, collectErrors, launchChromium, measureLive, readHook, serve } from '../test/browser/harness';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const seconds = Number(option('seconds', '10'));
const method = option('method', 'gradcam');
const backends = option('backends', 'wasm,webgl,cpu,webgpu').split(',');
const threads = option('threads', 'worker,main').split(',');
const WARM_UP = 20;

interface Row {
  backend: string;
  thread: string;
  longTasks: number;
  longest: number;
  longestCpu: number;
  fps: number;
  frames: number;
  skipped: number;
  capture: number;
  inference: number;
  draw: number;
  tensors: string;
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0];
  const server = await serve(PAGE_DIR);
  const rows: Row[] = [];
  let renderer = '';
  try {
    for (const backend of backends) for (const thread of threads) {
      // WebGPU's synchronous reads need Chromium's GPU process (on SwiftShader here); the other
      // backends are measured with --disable-gpu, as before (see test/browser/harness.ts).
      const browser = await launchChromium({ softwareGpu: backend === 'webgpu' });
      const page = await browser.context.newPage();
      const errors = collectErrors(page);
      await page.goto(`${server.url}index.html?source=scene&backend=${backend}&method=${method}&thread=${thread}`);
      await page.waitForFunction((n) => (window.__gradcam?.frames ?? 0) >= n || (window.__gradcam?.error ?? '') !== '', WARM_UP, {
        timeout: 300_000,
      });
      if (renderer === '') {
        renderer = await page.evaluate(() => {
          const gl = document.createElement('canvas').getContext('webgl2');
          const info = gl?.getExtension('WEBGL_debug_renderer_info');
          return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : 'no WebGL2';
        });
      }
      const start: PageHook = await readHook(page);
      const measured = await measureLive(page, seconds);
      const end: PageHook = await readHook(page);
      const elapsed = measured.seconds;
      if (end.error !== '' || errors.length > 0) throw new Error(`${backend}: ${end.error} ${errors.join('; ')}`);
      // The page falls back to wasm when a backend cannot start: never report wasm under another name.
      if (end.backend !== backend) throw new Error(`${backend} did not start in this browser (the page runs ${end.backend})`);
      if (end.thread !== thread) throw new Error(`${backend}: the page explains on the ${end.thread} thread, not ${thread}: ${end.threadNote}`);
      const frames = end.frames - start.frames;
      const per = (key: 'captureMs' | 'inferenceMs' | 'drawMs'): number => (end[key] - start[key]) / Math.max(1, frames);
      rows.push({
        backend,
        thread,
        longTasks: measured.longTasks.length,
        longest: Math.max(0, ...measured.longTasks),
        longestCpu: measured.longestTaskCpuMs,
        fps: frames / elapsed,
        frames,
        skipped: end.skipped - start.skipped,
        capture: per('captureMs'),
        inference: per('inferenceMs'),
        draw: per('drawMs'),
        tensors: `${end.numTensorsAtFrame10} → ${end.numTensors}`,
      });
      console.error(`${backend}, ${thread}: ${frames} frames in ${elapsed.toFixed(1)} s`);
      await page.close();
      await browser.close();
    }
  } finally {
    await server.close();
  }

  let version = '';
  try {
    version = execFileSync(CHROMIUM ?? 'chromium', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    version = CHROMIUM ?? 'no Chromium';
  }
  console.log(`Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ${version}, headless;`);
  console.log(`Load average (1 min) before and after: ${loadBefore.toFixed(2)}, ${loadavg()[0].toFixed(2)} (other work on the machine slows the page down).`);
  console.log(`WebGL renderer: ${renderer}. Method ${method}, demo model (64×64 input), animated scene; ${seconds} s per backend after ${WARM_UP} frames.\n`);
  console.log(
    '| Backend | Explained in | Frames/s shown | Inference ms/frame | Drawing ms/frame | Frame read ms/frame | Work-bound frames/s | Frames dropped | Main-thread tasks over 50 ms | Longest task ms | Most CPU in one task ms | Tensors (frame 10 → end) |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(
      `| ${r.backend} | ${r.thread} | ${r.fps.toFixed(1)} | ${r.inference.toFixed(1)} | ${r.draw.toFixed(1)} | ${r.capture.toFixed(1)} | ` +
        `${(1000 / (r.inference + r.draw + r.capture)).toFixed(0)} | ${r.skipped} | ${r.longTasks} | ${r.longest.toFixed(0)} | ${r.longestCpu.toFixed(1)} | ${r.tensors} |`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
