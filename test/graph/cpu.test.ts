import * as tf from '@tensorflow/tfjs-core';
import { describeGraphModels } from './graph-suite';

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
});

describeGraphModels({ full: false });
