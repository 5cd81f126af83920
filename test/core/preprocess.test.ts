import * as tf from '@tensorflow/tfjs-core';
import { PREPROCESS_MODES, type PreprocessMode, preprocessInput } from '../../src';
import { expectClose, expectGradCamError } from '../helpers/expect';

/** Keras's preprocess_input on the pixel (10, 128, 250), worked out by hand from imagenet_utils. */
const PIXEL = [10, 128, 250];
const EXPECTED: Record<PreprocessMode, number[]> = {
  // BGR order, minus the BGR mean (103.939, 116.779, 123.68).
  caffe: [250 - 103.939, 128 - 116.779, 10 - 123.68],
  tf: [10 / 127.5 - 1, 128 / 127.5 - 1, 250 / 127.5 - 1],
  torch: [(10 / 255 - 0.485) / 0.229, (128 / 255 - 0.456) / 0.224, (250 / 255 - 0.406) / 0.225],
  none: [10, 128, 250],
};

describe('preprocessInput', () => {
  it.each(PREPROCESS_MODES)('%s equals Keras on a pixel, for [H,W,3] and [N,H,W,3], leaving the input alone', (mode) => {
    const image = tf.tensor3d([...PIXEL, ...PIXEL], [1, 2, 3], 'int32');
    const before = tf.memory().numTensors;
    const out = preprocessInput(image, mode);
    expect(out.shape).toEqual([1, 2, 3]);
    expect(out.dtype).toBe('float32');
    expectClose(out.dataSync(), [...EXPECTED[mode], ...EXPECTED[mode]], 1e-5);
    const batch = preprocessInput(tf.expandDims(image, 0) as tf.Tensor4D, mode);
    expect(batch.shape).toEqual([1, 1, 2, 3]);
    expectClose(batch.dataSync(), out.dataSync(), 0);
    expect(image.dataSync()).toEqual(Int32Array.from([...PIXEL, ...PIXEL]));
    tf.dispose([out, batch]);
    expect(tf.memory().numTensors).toBe(before + 1); // the expandDims input above
    image.dispose();
  });

  it('refuses an unknown mode and non-RGB tensors', () => {
    const image = tf.zeros([2, 2, 3]) as tf.Tensor3D;
    expectGradCamError(() => preprocessInput(image, 'bgr' as PreprocessMode), 'BAD_OPTION', /caffe, tf, torch, none/);
    const grey = tf.zeros([2, 2, 1]) as tf.Tensor3D;
    expectGradCamError(() => preprocessInput(grey, 'tf'), 'BAD_INPUT', /\[2,2,1\]/);
    expectGradCamError(() => preprocessInput(null as unknown as tf.Tensor3D, 'tf'), 'BAD_INPUT', /must be a tf\.Tensor/);
    tf.dispose([image, grey]);
  });
});
