import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { featureMapLayers } from '../../src';

describe('featureMapLayers (LayersModel)', () => {
  it('lists the layers with a spatial feature-map output, in order, with their shapes; the output layer left out', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same', name: 'c1' }),
        tfl.layers.maxPooling2d({ poolSize: 2, name: 'p1' }),
        tfl.layers.conv2d({ filters: 5, kernelSize: 4, name: 'c2' }), // 4×4 → 1×1: not spatial
        tfl.layers.flatten({ name: 'f' }),
        tfl.layers.dense({ units: 2, name: 'd' }),
      ],
    });
    const before = tf.memory().numTensors;
    expect(featureMapLayers(model)).toEqual([
      { name: 'c1', shape: [null, 8, 8, 4] },
      { name: 'p1', shape: [null, 4, 4, 4] },
    ]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
