import * as tf from '@tensorflow/tfjs-core';
import { describeParity } from './parity-suite';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describeParity();
