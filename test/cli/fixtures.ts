import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { saveLayersModelToDir, writeImage } from '../../src/node';

/**
 * Files for the command's tests, in `dir`:
 *
 * - `model/`: a hand-set "red or blue?" classifier, input 16×16: a 1×1 conv copies the red and
 *   the blue channel into two feature maps, GAP + Dense (×4) + softmax. Grad-CAM of "red" is
 *   exactly the red region, so the heatmap's content can be checked.
 * - `labels.txt`: red, blue.
 * - `images/red.png` (32×48, a red top-left quarter), `images/blue.png` (16×16, a blue
 *   bottom-right quarter), `broken.png` (text, not an image), `grey.png` (16×16, all
 *   (191, 0, 64): its red logit is 4·191/255 with values in [0,1]).
 */
export interface Fixtures {
  readonly model: string;
  readonly labels: string;
  readonly images: string;
  readonly red: string;
  readonly blue: string;
  readonly broken: string;
  readonly grey: string;
}

export async function makeFixtures(dir: string): Promise<Fixtures> {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [16, 16, 3], filters: 2, kernelSize: 1, activation: 'relu', name: 'colours' }),
      tfl.layers.globalAveragePooling2d({ name: 'gap' }),
      tfl.layers.dense({ units: 2, activation: 'softmax', name: 'scores' }),
    ],
  });
  const weights = [
    tf.tensor4d([1, 0, 0, 0, 0, 1], [1, 1, 3, 2]), // R → map 0, B → map 1
    tf.zeros([2]),
    tf.tensor2d([4, 0, 0, 4], [2, 2]),
    tf.zeros([2]),
  ];
  model.setWeights(weights);
  tf.dispose(weights);
  const files: Fixtures = {
    model: path.join(dir, 'model', 'model.json'),
    labels: path.join(dir, 'labels.txt'),
    images: path.join(dir, 'images'),
    red: path.join(dir, 'images', 'red.png'),
    blue: path.join(dir, 'images', 'blue.png'),
    broken: path.join(dir, 'broken.png'),
    grey: path.join(dir, 'grey.png'),
  };
  await saveLayersModelToDir(model, path.dirname(files.model));
  model.dispose();
  fs.writeFileSync(files.labels, 'red\nblue\n');
  for (const [file, image] of [
    [files.red, quarter(32, 48, [1, 0, 0], 'top-left')],
    [files.blue, quarter(16, 16, [0, 0, 1], 'bottom-right')],
    [files.grey, tf.tile(tf.tensor3d([191, 0, 64], [1, 1, 3], 'int32'), [16, 16, 1])],
  ] as const) {
    await writeImage(file, image);
    image.dispose();
  }
  fs.writeFileSync(files.broken, 'this is not an image');
  return files;
}

/** A black `[h,w,3]` image with one quarter in `colour`. */
function quarter(h: number, w: number, colour: [number, number, number], where: 'top-left' | 'bottom-right'): tf.Tensor3D {
  const data = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = where === 'top-left' ? y < h / 2 && x < w / 2 : y >= h / 2 && x >= w / 2;
      if (inside) data.set(colour, (y * w + x) * 3);
    }
  }
  return tf.tensor3d(data, [h, w, 3]);
}
