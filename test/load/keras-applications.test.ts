import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { GradCam, ensureGradientKernels, loadModel, preprocessInput } from '../../src';
import { fileIO, loadModelFromFile } from '../../src/node';
import { kerasFixtureNames, materialize, readPhotos, readReference } from '../helpers/keras-fixtures';

/**
 * keras.applications models converted by the real tensorflowjs_converter 4.22 (Keras 2 = tf_keras
 * 2.21 and Keras 3.15; scripts/fixtures/keras): each loads, predicts Keras's outputs, and
 * GradCam's map equals the keras.io Grad-CAM recipe, within 1e-4 of the reference's largest value.
 * On wasm (with the library's gradient kernels): these are full-width networks, about 30× slower
 * on the pure-JS cpu backend, which runs one of them (its layer kinds: TFOpLambda, keepdims
 * pooling, Rescaling, depthwise convs, squeeze-excite) as a check of that backend.
 */
const RELATIVE = 1e-4;
const ON_CPU_TOO = ['mobilenetv3small'];
const CASES = kerasFixtureNames().flatMap((name) => [[name, 'wasm'], ...(ON_CPU_TOO.includes(name) ? [[name, 'cpu']] : [])]);

function expectRelativelyClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  const scale = Math.max(...expected.map(Math.abs));
  const worst = Math.max(...expected.map((e, i) => Math.abs(actual[i] - e)));
  expect({ what, relativeError: worst / scale <= RELATIVE ? 'ok' : worst / scale }).toEqual({ what, relativeError: 'ok' });
}

function centred(values: number[]): number[] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.map((v) => v - mean);
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  ensureGradientKernels();
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(CASES)('%s converted from Keras, on %s', (name, backend) => {
  it('loads, predicts as Keras, and GradCam equals the keras.io recipe; nothing leaks', async () => {
    await tf.setBackend(backend);
    const ref = readReference(name);
    const dir = materialize(name);
    const before = tf.memory().numTensors;
    // Half the fixtures through each door: the file loader and loadModel with an IOHandler.
    const model = name.length % 2 === 0 ? await loadModelFromFile(dir) : await loadModel(fileIO(`${dir}/model.json`));
    const size = ref.inputSize;
    const pixels = tf.tensor4d(readPhotos(size), [2, size, size, 3], 'int32');
    const x = preprocessInput(pixels, ref.preprocess);

    // A softmax output hides only a constant shift of the logits: log p − mean(log p) are the
    // logits, centred; compared with Keras's logits centred the same way, over the classes whose
    // probability does not underflow. Another output (RegNetX002's head ends in a linear
    // activation here) is compared with Keras's output directly.
    const probabilities = model.predict(x) as tf.Tensor2D;
    const p = probabilities.arraySync();
    const isSoftmax = ref.probabilities.every((row) => row.every((v) => v >= 0) && Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-3);
    ref.probabilities.forEach((row, i) => {
      if (!isSoftmax) {
        expectRelativelyClose(p[i], row, `outputs of image ${i}`);
        return;
      }
      const kept = row.map((_, c) => c).filter((c) => p[i][c] > 1e-30);
      expect(kept.length).toBeGreaterThan(row.length / 2);
      expectRelativelyClose(centred(kept.map((c) => Math.log(p[i][c]))), centred(kept.map((c) => ref.logits[i][c])), `logits of image ${i}`);
    });

    const gc = new GradCam(model);
    const result = gc.explain(x);
    expect(result.layerName).toBe(ref.layerName);
    expect(result.classIndex).toEqual(ref.classIndex);
    result.scores.forEach((s, i) => expectRelativelyClose([s], [ref.logits[i][ref.classIndex[i]]], `logit of image ${i}`));
    const cam = result.cam.arraySync();
    ref.cam.forEach((map, i) => expectRelativelyClose(cam[i].flat(), map.flat(), `cam of image ${i}`));

    result.dispose();
    gc.dispose();
    tf.dispose([pixels, x, probabilities]);
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
    expect(tf.memory().numTensors).toBe(before);
  }, 600_000);
});
