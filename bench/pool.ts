/**
 * The worker pool's throughput and the command's per-image split, for `npm run bench` and
 * bench/compare-pytorch-grad-cam.ts. The pool runs from the built package (dist/node.js, with
 * dist/pool-worker.js beside it): run `npm run build` first.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { GradCam, applyColormap, blend } from '../src';
import { readImage, saveLayersModelToDir, writeImage } from '../src/node';
import type * as NodeEntry from '../src/node';

/** The built tfjs-gradcam/node: the pool needs its built worker script. */
export async function builtNode(): Promise<typeof NodeEntry> {
  const file = fileURLToPath(new URL('../dist/node.js', import.meta.url));
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first.`);
  return (await import(file)) as typeof NodeEntry;
}

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

/** One pool run: wall time from the call (workers start, load the model, explain all) to the end. */
export async function timePool(node: typeof NodeEntry, modelPath: string, images: readonly string[], workers: number): Promise<{ seconds: number; imagesPerSecond: number; msPerImage: number }> {
  const start = performance.now();
  const run = await node.explainInWorkers(images, { model: modelPath, workers, backend: 'wasm' });
  const seconds = (performance.now() - start) / 1000;
  const failed = run.results.filter((r) => !r.ok).length;
  if (failed > 0) throw new Error(`${failed} images failed in the pool`);
  return { seconds, imagesPerSecond: images.length / seconds, msPerImage: (1000 * seconds) / images.length };
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
