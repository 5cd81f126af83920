import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { applyColormap, colormapTable } from '../../src';
import { lookupRows } from '../../src/backends/lookup';

/** The colour-map lookup kernel (cpu and wasm) must equal tf.gather, on every backend it serves. */
describe.each(['cpu', 'wasm'])('lookupRows on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('equals tf.gather for a [256,3] table and [2,5,7] indices, and leaks nothing', () => {
    const table = tf.tensor2d(colormapTable('turbo'), [256, 3]);
    const index = tf.randomUniform([2, 5, 7], 0, 256, 'int32', 5);
    const before = tf.memory().numTensors;
    const ours = lookupRows(table, index);
    const gathered = tf.gather(table, index);
    expect(ours.shape).toEqual([2, 5, 7, 3]);
    expect(Array.from(ours.dataSync())).toEqual(Array.from(gathered.dataSync()));
    tf.dispose([ours, gathered]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([table, index]);
  });

  it('clamps indices outside the table', () => {
    const table = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const index = tf.tensor1d([-3, 0, 1, 9], 'int32');
    const out = lookupRows(table, index);
    expect(Array.from(out.dataSync())).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
    tf.dispose([table, index, out]);
  });

  it('applyColormap gives jet(0) = (0,0,128)/255 and jet(1) = (128,0,0)/255 here too', () => {
    const colours = applyColormap(tf.tensor1d([0, 1]), 'jet');
    const expected = [0, 0, 128, 128, 0, 0].map((v) => v / 255);
    Array.from(colours.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    colours.dispose();
  });
});
