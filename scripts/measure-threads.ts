/**
 * Single-image latency of `GradCam.explainAsync` on the wasm backend in headless Chromium, with 1
 * and 2 wasm threads, in the example's test page served cross-origin isolated (COOP/COEP).
 *
 *   npm run build:page && npm run measure:threads [-- --models demo,mobilenetv2,vgg16 --threads plain,1,2 --runs 5]
 *
 * Each (model, thread count) gets a fresh page (`test.html?threads=N`: the wasm thread count is
 * fixed when the backend starts); `plain` is the page served without COOP/COEP, not isolated,
 * where tfjs runs its single-threaded SIMD build. The page builds the model (the demo model, or the benchmark's
 * MobileNetV2- and VGG16-shaped networks with seeded random weights), explains one image twice
 * to warm up, then `--runs` times; it prints the median and the range, in ms, per image, with the
 * machine's load average before and after. Timings, not a test: the numbers depend on the machine
 * and what else runs on it.
 */
import { cpus, loadavg } from 'node:os';
import { CHROMIUM, PAGE_DIR, launchChromium, openTestPage, serve } from '../test/browser/harness';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const models = option('models', 'demo,mobilenetv2,vgg16').split(',');
const settings = option('threads', 'plain,1,2').split(',');
const runs = Number(option('runs', '5'));

/** What the page measured for one model on one thread count. */
interface Timing {
  isolated: boolean;
  threads: number;
  inputSize: number[];
  ms: number[];
  /** The same for `model.predict` alone (the forward pass), to tell tfjs's kernels from the library's work. */
  predictMs: number[];
  tensorsLeaked: number;
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const isolated = await serve(PAGE_DIR, { isolated: true });
  const plain = await serve(PAGE_DIR, { isolated: false });
  const browser = await launchChromium();
  const rows: string[] = [];
  try {
    for (const model of models) {
      for (const threads of settings) {
        const { page, errors } = await (threads === 'plain' ? openTestPage(browser.context, plain.url) : openTestPage(browser.context, isolated.url, `?threads=${threads}`));
        const timing = await page.evaluate(
          async ({ name, n }): Promise<Timing> => {
            const api = window.__browserApi;
            if (api === undefined) throw new Error('no __browserApi');
            const { tf, GradCam } = api;
            await api.useBackend('wasm');
            const net = name === 'demo' ? await api.loadDemoModel() : name === 'vgg16' ? api.vgg16() : api.mobileNetV2();
            const shape = net.inputs[0].shape.slice(1).map((d) => d ?? 224);
            const image = tf.randomUniform(shape, 0, 1, 'float32', 7);
            const gradcam = new GradCam(net);
            const before = tf.memory().numTensors;
            // No named functions in here: tsx would wrap them in a helper the page lacks.
            const ms: number[] = [];
            const predictMs: number[] = [];
            const batch = tf.expandDims(image, 0);
            for (let i = -2; i < n; i++) {
              const t0 = performance.now();
              const result = await gradcam.explainAsync(image);
              await result.heatmap.data();
              const t1 = performance.now();
              result.dispose();
              const scores = net.predict(batch) as typeof batch;
              await scores.data();
              if (i >= 0) {
                // after two warm-up calls
                ms.push(t1 - t0);
                predictMs.push(performance.now() - t1);
              }
              scores.dispose();
            }
            batch.dispose();
            const tensorsLeaked = tf.memory().numTensors - before;
            gradcam.dispose();
            image.dispose();
            net.dispose();
            return { isolated: globalThis.crossOriginIsolated === true, threads: api.wasmThreads(), inputSize: shape, ms, predictMs, tensorsLeaked };
          },
          { name: model, n: runs },
        );
        await page.close();
        if (errors.length > 0) throw new Error(`${model}, ${threads} threads: ${errors.join('; ')}`);
        const sorted = [...timing.ms].sort((a, b) => a - b);
        const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
        const asked = threads === 'plain' ? 'not isolated' : `isolated, ${threads}`;
        const row = `| ${model} (${timing.inputSize.join('×')}) | ${asked} | ${timing.threads} | ${median(sorted).toFixed(1)} | ${sorted[0].toFixed(1)}–${sorted.at(-1)?.toFixed(1)} | ${median(timing.predictMs).toFixed(1)} |`;
        console.error(`${row}  isolated ${timing.isolated}, tensors leaked ${timing.tensorsLeaked}`);
        rows.push(row);
      }
    }
  } finally {
    await browser.close();
    await isolated.close();
    await plain.close();
  }
  const loadAfter = loadavg();
  console.log(`Chromium ${CHROMIUM}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average (1, 5, 15 min) ${loadBefore.map((l) => l.toFixed(2)).join(', ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(', ')} after; ${runs} runs after 2 warm-up calls`);
  console.log('');
  console.log('| model | page, `?threads=` | wasm threads | explainAsync, median ms | range ms | predict alone, median ms |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
