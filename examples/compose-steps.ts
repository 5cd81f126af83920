/**
 * Grad-CAM composed by hand from the library's steps, as in docs/composing.md: the same maps
 * as `GradCam.explain`, a variant with a different channel weighting, and several classes
 * from one forward pass.
 *
 * Run from the repository root: `npx tsx examples/compose-steps.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import {
  GradCam,
  blend,
  camToHeatmap,
  gradientsForClass,
  poolWeights,
  splitModel,
  weightedActivationMap,
} from '../src';
import { CLASS_NAMES, GREEN_SQUARE, IMAGE_SIZE, RED_SQUARE, buildDemoModel, inside, renderScene } from './demo-model';

tf.env().set('PROD', true);

/** The pixel where a `[1,H,W]` heatmap is largest, and what it lies on. */
function peakOf(heatmap: tf.Tensor3D): string {
  const [, , width] = heatmap.shape;
  const values = heatmap.dataSync();
  let peak = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[peak]) peak = i;
  if (values[peak] === 0) return 'none (the map is all zero)';
  const [row, col] = [Math.floor(peak / width), peak % width];
  const on = inside(RED_SQUARE, row, col) ? 'red square' : inside(GREEN_SQUARE, row, col) ? 'green square' : 'background';
  return `row ${row}, col ${col} (${on})`;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const model = buildDemoModel();
  const image = renderScene(); // [64,64,3]
  const before = tf.memory().numTensors;

  // --- The five steps by hand (the guide's main snippet) -----------------------------------
  const split = splitModel(model); // plan the cut once per model and target layer
  const pass = split.forward(image); // the body, once: activations [1,32,32,2] and a head

  const grads = gradientsForClass(pass.head, pass.activations); // 1. dScore/dA for the top class
  const weights = poolWeights(grads.gradients); //                   2. [1,2] channel weights
  const cam = weightedActivationMap(pass.activations, weights); //  3. [1,32,32] ReLU(Σ w·A)
  const heatmap = camToHeatmap(cam, [IMAGE_SIZE, IMAGE_SIZE]); //    4. [1,64,64] in [0,1]
  const overlay = blend(image, heatmap, { alpha: 0.5 }); //          5. [1,64,64,3]

  const [k] = await grads.classIndex.data();
  const [score] = await grads.scores.data();
  console.log(`layer ${split.layerName}: class ${k} "${CLASS_NAMES[k]}", logit ${score.toFixed(4)}`);
  console.log(`  by hand: heatmap peak at ${peakOf(heatmap)}`);

  const explainer = new GradCam(model);
  const reference = explainer.explain(image);
  console.log(`  max |by hand − GradCam.explain|: heatmap ${maxAbsDiff(heatmap, reference.heatmap)}, cam ${maxAbsDiff(cam, reference.cam)}`);
  reference.dispose();
  explainer.dispose(); // frees the explainer's cache of transposed Dense kernels

  // --- A variant: weigh each channel by its largest gradient instead of the mean -----------
  const maxWeighted = tf.tidy(() => {
    const maxWeights = tf.max(grads.gradients, [1, 2]) as tf.Tensor2D; // [N,C]
    return camToHeatmap(weightedActivationMap(pass.activations, maxWeights), [IMAGE_SIZE, IMAGE_SIZE]);
  });
  console.log(`  max-of-gradients variant: heatmap peak at ${peakOf(maxWeighted)}`);

  tf.dispose([grads.gradients, grads.scores, grads.classIndex, weights, cam, heatmap, overlay, maxWeighted]);

  // --- Several classes from one forward pass: the head is reused -------------------------
  for (let cls = 0; cls < CLASS_NAMES.length; cls++) {
    const g = gradientsForClass(pass.head, pass.activations, cls);
    const classHeatmap = tf.tidy(() =>
      camToHeatmap(weightedActivationMap(pass.activations, poolWeights(g.gradients)), [IMAGE_SIZE, IMAGE_SIZE]),
    );
    console.log(`class ${cls} "${CLASS_NAMES[cls]}": heatmap peak at ${peakOf(classHeatmap)}`);
    // Dispose all three results of gradientsForClass explicitly: classIndex escapes tf.tidy.
    tf.dispose([g.gradients, g.scores, g.classIndex, classHeatmap]);
  }

  pass.dispose(); // frees the activations and whatever the head kept
  console.log(`tensors: ${before} before, ${tf.memory().numTensors} after`);
  image.dispose();
  model.dispose();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
