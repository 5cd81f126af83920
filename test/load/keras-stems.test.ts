import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadModelFromFile } from '../../src/node';

/**
 * EfficientNetB0's stem as weights="imagenet" builds it (scripts/fixtures/keras/stems.py): after
 * its Normalization it scales each channel by 1/√(ImageNet std) — in Keras 2 a TFOpLambda
 * `tf.math.multiply` whose constant is a nested list `[[[[a, b, c]]]]`, in Keras 3 a `Rescaling`
 * whose `scale` is a list. Converted by the real converter; the output must equal Keras's.
 */
const STEMS = path.resolve(process.cwd(), 'test/fixtures/keras-stems');

describe.each(fs.readdirSync(STEMS).filter((n) => fs.existsSync(path.join(STEMS, n, 'model.json'))))('%s', (name) => {
  it("loads and computes Keras's output (per-channel scale included), within 1e-5 relative; nothing leaks", async () => {
    const dir = path.join(STEMS, name);
    const ref = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { inputSize: number };
    const read = (file: string): Buffer => fs.readFileSync(path.join(dir, file));
    const expected = new Float32Array(new Uint8Array(read('output.bin')).buffer);
    const before = tf.memory().numTensors;
    const model = await loadModelFromFile(dir);
    const size = ref.inputSize;
    const x = tf.tensor4d(new Uint8Array(read('pixels.bin')), [2, size, size, 3], 'float32');
    const y = model.predict(x) as tf.Tensor;
    const actual = y.dataSync();
    const scale = Math.max(...Array.from(expected, Math.abs));
    const worst = Math.max(...Array.from(expected, (e, i) => Math.abs(actual[i] - e)));
    expect(y.shape).toEqual([2, size, size, 3]);
    expect(worst / scale).toBeLessThanOrEqual(1e-5);
    tf.dispose([x, y]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
