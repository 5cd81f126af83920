/**
 * Quick start: explain a small CNN's decision with Grad-CAM and save the overlay.
 *
 * Run from the repository root: `npm run example`. No network, no downloads; writes
 * out/quickstart-overlay.ppm.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers'; // the layers API; it also registers the gradients tfjs-core needs
import { GradCam, blend } from '../src';
import { CLASS_NAMES, IMAGE_SIZE, RED_SQUARE, buildDemoModel, inside, renderScene } from './demo-model';

tf.env().set('PROD', true); // silences the "running TensorFlow.js in Node.js" banner

/** Writes an `[H,W,3]` or `[1,H,W,3]` image with values in [0, 1] as a binary PPM (P6). */
async function writePpm(path: string, image: tf.Tensor): Promise<void> {
  const [height, width] = image.shape.slice(-3, -1);
  const values = await image.data();
  const bytes = Buffer.alloc(values.length);
  for (let i = 0; i < values.length; i++) bytes[i] = Math.round(255 * Math.min(1, Math.max(0, values[i])));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`), bytes]));
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const model = buildDemoModel();
  const image = renderScene(); // [64,64,3] in [0,1]: a red square and a smaller green one
  const tensorsBefore = tf.memory().numTensors;

  const gradcam = new GradCam(model); // target layer auto-detected: the last spatial feature map
  const result = gradcam.explain(image); // explains the top-scoring class

  // Where is the heatmap hot? (heatmap is [1,64,64] in [0,1]): its peak, and the box around
  // every pixel at half the peak or more.
  const heat = await result.heatmap.data();
  let peak = 0;
  const hot = { top: IMAGE_SIZE, bottom: -1, left: IMAGE_SIZE, right: -1 };
  for (let i = 0; i < heat.length; i++) {
    if (heat[i] > heat[peak]) peak = i;
    if (heat[i] < 0.5) continue;
    const [r, c] = [Math.floor(i / IMAGE_SIZE), i % IMAGE_SIZE];
    Object.assign(hot, { top: Math.min(hot.top, r), bottom: Math.max(hot.bottom, r) });
    Object.assign(hot, { left: Math.min(hot.left, c), right: Math.max(hot.right, c) });
  }
  const [row, col] = [Math.floor(peak / IMAGE_SIZE), peak % IMAGE_SIZE];

  const probs = tf.tidy(() => model.predict(tf.expandDims(image, 0)) as tf.Tensor);
  const probabilities = await probs.data();
  probs.dispose();

  const overlay = blend(image, result.heatmap, { alpha: 0.5 }); // [1,64,64,3] in [0,1]
  const outPath = fileURLToPath(new URL('../out/quickstart-overlay.ppm', import.meta.url));
  await writePpm(outPath, overlay);

  const k = result.classIndex[0];
  const { top, left, size } = RED_SQUARE;
  console.log(`target layer:   ${result.layerName} (cam ${result.cam.shape.join('×')})`);
  console.log(`chosen class:   ${k} "${CLASS_NAMES[k]}" (softmax probability ${probabilities[k].toFixed(4)})`);
  console.log(`score (logit):  ${result.scores[0].toFixed(4)}  <- pre-softmax, what Grad-CAM differentiates`);
  console.log(`heatmap peak:   row ${row}, col ${col} (value ${heat[peak].toFixed(3)})`);
  console.log(`heatmap >= 0.5: rows ${hot.top}-${hot.bottom}, cols ${hot.left}-${hot.right}`);
  console.log(`red square:     rows ${top}-${top + size - 1}, cols ${left}-${left + size - 1}`);
  console.log(`peak on square: ${inside(RED_SQUARE, row, col) ? 'yes' : 'NO'}`);

  overlay.dispose();
  result.dispose();
  gradcam.dispose(); // the explainer keeps a few tensors (transposed Dense kernels) until then
  console.log(`tensors:        ${tensorsBefore} before explain, ${tf.memory().numTensors} after disposing`);
  console.log(`overlay:        ${relative(process.cwd(), outPath)} (binary PPM, ${IMAGE_SIZE}×${IMAGE_SIZE})`);

  image.dispose();
  model.dispose();
  if (!inside(RED_SQUARE, row, col)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
