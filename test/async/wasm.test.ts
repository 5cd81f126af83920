import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { describeAsyncSuite } from './async-suite';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
});

describeAsyncSuite();
