import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { describeMethodParity } from './methods-suite';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
});

describeMethodParity();
