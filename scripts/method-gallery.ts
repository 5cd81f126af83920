/**
 * Renders docs/images/method-*.png: for each CAM method, the overlays of the dw parity
 * fixture's two images (a trained blob-colour classifier, 32×32, shown 4× larger).
 * Run: npm run gallery (reads the committed fixtures in test/fixtures/parity/).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { CAM_METHODS, GradCam, blend, deprocessSaliency, guidedBackprop, guidedGradCam } from '../src';
import { buildFixtureModel, loadFixture, toTensor } from '../test/helpers/fixtures';
import { writePng } from './png';

tf.env().set('PROD', true);
const SCALE = 4;
const OUT = path.resolve('docs/images');

/** [N,H,W,3] in [0,1] → one image of the N tiles side by side, each upscaled SCALE× (nearest). */
function saveRow(file: string, tiles: tf.Tensor4D): void {
  const [n, h, w] = tiles.shape;
  const rgb = tf.tidy(() => {
    const big = tf.image.resizeNearestNeighbor(tiles, [h * SCALE, w * SCALE]);
    const row = tf.concat(tf.unstack(big), 1); // [H·s, N·W·s, 3]
    return tf.cast(tf.round(tf.mul(tf.clipByValue(row, 0, 1), 255)), 'int32');
  });
  writePng(path.join(OUT, file), n * w * SCALE, h * SCALE, Uint8Array.from(rgb.dataSync()));
  rgb.dispose();
  console.log(`wrote docs/images/${file}`);
}

fs.mkdirSync(OUT, { recursive: true });
const fx = loadFixture('dw');
const model = buildFixtureModel(fx);
const images = tf.concat(fx.images.map((img) => toTensor(img.tensor))) as tf.Tensor4D;
const gc = new GradCam(model, { layerName: 'pw3' });

saveRow('input.png', images);
for (const method of CAM_METHODS) {
  const r = gc.explain(images, { method });
  const overlay = blend(images, r.heatmap, { alpha: 0.5 }) as tf.Tensor4D;
  saveRow(`method-${method}.png`, overlay);
  tf.dispose([overlay]);
  r.dispose();
}
const counterfactual = gc.explain(images, { counterfactual: true });
const cfOverlay = blend(images, counterfactual.heatmap, { alpha: 0.5 }) as tf.Tensor4D;
saveRow('method-counterfactual.png', cfOverlay);
tf.dispose(cfOverlay);

const guided = guidedBackprop(model, images);
const plainCam = gc.explain(images);
const guidedCam = guidedGradCam(guided.saliency, plainCam.heatmap);
const shown = [deprocessSaliency(guided.saliency), deprocessSaliency(guidedCam)];
saveRow('method-guided-backprop.png', shown[0]);
saveRow('method-guided-gradcam.png', shown[1]);
tf.dispose([...shown, guidedCam]);
guided.dispose();
plainCam.dispose();
counterfactual.dispose();
images.dispose();
model.dispose();
