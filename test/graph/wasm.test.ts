import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { describeGraphModels } from './graph-suite';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
});

describeGraphModels({ full: true });
