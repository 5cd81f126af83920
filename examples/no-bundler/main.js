// Plain JavaScript: the browser loads it as it is (see the import map in index.html).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { GradCam } from 'tfjs-gradcam';
import { drawHeatmap } from 'tfjs-gradcam/browser';
import { DEMO_CLASSES, DEMO_IMAGE_SIZE, loadDemoModel, pointingHit, renderScene } from 'tfjs-gradcam/demo';

const params = new URLSearchParams(location.search);
const backend = params.get('backend') ?? 'wasm';
const seed = Number(params.get('seed') ?? '3');
const status = document.getElementById('status');
/** What the page shows, for its end-to-end test (test/browser/no-bundler.e2e.test.ts). */
window.__noBundler = { done: false, error: '' };

async function main() {
  // The wasm backend fetches its .wasm binaries from this folder (with a trailing slash).
  setWasmPaths(new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', location.href).href);
  if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend did not start`);
  await tf.ready();

  const model = await loadDemoModel();
  const scene = renderScene(seed);
  const size = DEMO_IMAGE_SIZE;
  const image = tf.tensor3d(scene.image, [size, size, 3]);
  await tf.browser.toPixels(image, document.getElementById('scene'));

  const gradcam = new GradCam(model);
  const result = await gradcam.explainAsync(image); // never blocks the page
  const heatmap = await result.heatmap.data();
  await drawHeatmap(document.getElementById('overlay'), result, { image, alpha: 0.5 });
  const hit = pointingHit(heatmap, size, scene.box);
  status.textContent =
    `${tf.getBackend()}: the model sees a ${DEMO_CLASSES[result.classIndex[0]]} (the scene has a ${DEMO_CLASSES[scene.label]}); ` +
    `the heatmap's peak is ${hit ? 'on' : 'off'} the shape.`;
  Object.assign(window.__noBundler, {
    done: true,
    backend: tf.getBackend(),
    classIndex: result.classIndex[0],
    label: scene.label,
    peakOnShape: hit,
    layer: gradcam.layerName,
  });
  result.dispose();
  gradcam.dispose();
  image.dispose();
  model.dispose();
}

main().catch((err) => {
  window.__noBundler.error = String(err && err.message ? err.message : err);
  status.textContent = `Error: ${window.__noBundler.error}`;
  console.error(err);
});
