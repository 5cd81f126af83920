import * as tf from '@tensorflow/tfjs-core';
import { describeMethodParity } from './methods-suite';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describeMethodParity();
