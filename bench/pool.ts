/**
 * The worker pool's throughput and the command's per-image split, for `npm run bench` and
 * bench/compare-pytorch-grad-cam.ts. The pool runs from the built package (dist/node.js, with
 * dist/pool-worker.js beside it) in a child process: run `npm run build` first.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { GradCam, applyColormap, blend } from '../src';
import { readImage, saveLayersModelToDir, writeImage } from '../src/node';

/** A model.json of `model` and `count` seeded random 224×224 PNGs, in a fresh temporary folder. */
export async function poolFixture(model: tfl.LayersModel, count: number): Promise<{ modelPath: string; images: string[]; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-bench-pool-'));
  const modelPath = await saveLayersModelToDir(model, path.join(dir, 'model'));
  const images: string[] = [];
  for (let i = 0; i < count; i++) {
    const image = tf.randomUniform([224, 224, 3], 0, 1, 'float32', 100 + i);
    images.push(path.join(dir, `image-${String(i).padStart(2, '0')}.png`));
    await writeImage(images[i], image);
    image.dispose();
  }
  return { modelPath, images, dir };
}

/** One pool run, timed. */
export interface PoolTiming {
  /** From the call (workers start, load the model) to the last result. */
  readonly seconds: number;
  /** `images / seconds`: the whole run, start-up included. */
  readonly imagesPerSecond: number;
  readonly msPerImage: number;
  /** When the first result came. */
  readonly firstResult: number;
  /**
   * Images per second once every worker has finished its first image (from the workers-th
   * result to the last): the pool's throughput without its fixed start-up (workers' start,
   * model load, each worker's slower first image).
   */
  readonly steadyImagesPerSecond: number;
}

/**
 * One pool run of the built package (dist/node.js) in a fresh plain `node` process
 * (bench/pool-timer.mjs), as a user of the package runs it: no tsx hooks in the workers.
 */
export function timePool(modelPath: string, images: readonly string[], workers: number): PoolTiming {
  const node = fileURLToPath(new URL('../dist/node.js', import.meta.url));
  if (!fs.existsSync(node)) throw new Error(`${node} is missing: run \`npm run build\` first.`);
  const timer = fileURLToPath(new URL('./pool-timer.mjs', import.meta.url));
  const stdout = execFileSync(process.execPath, [timer, JSON.stringify({ node, model: modelPath, images, workers })], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const run = JSON.parse(stdout.trim().split('\n').pop() as string) as { seconds: number; ends: number[]; failed: number; tensorsLeft: number[] };
  if (run.failed > 0) throw new Error(`${run.failed} images failed in the pool`);
  if (run.tensorsLeft.some((n) => n !== 0)) throw new Error(`the pool's workers left tensors: ${run.tensorsLeft.join(', ')}`);
  const n = images.length;
  const started = Math.min(workers, n); // the result after which every worker has had its first image
  const steadyImagesPerSecond = n > started ? (n - started) / (run.ends[n - 1] - run.ends[started - 1]) : NaN;
  return { seconds: run.seconds, imagesPerSecond: n / run.seconds, msPerImage: (1000 * run.seconds) / n, firstResult: run.ends[0], steadyImagesPerSecond };
}

/**
 * What one image costs in `tfjs-gradcam explain` (--jobs 1), step by step, on the current
 * backend: reading (decode, resize, scale), explain, and writing (resize the map to the image,
 * colour, blend, two PNGs). Medians of `rounds`.
 */
export async function cliSplit(model: tfl.LayersModel, file: string, rounds: number): Promise<{ read: number; explain: number; write: number }> {
  const camera = new GradCam(model);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-bench-split-'));
  const times = { read: [] as number[], explain: [] as number[], write: [] as number[] };
  for (let r = 0; r <= rounds; r++) {
    let t = performance.now();
    const image = await readImage(file, { size: model });
    const read = performance.now() - t;
    t = performance.now();
    const result = camera.explain(image);
    await result.output.data(); // the predictions the command prints
    const explain = performance.now() - t;
    t = performance.now();
    const overlay = blend(image, result.heatmap);
    const coloured = applyColormap(result.heatmap);
    await writeImage(path.join(out, 'x.overlay.png'), overlay);
    await writeImage(path.join(out, 'x.heatmap.png'), coloured);
    const write = performance.now() - t;
    tf.dispose([image, overlay, coloured]);
    result.dispose();
    if (r === 0) continue; // warm-up
    times.read.push(read);
    times.explain.push(explain);
    times.write.push(write);
  }
  camera.dispose();
  fs.rmSync(out, { recursive: true, force: true });
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { read: median(times.read), explain: median(times.explain), write: median(times.write) };
}
